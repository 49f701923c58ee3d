/* Section of ptdalgorithms.h; include ptdalgorithms.h, not this file. */
#ifndef PTD_MOMENTS_H
#define PTD_MOMENTS_H
#include "ptdalgorithms.h"
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
