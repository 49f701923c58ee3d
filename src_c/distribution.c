/* distribution.c — pdf/cdf/stop probabilities by exact uniformisation, DPH pmf/cdf by stepping, and
 * their exact theta-gradients by tangent propagation in the same sweep.  See ptd_distribution.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ptdalgorithms.h"

/* Slack allowed on a DPH vertex's total out-probability above 1 (rounding of user input). */
#define DPH_SUM_SLACK 1e-12
/* Below this, probabilities and tangents are set to zero (avoids subnormal arithmetic). */
#define TINY 1e-280

/* Recorded steps are accumulated into the outputs in chunks of about this many doubles (or at
 * least MIN_ROWS steps), so memory stays bounded however many steps the sweep takes. */
#define CHUNK_DOUBLES 32768
#define MIN_ROWS 16

/* Per requested time: its Poisson window [L, R] and the state of its accumulation so far. */
typedef struct {
    double mu;   /* Lambda * t */
    double cur;  /* Poisson weight of the next step to accumulate */
    double cum;  /* weights used so far */
    double sP;   /* sum over used steps of P(N > k) */
    int64_t L, R;
} tstate;

typedef struct {
    double t;
    size_t i;
} tkey;

struct ptd_dist_ws {
    size_t cap_n, cap_e, cap_ep, cap_np, cap_m, cap_p, cap_rec, cap_rows;
    double *w;                   /* cap_e: weights for theta */
    size_t *in_row;              /* cap_n + 1: in-edges of x are in_row[x] .. in_row[x+1]-1 */
    size_t *in_src;              /* cap_e: their sources */
    double *in_pw, *in_dpw;      /* cap_e, cap_e * cap_p: their entries of P and dP/dtheta */
    double *diag, *exitr;        /* cap_n */
    double *v, *vn, *C;          /* cap_n: current, next, prefix sum (visiting time) */
    size_t *vert;                /* cap_n: transient vertices, then absorbing ones */
    double *y, *yn, *ddiag, *ds; /* cap_np: tangents, diagonal of dP/dtheta, d exit rate */
    double *acc;                 /* cap_p: 2 + 2p accumulators */
    /* Record of the last `rows` steps, one row of `width` doubles per step k:
     *   [a_k = v_k.s, mass_k, da_k (p), dm_k (p), v_k (n, if stop or visit), C_k (n, if visit)]
     * with C_k = sum_{j<k} v_j; rinv[r] = 1/(k+1) for the step of row r. */
    double *rec, *rinv;          /* cap_rec, cap_rows */
    tstate *ts;                  /* cap_m */
    tkey *order;                 /* cap_m */
    size_t *live;                /* cap_m */
};

ptd_dist_ws *ptd_dist_ws_create(void)
{
    ptd_dist_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        ptd_error(PTD_ENOMEM, "out of memory");
    return ws;
}

void ptd_dist_ws_destroy(ptd_dist_ws *ws)
{
    if (!ws)
        return;
    free(ws->w), free(ws->in_row), free(ws->in_src), free(ws->in_pw), free(ws->in_dpw), free(ws->diag);
    free(ws->exitr), free(ws->v), free(ws->vn), free(ws->C), free(ws->vert), free(ws->y), free(ws->yn);
    free(ws->ddiag), free(ws->ds), free(ws->acc);
    free(ws->rec), free(ws->rinv), free(ws->ts), free(ws->order), free(ws->live);
    free(ws);
}

/* Grow *p to hold `need` elements of size sz (at least 1). */
static int grow(void **p, size_t need, size_t sz)
{
    void *q = realloc(*p, (need ? need : 1) * sz);
    if (!q)
        return ptd_error(PTD_ENOMEM, "out of memory");
    *p = q;
    return PTD_OK;
}

