/* matrix.c — graph <-> (alpha, S) over the transient vertices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ptdalgorithms.h"

int ptd_transient_index(const ptd_csr *c, size_t *idx, size_t *n_transient)
{
    size_t m = 0;
    for (size_t v = 1; v < c->n; v++)
        if (c->row[v] < c->row[v + 1])
            idx[m++] = v;
    *n_transient = m;
    return PTD_OK;
}

int ptd_to_matrices(const ptd_csr *c, const double *w, const size_t *idx, size_t n_t, double *alpha,
                    double *S)
{
    int64_t *pos = malloc((c->n ? c->n : 1) * sizeof *pos);
    if (!pos)
        return ptd_error(PTD_ENOMEM, "out of memory");
    for (size_t v = 0; v < c->n; v++)
        pos[v] = -1;
    for (size_t i = 0; i < n_t; i++)
        pos[idx[i]] = (int64_t)i;
    memset(alpha, 0, n_t * sizeof *alpha);
    memset(S, 0, n_t * n_t * sizeof *S);
    double total = 0;
    for (size_t k = c->row[0]; k < c->row[1]; k++)
        total += w[k];
    if (total > 0)
        for (size_t k = c->row[0]; k < c->row[1]; k++)
            if (pos[c->col[k]] >= 0)
                alpha[pos[c->col[k]]] += w[k] / total;
    for (size_t i = 0; i < n_t; i++) {
        size_t v = idx[i];
        double rate = 0;
        for (size_t k = c->row[v]; k < c->row[v + 1]; k++) {
            rate += w[k];
            if (pos[c->col[k]] >= 0)
                S[i * n_t + (size_t)pos[c->col[k]]] += w[k];
        }
        S[i * n_t + i] -= rate;
    }
    free(pos);
    return PTD_OK;
}

ptd_graph *ptd_from_matrices(const double *alpha, const double *S, size_t n, const int32_t *states,
                             size_t state_length)
{
    double asum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(alpha[i]) || alpha[i] < 0) {
            ptd_error(PTD_EINVAL, "alpha[%zu] = %g: initial probabilities must be finite and >= 0", i,
                      alpha[i]);
            return NULL;
        }
        asum += alpha[i];
    }
    if (asum > 1 + 1e-12 * (double)(n + 1)) {
        ptd_error(PTD_EINVAL, "alpha sums to %.17g > 1", asum);
        return NULL;
    }
    double *exit = malloc((n ? n : 1) * sizeof *exit);
    if (!exit) {
        ptd_error(PTD_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        double off = 0, scale = fabs(S[i * n + i]);
        for (size_t j = 0; j < n; j++) {
            double x = S[i * n + j];
            if (!isfinite(x)) {
                ptd_error(PTD_EINVAL, "S[%zu, %zu] = %g is not finite", i, j, x);
                goto fail;
            }
            if (j != i && x < 0) {
                ptd_error(PTD_EINVAL, "S[%zu, %zu] = %g: off-diagonal entries must be >= 0", i, j, x);
                goto fail;
            }
            if (j != i)
                off += x;
        }
        double rowsum = off + S[i * n + i];
        if (rowsum > 1e-12 * (scale > off ? scale : off)) {
            ptd_error(PTD_EINVAL, "row %zu of S sums to %g > 0: rows of a sub-intensity matrix must sum "
                      "to <= 0", i, rowsum);
            goto fail;
        }
        if (!(S[i * n + i] < 0)) {
            ptd_error(PTD_EINVAL, "S[%zu, %zu] = %g: diagonal entries must be negative", i, i,
                      S[i * n + i]);
            goto fail;
        }
        exit[i] = rowsum < 0 ? -rowsum : 0.0;
    }

    size_t L = states ? state_length : 1;
    ptd_graph *g = ptd_graph_create(L);
    int32_t *buf = calloc(L, sizeof *buf);
    int64_t *vid = malloc((n ? n : 1) * sizeof *vid);
    if (!g || !buf || !vid) {
        ptd_error(PTD_ENOMEM, "out of memory");
        goto fail2;
    }
    for (size_t i = 0; i < n; i++) {
        const int32_t *st = states ? states + i * L : buf;
        if (!states)
            buf[0] = (int32_t)(i + 1);
        int64_t before = (int64_t)ptd_graph_n_vertices(g);
        vid[i] = ptd_graph_find_or_create(g, st);
        if (vid[i] < 0)
            goto fail2;
        if (vid[i] < before) {
            ptd_error(PTD_EINVAL, "states must be distinct: row %zu repeats an earlier state", i);
            goto fail2;
        }
    }
    /* one absorbing vertex with a state that no transient vertex uses: 0, -1, -2, ... */
    int32_t x = 0;
    for (;; x--) {
        for (size_t j = 0; j < L; j++)
            buf[j] = x;
        if (ptd_graph_find(g, buf) < 0)
            break;
    }
    int64_t absorb = ptd_graph_find_or_create(g, buf);
    if (absorb < 0)
        goto fail2;
    for (size_t i = 0; i < n; i++)
        if (alpha[i] > 0 && ptd_graph_add_edge(g, 0, (size_t)vid[i], alpha[i]))
            goto fail2;
    if (asum < 1 && ptd_graph_add_edge(g, 0, (size_t)absorb, 1 - asum))
        goto fail2;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            if (j != i && S[i * n + j] > 0 &&
                ptd_graph_add_edge(g, (size_t)vid[i], (size_t)vid[j], S[i * n + j]))
                goto fail2;
        if (exit[i] > 0 && ptd_graph_add_edge(g, (size_t)vid[i], (size_t)absorb, exit[i]))
            goto fail2;
    }
    free(exit);
    free(buf);
    free(vid);
    return g;
fail2:
    ptd_graph_destroy(g);
    free(buf);
    free(vid);
fail:
    free(exit);
    return NULL;
}
