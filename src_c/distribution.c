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
    size_t cap_n, cap_e, cap_np, cap_m, cap_p, cap_rec, cap_rows;
    double *w, *pw;              /* cap_e: weights for theta, weights / Lambda */
    double *diag, *exitr;        /* cap_n */
    double *v, *vn, *C;          /* cap_n: current, next, prefix sum (visiting time) */
    size_t *trans;               /* cap_n: transient vertices */
    double *y, *yn, *dr, *ds;    /* cap_np: tangents, d rate, d exit rate */
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
    free(ws->w), free(ws->pw), free(ws->diag), free(ws->exitr), free(ws->v), free(ws->vn), free(ws->C);
    free(ws->trans), free(ws->y), free(ws->yn), free(ws->dr), free(ws->ds), free(ws->acc);
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
        G(diag, n); G(exitr, n); G(v, n); G(vn, n); G(C, n); G(trans, n);
        if (!rc) ws->cap_n = n;
    }
    if (ne > ws->cap_e) {
        G(w, ne); G(pw, ne);
        if (!rc) ws->cap_e = ne;
    }
    if (n * p > ws->cap_np || !ws->y) {
        G(y, n * p); G(yn, n * p); G(dr, n * p); G(ds, n * p);
        if (!rc) ws->cap_np = n * p;
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

/* Everything that depends on the weights: Lambda, diagonal of P, exit rates, their derivatives,
 * v_0 = alpha (or q->start) and y_0 = d alpha / d theta. */
static int prepare(const ptd_csr *c, const double *w, const ptd_dist_query *q, size_t p, ptd_dist_ws *ws,
                   size_t *n_trans, double *lambda)
{
    size_t n = c->n, nt = 0;
    double lam = 0;
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
        }
        if (!(r > 0))
            return name_state(c, u, "has out-edges but zero total weight, so it never leaves", r);
        if (q->discrete && r > 1 + DPH_SUM_SLACK)
            return name_state(c, u, "has out-probabilities summing to more than 1 (discrete graphs take "
                              "jump probabilities as weights)", r);
        ws->exitr[u] = s;
        ws->diag[u] = r; /* temporarily the total rate */
        ws->trans[nt++] = u;
        if (r > lam)
            lam = r;
    }
    if (q->discrete || lam == 0)
        lam = 1;
    double inv = 1 / lam;
    for (size_t i = 0; i < nt; i++) {
        size_t u = ws->trans[i];
        ws->diag[u] = q->discrete ? 1 - ws->diag[u] : 1 - ws->diag[u] * inv;
    }
    ws->diag[0] = 0;
    ws->exitr[0] = 0;
    for (size_t e = 0; e < c->n_edges; e++)
        ws->pw[e] = w[e] * inv;

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
    if (p) {
        memset(ws->dr, 0, n * p * sizeof *ws->dr);
        memset(ws->ds, 0, n * p * sizeof *ws->ds);
        for (size_t i = 0; i < nt; i++) {
            size_t u = ws->trans[i];
            for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
                if (c->param[e] < 0)
                    continue;
                const double *cf = c->coef + (size_t)c->param[e] * p;
                int ab = ptd_csr_absorbing(c, c->col[e]);
                for (size_t j = 0; j < p; j++) {
                    ws->dr[u * p + j] += cf[j];
                    if (ab)
                        ws->ds[u * p + j] += cf[j];
                }
            }
        }
    }
    *n_trans = nt;
    *lambda = lam;
    return PTD_OK;
}

/* Step scalars of v_k into row[0 .. 2+2p): a = v.s, mass = transient mass, their tangents da, dm;
 * returns the L1 norm of y. */
static double scalars(const ptd_dist_ws *ws, size_t nt, size_t p, double *row)
{
    double sa = 0, sm = 0, yn = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t u = ws->trans[i];
        sa += ws->v[u] * ws->exitr[u];
        sm += ws->v[u];
    }
    row[0] = sa;
    row[1] = sm;
    if (p) {
        double *da = row + 2, *dm = row + 2 + p;
        memset(da, 0, 2 * p * sizeof *da);
        for (size_t i = 0; i < nt; i++) {
            size_t u = ws->trans[i];
            const double *yu = ws->y + u * p, *dsu = ws->ds + u * p;
            double vu = ws->v[u], su = ws->exitr[u];
            for (size_t j = 0; j < p; j++) {
                da[j] += yu[j] * su + vu * dsu[j];
                dm[j] += yu[j];
                yn += fabs(yu[j]);
            }
        }
    }
    return yn;
}