static int ws_reserve(ptd_dist_ws *ws, size_t n, size_t ne, size_t p, size_t m, size_t width, size_t rows)
{
    int rc = PTD_OK;
#define G(field, cnt) \
    if (!rc) rc = grow((void **)&ws->field, cnt, sizeof *ws->field)
    if (n > ws->cap_n) {
        G(diag, n); G(exitr, n); G(v, n); G(vn, n); G(C, n); G(vert, n); G(in_row, n + 1);
        if (!rc) ws->cap_n = n;
    }
    if (ne > ws->cap_e) {
        G(w, ne); G(in_src, ne); G(in_pw, ne);
        if (!rc) ws->cap_e = ne;
    }
    if (n * p > ws->cap_np || !ws->y) {
        G(y, n * p); G(yn, n * p); G(ddiag, n * p); G(ds, n * p);
        if (!rc) ws->cap_np = n * p;
    }
    if (ne * p > ws->cap_ep || !ws->in_dpw) {
        G(in_dpw, ne * p);
        if (!rc) ws->cap_ep = ne * p;
    }
    if (p > ws->cap_p || !ws->acc) {
        G(acc, 2 + 2 * p);
        if (!rc) ws->cap_p = p;
    }
    if (width * rows > ws->cap_rec) {
        G(rec, width * rows);
        if (!rc) ws->cap_rec = width * rows;
    }
    if (rows > ws->cap_rows) {
        G(rinv, rows);
        if (!rc) ws->cap_rows = rows;
    }
    if (m > ws->cap_m || !ws->ts) {
        G(ts, m); G(order, m); G(live, m);
        if (!rc) ws->cap_m = m;
    }
#undef G
    return rc;
}

