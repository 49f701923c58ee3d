/* moments.c — moments, covariances and their exact theta-gradients by replaying the elimination program.
 *
 * U = A^{-1} is applied by ptd_program_solve.  Rewards r are zero on the start and absorbing vertices.
 * Continuous (Bladt & Nielsen, Thm 8.1.5):  m_0 = 1,  m_k = k U (r o m_{k-1}),  E[Y^k] = m_k(start),
 *     E[Y_a Y_b] = (U (r_a o U r_b + r_b o U r_a))(start).
 * Discrete (Y = sum_{n<tau} r(X_n)): conditioning on the first step, with T m_0 = 1 and, for j >= 1,
 *     (I - T) m_j = b_j,  b_k = sum_{j<k} C(k,j) r^{k-j} o (T m_j),  T m_j = m_j - b_j,
 *     E[Y_a Y_b | v] = U (r_a o e_b + r_b o e_a - r_a o r_b),  e_a = U r_a.
 * Gradients (forward mode): with A_j = dA/dtheta_j, (A_j m)_u = sum over parameterised out-edges e = u->z of
 * c_ej (m_u - m_z) (m_z = 0 at absorbing z), and dm_k = U(k r o dm_{k-1} - A_j m_k) (continuous),
 * dm_k = U(db_k - A_j m_k) (discrete).  The start vertex is an ordinary row of A, so the dependence of
 * alpha on theta is included.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ptdalgorithms.h"

struct ptd_moment_ws {
    size_t n, k;
    double *w;     /* n_edges */
    double *R;     /* registers */
    double *r;     /* n: masked rewards */
    double *m;     /* (k+1) x n */
    double *b;     /* (k+1) x n (discrete) */
    double *dm;    /* (k+1) x n */
    double *db;    /* (k+1) x n */
    double *t;     /* n */
    double *binom; /* (k+1) x (k+1) */
};

void ptd_moment_ws_destroy(ptd_moment_ws *ws)
{
    if (!ws)
        return;
    free(ws->w);
    free(ws->R);
    free(ws->r);
    free(ws->m);
    free(ws->b);
    free(ws->dm);
    free(ws->db);
    free(ws->t);
    free(ws->binom);
    free(ws);
}

ptd_moment_ws *ptd_moment_ws_create(const ptd_csr *c, const ptd_program *prog, size_t k)
{
    ptd_moment_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        goto fail;
    size_t n = c->n, kk = (k < 2 ? 2 : k) + 1;
    ws->n = n;
    ws->k = k;
    ws->w = malloc((c->n_edges ? c->n_edges : 1) * sizeof(double));
    ws->R = malloc((ptd_program_n_registers(prog) + 1) * sizeof(double));
    ws->r = malloc(n * sizeof(double));
    ws->m = malloc(kk * n * sizeof(double));
    ws->b = malloc(kk * n * sizeof(double));
    ws->dm = malloc(kk * n * sizeof(double));
    ws->db = malloc(kk * n * sizeof(double));
    ws->t = malloc(n * sizeof(double));
    ws->binom = malloc(kk * kk * sizeof(double));
    if (!ws->w || !ws->R || !ws->r || !ws->m || !ws->b || !ws->dm || !ws->db || !ws->t || !ws->binom)
        goto fail;
    for (size_t i = 0; i < kk; i++) {
        double *row = ws->binom + i * kk;
        row[0] = 1;
        for (size_t j = 1; j <= i; j++)
            row[j] = row[j - 1] * (double)(i - j + 1) / (double)j;
    }
    return ws;
fail:
    ptd_moment_ws_destroy(ws);
    ptd_error(PTD_ENOMEM, "out of memory allocating a moment workspace");
    return NULL;
}

int ptd_check_discrete(const ptd_csr *c, const double *w)
{
    for (size_t v = 1; v < c->n; v++) {
        double s = 0;
        for (size_t e = c->row[v]; e < c->row[v + 1]; e++)
            s += w[e];
        if (s > 1 + 1e-12) {
            char buf[256];
            ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
            return ptd_error(PTD_EINVAL, "discrete graph: the out-probabilities of vertex %zu with state%s "
                             "sum to %.17g > 1", v, buf, s);
        }
    }
    return PTD_OK;
}

static void mask_rewards(const ptd_csr *c, const double *rewards, double *r)
{
    for (size_t v = 0; v < c->n; v++)
        r[v] = (v == 0 || ptd_csr_absorbing(c, v)) ? 0.0 : (rewards ? rewards[v] : 1.0);
}

/* b = sum_{j<k} C(k,j) r^{k-j} o Tm_j with Tm_0 = 1 and Tm_j = m_j - b_j (tangents: dTm_0 = 0) */
static void discrete_rhs(const ptd_moment_ws *ws, size_t k, const double *m, const double *b, int tangent,
                         double *out)
{
    size_t n = ws->n, kk = (ws->k < 2 ? 2 : ws->k) + 1;
    const double *C = ws->binom + k * kk;
    for (size_t v = 0; v < n; v++) {
        double rv = ws->r[v], rp = 1, s = 0;
        if (rv == 0) {
            out[v] = 0;
            continue;
        }
        for (size_t j = k; j-- > 0;) {
            rp *= rv;
            double tm = j == 0 ? (tangent ? 0.0 : 1.0) : m[j * n + v] - b[j * n + v];
            s += C[j] * rp * tm;
        }
        out[v] = s;
    }
}

