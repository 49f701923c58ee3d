/* Section of ptdalgorithms.h; include ptdalgorithms.h, not this file. */
#ifndef PTD_DISTRIBUTION_H
#define PTD_DISTRIBUTION_H
#include "ptdalgorithms.h"
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