static int cmp_tkey(const void *a, const void *b)
{
    const tkey *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static int name_state(const ptd_csr *c, size_t v, const char *what, double val)
{
    char buf[256];
    ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
    return ptd_error(PTD_EINVAL, "the vertex with state%s %s (%.17g)", buf, what, val);
}

/* Everything that depends on the weights: Lambda, the transient vertices (then the absorbing ones) in
 * ws->vert, exit rates and their derivatives ds, the matrix P = I + S/Lambda (continuous) or T
 * (discrete) by in-edges (in_row/in_src/in_pw; diagonal diag) with its derivative dP (in_dpw,
 * ddiag), v_0 = alpha (or q->start) and y_0 = d alpha / d theta.  Edges out of the start are not in
 * P (the start holds no mass). */
static int prepare(const ptd_csr *c, const double *w, const ptd_dist_query *q, size_t p, ptd_dist_ws *ws,
                   size_t *n_trans, size_t *n_abs, double *lambda)
{
    size_t n = c->n, nt = 0, na = 0;
    double lam = 0;
    memset(ws->in_row, 0, (n + 1) * sizeof *ws->in_row);
    for (size_t u = 1; u < n; u++) {
        ws->exitr[u] = 0;
        ws->diag[u] = 1;
        if (c->row[u] == c->row[u + 1])
            continue;
        double r = 0, s = 0;
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
            r += w[e];
            if (ptd_csr_absorbing(c, c->col[e]))
                s += w[e];
            ws->in_row[c->col[e] + 1]++;
        }
        if (!(r > 0))
            return name_state(c, u, "has out-edges but zero total weight, so it never leaves", r);
        if (q->discrete && r > 1 + DPH_SUM_SLACK)
            return name_state(c, u, "has out-probabilities summing to more than 1 (discrete graphs take "
                              "jump probabilities as weights)", r);
        ws->exitr[u] = s;
        ws->diag[u] = r; /* temporarily the total rate */
        ws->vert[nt++] = u;
        if (r > lam)
            lam = r;
    }
    for (size_t u = 1; u < n; u++)
        if (ptd_csr_absorbing(c, u))
            ws->vert[nt + na++] = u;
    if (q->discrete || lam == 0)
        lam = 1;
    double inv = 1 / lam;
    for (size_t i = 0; i < nt; i++) {
        size_t u = ws->vert[i];
        ws->diag[u] = q->discrete ? 1 - ws->diag[u] : 1 - ws->diag[u] * inv;
    }
    ws->diag[0] = 0;
    ws->exitr[0] = 0;

    /* In-edges of every vertex from the transient vertices (counting sort by target; in_row[x] is
     * used as the fill cursor of x, then shifted back). */
    for (size_t x = 0; x < n; x++)
        ws->in_row[x + 1] += ws->in_row[x];
    if (p) {
        memset(ws->ddiag, 0, n * p * sizeof *ws->ddiag);
        memset(ws->ds, 0, n * p * sizeof *ws->ds);
    }
    for (size_t i = 0; i < nt; i++) {
        size_t u = ws->vert[i];
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
            size_t x = c->col[e], pos = ws->in_row[x]++;
            ws->in_src[pos] = u;
            ws->in_pw[pos] = w[e] * inv;
            if (!p)
                continue;
            const double *cf = c->param[e] >= 0 ? c->coef + (size_t)c->param[e] * p : NULL;
            int ab = ptd_csr_absorbing(c, x);
            for (size_t j = 0; j < p; j++) {
                double d = cf ? cf[j] : 0;
                ws->in_dpw[pos * p + j] = d * inv;
                ws->ddiag[u * p + j] -= d * inv;
                if (ab)
                    ws->ds[u * p + j] += d;
            }
        }
    }
    for (size_t x = n; x > 0; x--)
        ws->in_row[x] = ws->in_row[x - 1];
    ws->in_row[0] = 0;

    /* v_0 */
    memset(ws->v, 0, n * sizeof *ws->v);
    if (q->start) {
        for (size_t u = 1; u < n; u++) {
            if (!isfinite(q->start[u]) || q->start[u] < 0)
                return ptd_error(PTD_EINVAL, "initial probability %g of vertex %zu is not finite and "
                                 ">= 0", q->start[u], u);
            ws->v[u] = q->start[u];
        }
    } else {
        double W0 = 0;
        for (size_t e = c->row[0]; e < c->row[1]; e++)
            W0 += w[e];
        if (!(W0 > 0))
            return ptd_error(PTD_EINVAL, "the starting vertex has no out-edge of positive weight: add an "
                             "edge from g.starting_vertex() to the first state");
        for (size_t e = c->row[0]; e < c->row[1]; e++)
            ws->v[c->col[e]] += w[e] / W0;
        if (p) {
            /* d alpha_u = (dw_e - alpha_u dW0) / W0 */
            double *dW0 = ws->acc;
            memset(dW0, 0, p * sizeof *dW0);
            memset(ws->y, 0, n * p * sizeof *ws->y);
            for (size_t e = c->row[0]; e < c->row[1]; e++)
                if (c->param[e] >= 0)
                    for (size_t j = 0; j < p; j++)
                        dW0[j] += c->coef[(size_t)c->param[e] * p + j];
            for (size_t e = c->row[0]; e < c->row[1]; e++) {
                double *yu = ws->y + (size_t)c->col[e] * p, a = w[e] / W0;
                const double *cf = c->param[e] >= 0 ? c->coef + (size_t)c->param[e] * p : NULL;
                for (size_t j = 0; j < p; j++)
                    yu[j] += ((cf ? cf[j] : 0) - a * dW0[j]) / W0;
            }
        }
    }
    *n_trans = nt;
    *n_abs = na;
    *lambda = lam;
    return PTD_OK;
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* One step, pulling over in-edges: v_{k+1}[x] = v[x] P_xx + sum_{u->x} v[u] P_ux and
 * y_{k+1} = y_k P + v_k dP for the first nv vertices of ws->vert; on the way, the step scalars of
 * v_k for the transient ones (the first nt) into row[0 .. 2+2p): a = v.s, mass, da, dm.  Values
 * below TINY are flushed to zero.  Returns the L1 norm of y_k.  (Inlined with p constant for
 * p = 0 and 1, the common cases, so the loops over p vanish.) */
