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
    double imu = 1 / mu; /* the left walks multiply by k/mu: one division fewer per weight */

    /* Pass 1: total left and right mass (mode has weight 1), and the outermost weights reached. */
    double left = 0, right = 0, w = 1, wfl, wfr;
    int64_t kfl = mode, kfr = mode;
    for (; kfl > 0;) {
        w *= (double)kfl * imu;
        kfl--;
        left += w;
        if (w < cut)
            break;
    }
    wfl = w;
    w = 1;
    for (;;) {
        w *= mu / (double)(kfr + 1);
        kfr++;
        right += w;
        if (w < cut)
            break;
    }
    wfr = w;
    double total = 1 + left + right, thr = 0.5 * eps * total;

    /* Pass 2: walk inward from each far end, summing the tail from the outside (no cancellation),
     * and cut where adding the next weight would exceed thr. */
    double tail_l = 0, tail_r = 0;
    int64_t lo = kfl, hi = kfr;
    w = kfl == mode ? 1 : wfl;
    while (lo < mode && tail_l + w <= thr) {
        tail_l += w;
        w *= mu / (double)(lo + 1);
        lo++;
    }
    double wlo = lo == mode ? 1 : w;
    w = wfr;
    while (hi > mode && tail_r + w <= thr) {
        tail_r += w;
        w *= (double)hi * imu;
        hi--;
    }
    *L = lo;
    *R = hi;
    *wL = wlo / (total - tail_l - tail_r);
    return PTD_OK;
}