/* v <- v P (and y <- y P + v dP), P = I + S/Lambda (continuous) or T (discrete, inv = 1). */
static void propagate(const ptd_csr *c, ptd_dist_ws *ws, size_t nt, size_t p, double inv)
{
    size_t n = c->n;
    double *v = ws->v, *vn = ws->vn, *y = ws->y, *yn = ws->yn;
    const double *diag = ws->diag, *pw = ws->pw;
    for (size_t u = 0; u < n; u++)
        vn[u] = v[u] * diag[u];
    if (p)
        for (size_t u = 0; u < n; u++) {
            double d = diag[u], vu = v[u] * inv;
            const double *yu = y + u * p, *dru = ws->dr + u * p;
            double *ynu = yn + u * p;
            for (size_t j = 0; j < p; j++)
                ynu[j] = yu[j] * d - vu * dru[j];
        }
    for (size_t i = 0; i < nt; i++) {
        size_t u = ws->trans[i];
        double vu = v[u];
        size_t e0 = c->row[u], e1 = c->row[u + 1];
        if (vu != 0)
            for (size_t e = e0; e < e1; e++)
                vn[c->col[e]] += vu * pw[e];
        if (p) {
            const double *yu = y + u * p;
            double f = vu * inv;
            for (size_t e = e0; e < e1; e++) {
                double *yx = yn + (size_t)c->col[e] * p, pwe = pw[e];
                for (size_t j = 0; j < p; j++)
                    yx[j] += yu[j] * pwe;
                if (c->param[e] >= 0 && f != 0) {
                    const double *cf = c->coef + (size_t)c->param[e] * p;
                    for (size_t j = 0; j < p; j++)
                        yx[j] += cf[j] * f;
                }
            }
        }
    }
    /* Flush values that decayed below 1e-280 to zero: subnormal arithmetic is ~100x slower and
     * long sweeps on stiff models otherwise end up spending most time on them. */
    for (size_t u = 0; u < n; u++)
        if (fabs(vn[u]) < TINY)
            vn[u] = 0;
    for (size_t i = 0; i < n * p; i++)
        if (fabs(yn[i]) < TINY)
            yn[i] = 0;
    ws->v = vn;
    ws->vn = v;
    ws->y = yn;
    ws->yn = y;
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
        double x = T->cur, cum = T->cum, sP = T->sP, mu = T->mu;
        memset(acc, 0, ns * sizeof *acc);
        for (int64_t k = ks; k <= ke; k++) {
            const double *row = ws->rec + (size_t)(k - k0) * width;
            for (size_t j = 0; j < ns; j++)
                acc[j] += x * row[j];
            if (q->stop) {
                double *out = q->stop + i * n;
                for (size_t u = 1; u < n; u++)
                    out[u] += x * row[ns + u];
            }
            cum += x;
            if (q->visit) {
                if (k == T->L)
                    add_visit(q, row + ns + n, n, i, inv);
                double P = cum < 1 ? 1 - cum : 0;
                sP += P;
                add_visit(q, row + ns, n, i, P * inv);
            }
            x *= mu * ws->rinv[k - k0];
        }
        T->cur = x;
        T->cum = cum;
        T->sP = sP;
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
static int sweep_continuous(const ptd_csr *c, ptd_dist_query *q, ptd_dist_ws *ws, size_t nt, size_t p,
                            double lam, size_t width, size_t cap_rows)
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
        double ynorm = scalars(ws, nt, p, row), mass = row[1];
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
        propagate(c, ws, nt, p, inv);
    }
}

/* Discrete sweep: P(tau = k) = v_{k-1}.s needs the previous step's scalars: rows 0 and 1 of the
 * record alternate between the current and the previous step. */
static int sweep_discrete(const ptd_csr *c, ptd_dist_query *q, ptd_dist_ws *ws, size_t nt, size_t p,
                          size_t width)
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
        double ynorm = scalars(ws, nt, p, row), a = row[0], mass = row[1];
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
        propagate(c, ws, nt, p, 1);
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
    size_t nt;
    double lam;
    rc = prepare(c, w, q, p, ws, &nt, &lam);
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
    return q->discrete ? sweep_discrete(c, q, ws, nt, p, width) : sweep_continuous(c, q, ws, nt, p, lam, width, rows);
}