static ALWAYS_INLINE double step_p(const ptd_dist_ws *ws, size_t nt, size_t nv, size_t p, double *row)
{
    const double *v = ws->v, *y = ws->y, *diag = ws->diag, *exitr = ws->exitr;
    const size_t *in_row = ws->in_row, *in_src = ws->in_src;
    const double *in_pw = ws->in_pw, *in_dpw = ws->in_dpw, *ddiag = ws->ddiag, *ds = ws->ds;
    double *vn = ws->vn, *yn = ws->yn, *da = row + 2, *dm = row + 2 + p;
    double sa = 0, sm = 0, ynorm = 0;
    for (size_t j = 0; j < p; j++)
        da[j] = dm[j] = 0;
    for (size_t i = 0; i < nv; i++) {
        size_t x = ws->vert[i], e0 = in_row[x], e1 = in_row[x + 1];
        double vx = v[x], s = vx * diag[x];
        for (size_t e = e0; e < e1; e++)
            s += v[in_src[e]] * in_pw[e];
        vn[x] = fabs(s) < TINY ? 0 : s;
        if (i < nt) {
            sa += vx * exitr[x];
            sm += vx;
        }
        for (size_t j = 0; j < p; j++) {
            double yx = y[x * p + j], t = yx * diag[x] + vx * ddiag[x * p + j];
            for (size_t e = e0; e < e1; e++)
                t += y[in_src[e] * p + j] * in_pw[e] + v[in_src[e]] * in_dpw[e * p + j];
            yn[x * p + j] = fabs(t) < TINY ? 0 : t;
            if (i < nt) {
                da[j] += yx * exitr[x] + vx * ds[x * p + j];
                dm[j] += yx;
                ynorm += fabs(yx);
            }
        }
    }
    row[0] = sa;
    row[1] = sm;
    return ynorm;
}

static double step(const ptd_dist_ws *ws, size_t nt, size_t nv, size_t p, double *row)
{
    return p == 0 ? step_p(ws, nt, nv, 0, row) : p == 1 ? step_p(ws, nt, nv, 1, row)
                                                        : step_p(ws, nt, nv, p, row);
}

/* The step is done: v_{k+1}, y_{k+1} become current. */
static void swap_step(ptd_dist_ws *ws)
{
    double *t = ws->v;
    ws->v = ws->vn;
    ws->vn = t;
    t = ws->y;
    ws->y = ws->yn;
    ws->yn = t;
}

/* Add x times a recorded step (row) to time i's outputs: pdf += x a, sf += x mass, gradients, and
 * stop += x v. */
static void add_row(const ptd_dist_query *q, size_t n, size_t p, size_t i, double x, const double *row)
{
    if (q->pdf)
        q->pdf[i] += x * row[0];
    if (q->sf)
        q->sf[i] += x * row[1];
    if (q->dpdf)
        for (size_t j = 0; j < p; j++)
            q->dpdf[i * p + j] += x * row[2 + j];
    if (q->dsf)
        for (size_t j = 0; j < p; j++)
            q->dsf[i * p + j] += x * row[2 + p + j];
    if (q->stop) {
        double *out = q->stop + i * n;
        const double *v = row + 2 + 2 * p;
        for (size_t u = 1; u < n; u++)
            out[u] += x * v[u];
    }
}

static void add_visit(const ptd_dist_query *q, const double *vec, size_t n, size_t i, double x)
{
    double *out = q->visit + i * n;
    for (size_t u = 1; u < n; u++)
        out[u] += x * vec[u];
}

/* Weighted sums of `cnt` recorded rows for one window: acc[j] = sum_r w_r row_r[j] (j < ns) with the
 * Poisson weights w_{r+1} = w_r mu/(k+1) = w_r mu rinv[r], starting at *x; *x becomes the next
 * weight and *cum grows by the weights used.  Inlined with ns constant for p = 0 and 1 (sums in
 * registers: this is the innermost loop over all (time, step) pairs). */
static ALWAYS_INLINE void window_sums(const double *row, size_t width, const double *rinv, size_t cnt,
                                      double mu, double *x, double *cum, size_t ns, double *acc)
{
    double s[4] = {0, 0, 0, 0}, w = *x, c = *cum;
    for (size_t j = 0; j < ns; j++)
        acc[j] = 0;
    for (size_t r = 0; r < cnt; r++, row += width) {
        if (ns <= 4)
            for (size_t j = 0; j < ns; j++)
                s[j] += w * row[j];
        else
            for (size_t j = 0; j < ns; j++)
                acc[j] += w * row[j];
        c += w;
        w *= mu * rinv[r];
    }
    if (ns <= 4)
        for (size_t j = 0; j < ns; j++)
            acc[j] = s[j];
    *x = w;
    *cum = c;
}

