/* Section of ptdalgorithms.h; include ptdalgorithms.h, not this file.
 *
 * Distribution functions (distribution.c, poisson.c).
 *
 * Continuous: f(t) = alpha e^{St} s, 1 - F(t) = alpha e^{St} e by exact uniformisation
 * (Jensen 1953; Grassmann 1977): Lambda = max exit rate, P = I + S/Lambda,
 * e^{St} = sum_k Pois(k; Lambda t) P^k.  The vectors v_k = alpha P^k are pulled over the in-edges
 * (O(|E|) per step; absorbing vertices only when per-vertex outputs are asked for: their entries
 * hold the mass absorbed there).  Each step records its scalars (v_k.s, transient mass, tangents;
 * v_k itself for per-vertex outputs); every requested time gets a Fox-Glynn-style truncated,
 * normalised Poisson window, and the recorded steps are added per time in chunks of steps (bounded
 * memory), one sweep for all times.  The sweep stops early once the transient mass is below
 * tol / max(Lambda, 1) (later contributions are then below tol).
 *
 * Discrete (DPH): edge weights are jump probabilities, self-transition 1 - sum(w); v_k = alpha T^k by
 * stepping (Lambda = 1, no Poisson mixing); pmf(k) = v_{k-1}.s (k >= 1), pmf(0) = defect.
 *
 * Gradients with respect to theta (weights = base + coef.theta): tangents y_k = dv_k/dtheta are
 * propagated in the same sweep with Lambda held fixed: y_{k+1} = y_k P + v_k (dS/dtheta_j)/Lambda,
 * y_0 = d alpha/dtheta; the exit rates s depend on theta too.
 */
#ifndef PTD_DISTRIBUTION_H
#define PTD_DISTRIBUTION_H
#include "ptdalgorithms.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Scratch memory of the distribution kernels: grows on demand, reused across calls (no allocation
 * after the first call of a given size).  One per thread. */
typedef struct ptd_dist_ws ptd_dist_ws;
ptd_dist_ws *ptd_dist_ws_create(void);
void ptd_dist_ws_destroy(ptd_dist_ws *ws);

/* One evaluation request.  Outputs that are NULL are not computed.  All outputs are indexed in the
 * caller's order of `times` (no sorting needed by the caller) and are overwritten. */
typedef struct {
    const double *times; /* m times (continuous: finite >= 0; discrete: integer-valued >= 0) */
    size_t m;
    double tol;          /* truncation tolerance, in (0, 0.1]; absolute accuracy of the results */
    int discrete;        /* 0: continuous (weights are rates); 1: DPH (weights are probabilities) */
    /* Optional initial distribution over all n vertices (entry 0 is ignored), replacing alpha from
     * the start edges.  Used by the context for time-inhomogeneous models.  Gradients need NULL. */
    const double *start;
    double *pdf;   /* m: continuous density f(t); discrete pmf P(tau = k) */
    double *sf;    /* m: survival 1 - F(t) = transient mass at t (absorption not yet happened) */
    double *stop;  /* m * n: P(X_t = v); absorbing columns hold the mass absorbed there (incl. defect);
                      column 0 (start) is 0 */
    double *visit; /* m * n, continuous only: integral_0^t P(X_s = v) ds */
    int gradient;  /* 1: also dpdf / dsf with respect to theta (length c->param_length) */
    double *dpdf;  /* m * p */
    double *dsf;   /* m * p */
    /* filled on return */
    double lambda; /* uniformisation rate used (1 for discrete) */
    size_t steps;  /* number of steps swept */
} ptd_dist_query;

/* Evaluate q for the graph with weights for theta (length c->param_length; NULL = the current
 * weights c->weight).  Thread-safe for distinct workspaces.  Errors: invalid times, a starting
 * vertex with no positive weight, a transient vertex with zero total weight, (discrete) out-weights
 * summing to more than 1, a sweep that would need more than PTD_DIST_MAX_WORK edge visits. */
int ptd_distribution(const ptd_csr *c, const double *theta, ptd_dist_query *q, ptd_dist_ws *ws);

#define PTD_DIST_MAX_WORK 2e10

/* Fox-Glynn-style Poisson window (poisson.c): for mean mu >= 0, truncation points L <= R such that
 * the Poisson mass outside [L, R] is below eps, and the weight at L normalised so that the weights
 * on [L, R] sum to 1.  Weights are obtained from the mode outward by the ratio recursion (no lgamma),
 * so their relative accuracy does not degrade for large mu.  Later weights: w(k+1) = w(k) mu/(k+1). */
int ptd_poisson_window(double mu, double eps, int64_t *L, int64_t *R, double *wL);
/* A lower bound for L valid for any eps >= 1e-290 (Chernoff: P(N <= mu - x) <= exp(-x^2 / 2mu)). */
double ptd_poisson_left_bound(double mu);

#ifdef __cplusplus
}
#endif
#endif
