/* reward.c — placeholder, implemented in its own change. */
#include "ptdalgorithms.h"