/* Accumulate the recorded steps k0 .. k0+rows-1 into every open window, with its Poisson weights
 * w(k+1) = w(k) mu/(k+1): time i gets sum_k w_i(k) row_k, and (visit) sum_k P(N_i > k) v_k / Lambda,
 * where the steps before its window contribute C_L / Lambda.  Windows that end here are closed. */
static void flush(const ptd_dist_query *q, ptd_dist_ws *ws, size_t n, size_t p, size_t width, double inv,
                  int64_t k0, size_t rows, size_t *nlive)
{
    size_t ns = 2 + 2 * p;
    double *acc = ws->acc;
    for (size_t l = 0; l < *nlive;) {
        size_t i = ws->live[l];
        tstate *T = ws->ts + i;
        int64_t ks = T->L > k0 ? T->L : k0, ke = k0 + (int64_t)rows - 1;
        if (ke > T->R)
            ke = T->R;
        if (ks > ke) {
            l++;
            continue;
        }
        /* scalar outputs */
        double x = T->cur, cum = T->cum, mu = T->mu;
        const double *row0 = ws->rec + (size_t)(ks - k0) * width, *rinv = ws->rinv + (ks - k0);
        size_t cnt = (size_t)(ke - ks + 1);
        if (ns == 2)
            window_sums(row0, width, rinv, cnt, mu, &x, &cum, 2, acc);
        else if (ns == 4)
            window_sums(row0, width, rinv, cnt, mu, &x, &cum, 4, acc);
        else
            window_sums(row0, width, rinv, cnt, mu, &x, &cum, ns, acc);
        if (q->pdf)
            q->pdf[i] += acc[0];
        if (q->sf)
            q->sf[i] += acc[1];
        if (q->dpdf)
            for (size_t j = 0; j < p; j++)
                q->dpdf[i * p + j] += acc[2 + j];
        if (q->dsf)
            for (size_t j = 0; j < p; j++)
                q->dsf[i * p + j] += acc[2 + p + j];
        /* per-vertex outputs, with the same weights again */
        if (q->stop || q->visit) {
            double w = T->cur, c = T->cum;
            for (int64_t k = ks; k <= ke; k++) {
                const double *row = ws->rec + (size_t)(k - k0) * width;
                if (q->stop) {
                    double *out = q->stop + i * n;
                    for (size_t u = 1; u < n; u++)
                        out[u] += w * row[ns + u];
                }
                c += w;
                if (q->visit) {
                    if (k == T->L)
                        add_visit(q, row + ns + n, n, i, inv);
                    double P = c < 1 ? 1 - c : 0;
                    T->sP += P;
                    add_visit(q, row + ns, n, i, P * inv);
                }
                w *= mu * ws->rinv[k - k0];
            }
        }
        T->cur = x;
        T->cum = cum;
        if (ke == T->R)
            ws->live[l] = ws->live[--(*nlive)];
        else
            l++;
    }
}

static int too_much_work(size_t steps, size_t n, size_t ne, size_t p, double lam)
{
    return ptd_error(PTD_EMATH, "uniformisation needs more than %zu steps (rate %g) over %zu vertices and "
                     "%zu edges (%zu parameters): the model is too stiff for these times",
                     steps, lam, n, ne, p);
}

/* Continuous sweep: step k records row k (scalars of v_k, and v_k, C_k for per-vertex outputs); the
 * windows of the times are opened as k reaches their left bound, and the recorded rows are added to
 * the outputs per time, a chunk of rows at a time (flush). */
