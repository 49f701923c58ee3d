/* poisson.c — truncated Poisson weights for uniformisation, in the spirit of Fox & Glynn (1988),
 * "Computing Poisson probabilities", CACM 31(4): start at the mode with weight 1, walk outward with the
 * ratio recursion w(k-1) = w(k) k/mu and w(k+1) = w(k) mu/(k+1) (all weights <= 1: no overflow, no
 * lgamma, relative accuracy independent of mu), cut each tail where its mass falls below eps/2 of the
 * total, and normalise by the sum of the kept weights. */
#include <math.h>

#include "ptdalgorithms.h"

/* Beyond this mean, k no longer fits exactly in a double's mantissa. */
#define MU_MAX 4.0e15

double ptd_poisson_left_bound(double mu)
{
    double lb = floor(mu - 40.0 * sqrt(mu)) - 1.0;
    return lb > 0 ? lb : 0;
}

int ptd_poisson_window(double mu, double eps, int64_t *L, int64_t *R, double *wL)
{
    if (!(mu >= 0) || !isfinite(mu))
        return ptd_error(PTD_EINVAL, "Poisson mean %g must be finite and non-negative", mu);
    if (mu > MU_MAX)
        return ptd_error(PTD_EINVAL, "Poisson mean %g (rate times time) is too large for uniformisation",
                         mu);
    if (mu == 0) {
        *L = *R = 0;
        *wL = 1;
        return PTD_OK;
    }
    /* Stop walking once a weight is below `cut` times the mode's: the rest of that tail is then
     * below ~cut of the total (the ratio has moved well away from 1 by then). */
    double cut = eps * 1e-4;
    if (cut < 1e-300)
        cut = 1e-300;
    int64_t mode = (int64_t)floor(mu);

    /* Pass 1: total left and right mass (mode has weight 1). */
    double left = 0, right = 0, w = 1;
    for (int64_t k = mode; k > 0;) {
        w *= (double)k / mu;
        k--;
        left += w;
        if (w < cut)
            break;
    }
    w = 1;
    for (int64_t k = mode;;) {
        w *= mu / (double)(k + 1);
        k++;
        right += w;
        if (w < cut)
            break;
    }
    double total = 1 + left + right, thr = 0.5 * eps * total;

    /* Pass 2: cut each tail at the point where the mass beyond it drops to thr. */
    int64_t lo = mode, hi = mode;
    double kept_left = 0, wlo = 1;
    for (w = 1; lo > 0 && left - kept_left > thr;) {
        w *= (double)lo / mu;
        lo--;
        kept_left += w;
        wlo = w;
    }
    double kept_right = 0;
    for (w = 1; right - kept_right > thr;) {
        w *= mu / (double)(hi + 1);
        hi++;
        kept_right += w;
    }
    *L = lo;
    *R = hi;
    *wL = wlo / (1 + kept_left + kept_right);
    return PTD_OK;
}