/* m_1..m_k (and b_1..b_k when discrete) from loaded registers */
static void moment_vectors(const ptd_csr *c, const ptd_program *prog, ptd_moment_ws *ws, size_t k,
                           int discrete)
{
    size_t n = c->n;
    double *m = ws->m, *r = ws->r;
    for (size_t v = 0; v < n; v++)
        m[v] = ptd_csr_absorbing(c, v) ? 0.0 : 1.0;
    for (size_t i = 1; i <= k; i++) {
        double *x = m + i * n;
        if (discrete) {
            discrete_rhs(ws, i, m, ws->b, 0, ws->b + i * n);
            memcpy(x, ws->b + i * n, n * sizeof(double));
        } else {
            for (size_t v = 0; v < n; v++)
                x[v] = (double)i * r[v] * m[(i - 1) * n + v];
        }
        ptd_program_solve(prog, ws->R, x);
    }
}

int ptd_moments(const ptd_csr *c, const ptd_program *prog, const double *w, const double *rewards,
                size_t k, int discrete, ptd_moment_ws *ws, double *out, double *vertex_out)
{
    int rc;
    if (k > ws->k)
        return ptd_error(PTD_EINVAL, "workspace holds %zu moments, %zu requested", ws->k, k);
    if (!w)
        w = c->weight;
    if (discrete && (rc = ptd_check_discrete(c, w)) < 0)
        return rc;
    if ((rc = ptd_program_load(prog, c, w, ws->R)) < 0)
        return rc;
    mask_rewards(c, rewards, ws->r);
    moment_vectors(c, prog, ws, k, discrete);
    size_t n = c->n;
    for (size_t i = 0; i < k; i++)
        out[i] = ws->m[(i + 1) * n];
    if (vertex_out)
        memcpy(vertex_out, ws->m + n, k * n * sizeof(double));
    return PTD_OK;
}

/* t -= A_j m */
static void sub_Aj(const ptd_csr *c, size_t j, const double *m, double *t)
{
    size_t p = c->param_length;
    for (size_t u = 0; u < c->n; u++) {
        double s = 0;
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
            int64_t q = c->param[e];
            if (q < 0)
                continue;
            double cj = c->coef[(size_t)q * p + j];
            if (cj != 0)
                s += cj * (m[u] - m[c->col[e]]);
        }
        t[u] -= s;
    }
}

int ptd_moments_grad(const ptd_csr *c, const ptd_program *prog, const double *theta,
                     const double *rewards, size_t k, int discrete, ptd_moment_ws *ws, double *out,
                     double *jac)
{
    int rc;
    size_t n = c->n, p = c->param_length;
    if (theta) {
        if ((rc = ptd_csr_weights(c, theta, ws->w)) < 0)
            return rc;
    } else {
        memcpy(ws->w, c->weight, c->n_edges * sizeof(double));
    }
    if ((rc = ptd_moments(c, prog, ws->w, rewards, k, discrete, ws, out, NULL)) < 0)
        return rc;
    if (!jac || !p)
        return PTD_OK;
    const double *r = ws->r, *m = ws->m;
    double *dm = ws->dm, *db = ws->db;
    for (size_t j = 0; j < p; j++) {
        memset(dm, 0, n * sizeof(double));
        for (size_t i = 1; i <= k; i++) {
            double *x = dm + i * n;
            if (discrete) {
                discrete_rhs(ws, i, dm, db, 1, db + i * n);
                memcpy(x, db + i * n, n * sizeof(double));
            } else {
                for (size_t v = 0; v < n; v++)
                    x[v] = (double)i * r[v] * dm[(i - 1) * n + v];
            }
            sub_Aj(c, j, m + i * n, x);
            ptd_program_solve(prog, ws->R, x);
            jac[(i - 1) * p + j] = x[0];
        }
    }
    return PTD_OK;
}

int ptd_covariance_matrix(const ptd_csr *c, const ptd_program *prog, const double *w, const double *R,
                          size_t m, int discrete, ptd_moment_ws *ws, double *out)
{
    int rc;
    size_t n = c->n;
    if (!w)
        w = c->weight;
    if (discrete && (rc = ptd_check_discrete(c, w)) < 0)
        return rc;
    if ((rc = ptd_program_load(prog, c, w, ws->R)) < 0)
        return rc;
    double *e = malloc((m ? m : 1) * n * sizeof(double));
    double *rr = malloc((m ? m : 1) * n * sizeof(double));
    if (!e || !rr) {
        free(e);
        free(rr);
        return ptd_error(PTD_ENOMEM, "out of memory computing a covariance matrix");
    }
    for (size_t a = 0; a < m; a++) {
        double *ra = rr + a * n, *ea = e + a * n;
        for (size_t v = 0; v < n; v++)
            ra[v] = (v == 0 || ptd_csr_absorbing(c, v)) ? 0.0 : R[v * m + a];
        memcpy(ea, ra, n * sizeof(double));
        ptd_program_solve(prog, ws->R, ea);
    }
    double *t = ws->t;
    for (size_t a = 0; a < m; a++)
        for (size_t b = a; b < m; b++) {
            const double *ra = rr + a * n, *rb = rr + b * n, *ea = e + a * n, *eb = e + b * n;
            for (size_t v = 0; v < n; v++) {
                t[v] = ra[v] * eb[v] + rb[v] * ea[v];
                if (discrete)
                    t[v] -= ra[v] * rb[v];
            }
            ptd_program_solve(prog, ws->R, t);
            out[a * m + b] = out[b * m + a] = t[0] - ea[0] * eb[0];
        }
    free(e);
    free(rr);
    return PTD_OK;
}