static int sweep_continuous(const ptd_csr *c, ptd_dist_query *q, ptd_dist_ws *ws, size_t nt, size_t nv,
                            size_t p, double lam, size_t width, size_t cap_rows)
{
    size_t n = c->n, m = q->m, next = 0, nlive = 0, rows = 0, ns = 2 + 2 * p;
    int64_t k0 = 0, maxR = 0;
    double inv = 1 / lam, thr = q->tol / (lam > 1 ? lam : 1);
    double unit = (double)(n + c->n_edges) * (double)(1 + p);
    for (size_t i = 0; i < m; i++) {
        ws->order[i].t = q->times[i];
        ws->order[i].i = i;
        ws->ts[i].mu = lam * q->times[i];
    }
    qsort(ws->order, m, sizeof *ws->order, cmp_tkey);
    if (q->visit)
        memset(ws->C, 0, n * sizeof *ws->C);
    for (size_t k = 0;; k++) {
        double *row = ws->rec + rows * width;
        double ynorm = step(ws, nt, nv, p, row), mass = row[1];
        if (q->stop || q->visit)
            memcpy(row + ns, ws->v, n * sizeof *ws->v);
        if (q->visit) {
            memcpy(row + ns + n, ws->C, n * sizeof *ws->C);
            for (size_t u = 1; u < n; u++)
                ws->C[u] += ws->v[u];
        }
        ws->rinv[rows++] = 1 / (double)(k + 1);
        /* Times whose window may start here (L >= left bound >= k). */
        while (next < m && ptd_poisson_left_bound(ws->ts[ws->order[next].i].mu) <= (double)k) {
            size_t i = ws->order[next++].i;
            tstate *T = ws->ts + i;
            /* pdf terms v_k.s are up to Lambda: truncate at tol / Lambda so the pdf is within tol */
            int rc = ptd_poisson_window(T->mu, thr, &T->L, &T->R, &T->cur);
            if (rc)
                return rc;
            T->cum = T->sP = 0;
            if (T->R > maxR)
                maxR = T->R;
            ws->live[nlive++] = i;
        }
        q->steps = k + 1;
        int done = next == m && (int64_t)k >= maxR, early = mass < thr && ynorm < thr;
        if (done || early || rows == cap_rows) {
            flush(q, ws, n, p, width, inv, k0, rows, &nlive);
            k0 += (int64_t)rows;
            rows = 0;
        }
        if (done)
            return PTD_OK;
        if (early) {
            /* Early stop: later v_k change by less than the remaining transient mass; use v_k (this
             * row) for the rest of every window (exact for the absorbed mass, error < tol elsewhere). */
            for (size_t l = 0; l < nlive + (m - next); l++) {
                size_t i = l < nlive ? ws->live[l] : ws->order[next + (l - nlive)].i;
                tstate *T = ws->ts + i;
                int started = l < nlive && (int64_t)k >= T->L;
                double rem = started ? (T->cum < 1 ? 1 - T->cum : 0) : 1;
                /* sum_{j>k} P(N > j) = mu - sum_{j<=k} P(N > j) */
                double remP = started ? T->mu - (double)T->L - T->sP : T->mu - (double)(k + 1);
                add_row(q, n, p, i, rem, row);
                if (q->visit) {
                    if (!started)
                        add_visit(q, ws->C, n, i, inv);
                    add_visit(q, ws->v, n, i, (remP > 0 ? remP : 0) * inv);
                }
            }
            return PTD_OK;
        }
        if ((double)(k + 1) * unit > PTD_DIST_MAX_WORK)
            return too_much_work(k + 1, n, c->n_edges, p, lam);
        swap_step(ws);
    }
}

/* Discrete sweep: P(tau = k) = v_{k-1}.s needs the previous step's scalars: rows 0 and 1 of the
 * record alternate between the current and the previous step. */
static int sweep_discrete(const ptd_csr *c, ptd_dist_query *q, ptd_dist_ws *ws, size_t nt, size_t nv,
                          size_t p, size_t width)
{
    size_t n = c->n, m = q->m, next = 0;
    double unit = (double)(n + c->n_edges) * (double)(1 + p);
    for (size_t i = 0; i < m; i++) {
        ws->order[i].t = q->times[i];
        ws->order[i].i = i;
    }
    qsort(ws->order, m, sizeof *ws->order, cmp_tkey);
    memset(ws->rec + width, 0, (2 + 2 * p) * sizeof *ws->rec);
    for (size_t k = 0; next < m; k++) {
        double *row = ws->rec + (k & 1) * width, *prev = ws->rec + ((k + 1) & 1) * width;
        double ynorm = step(ws, nt, nv, p, row), a = row[0], mass = row[1];
        const double *da = row + 2, *dm = row + 2 + p, *dap = prev + 2;
        int stop_now = mass < q->tol && ynorm < q->tol;
        while (next < m && (ws->order[next].t == (double)k || stop_now)) {
            size_t i = ws->order[next++].i;
            int here = q->times[i] == (double)k;
            if (q->sf)
                q->sf[i] = mass;
            if (q->stop)
                memcpy(q->stop + i * n + 1, ws->v + 1, (n - 1) * sizeof *ws->v);
            /* pmf(0) = defect = 1 - mass; pmf(k) = v_{k-1}.s; pmf(k+1) = v_k.s; beyond: < tol */
            if (q->pdf)
                q->pdf[i] = k == 0 && here ? 1 - mass : here ? prev[0] : q->times[i] == (double)(k + 1) ? a : 0;
            for (size_t j = 0; j < p; j++) {
                if (q->dsf)
                    q->dsf[i * p + j] = dm[j];
                if (q->dpdf)
                    q->dpdf[i * p + j] = k == 0 && here ? -dm[j]
                                         : here                                ? dap[j]
                                         : q->times[i] == (double)(k + 1)      ? da[j]
                                                                               : 0;
            }
        }
        q->steps = k + 1;
        if (next == m)
            break;
        if ((double)(k + 1) * unit > PTD_DIST_MAX_WORK)
            return too_much_work(k + 1, n, c->n_edges, p, 1);
        swap_step(ws);
    }
    return PTD_OK;
}

int ptd_distribution(const ptd_csr *c, const double *theta, ptd_dist_query *q, ptd_dist_ws *ws)
{
    size_t n = c->n, ne = c->n_edges, m = q->m;
    size_t p = q->gradient ? c->param_length : 0;
    q->lambda = 0;
    q->steps = 0;
    if (!(q->tol > 0 && q->tol <= 0.1))
        return ptd_error(PTD_EINVAL, "tol must be in (0, 0.1], got %g", q->tol);
    if (q->gradient && q->start)
        return ptd_error(PTD_EINVAL, "gradients are not available from a given initial vector");
    if (q->discrete && q->visit)
        return ptd_error(PTD_EINVAL, "accumulated visiting time is defined for continuous graphs only");
    for (size_t i = 0; i < m; i++) {
        double t = q->times[i];
        if (!(t >= 0) || !isfinite(t))
            return ptd_error(PTD_EINVAL, "%s must be finite and non-negative, got %g at index %zu",
                             q->discrete ? "jump count" : "time", t, i);
        if (q->discrete && (t != floor(t) || t > 9.0e15))
            return ptd_error(PTD_EINVAL, "jump count must be a non-negative integer, got %.17g at index %zu",
                             t, i);
    }
    /* record layout (see ptd_dist_ws) and rows per chunk; the discrete sweep uses two rows */
    size_t width = 2 + 2 * p + (q->stop || q->visit ? n : 0) + (q->visit ? n : 0);
    size_t rows = CHUNK_DOUBLES / width > MIN_ROWS ? CHUNK_DOUBLES / width : MIN_ROWS;
    int rc = ws_reserve(ws, n, ne, p, m, width, rows);
    if (rc)
        return rc;
    const double *w = c->weight;
    if (theta && c->param_length) {
        rc = ptd_csr_weights(c, theta, ws->w);
        if (rc)
            return rc;
        w = ws->w;
    }
    size_t nt, na;
    double lam;
    rc = prepare(c, w, q, p, ws, &nt, &na, &lam);
    if (rc)
        return rc;
    q->lambda = lam;
    if (q->pdf)
        memset(q->pdf, 0, m * sizeof *q->pdf);
    if (q->sf)
        memset(q->sf, 0, m * sizeof *q->sf);
    if (q->stop)
        memset(q->stop, 0, m * n * sizeof *q->stop);
    if (q->visit)
        memset(q->visit, 0, m * n * sizeof *q->visit);
    if (p && q->dpdf)
        memset(q->dpdf, 0, m * p * sizeof *q->dpdf);
    if (p && q->dsf)
        memset(q->dsf, 0, m * p * sizeof *q->dsf);
    if (m == 0)
        return PTD_OK;
    /* absorbing vertices are stepped only for the per-vertex outputs */
    size_t nv = nt + (q->stop || q->visit ? na : 0);
    return q->discrete ? sweep_discrete(c, q, ws, nt, nv, p, width)
                       : sweep_continuous(c, q, ws, nt, nv, p, lam, width, rows);
}
