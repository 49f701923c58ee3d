/* order.c — strongly connected components (iterative Tarjan), acyclicity, absorption checks. */
#include <stdlib.h>
#include <string.h>

#include "ptdalgorithms.h"

/* Tarjan's algorithm with an explicit call stack, so chains of 10^6 vertices do not overflow.
 * Tarjan emits components sinks first; we renumber them so that ids follow topological order. */
int ptd_scc(const ptd_csr *c, uint32_t *comp, size_t *n_comp)
{
    size_t n = c->n;
    uint32_t *index = malloc(n * sizeof *index);
    uint32_t *low = malloc(n * sizeof *low);
    uint32_t *stack = malloc(n * sizeof *stack);   /* Tarjan's vertex stack */
    uint32_t *call = malloc(n * sizeof *call);     /* DFS call stack: vertex */
    size_t *next = malloc(n * sizeof *next);       /* DFS call stack: next edge to look at */
    unsigned char *on = calloc(n, 1);
    int rc = PTD_OK;
    if (!index || !low || !stack || !call || !next || !on) {
        rc = ptd_error(PTD_ENOMEM, "out of memory computing strongly connected components");
        goto out;
    }
    const uint32_t UNSEEN = UINT32_MAX;
    for (size_t v = 0; v < n; v++)
        index[v] = UNSEEN;
    uint32_t counter = 0, found = 0;
    size_t sp = 0;
    for (size_t root = 0; root < n; root++) {
        if (index[root] != UNSEEN)
            continue;
        size_t depth = 0;
        call[depth] = (uint32_t)root;
        next[depth] = c->row[root];
        index[root] = low[root] = counter++;
        stack[sp++] = (uint32_t)root;
        on[root] = 1;
        while (1) {
            uint32_t v = call[depth];
            if (next[depth] < c->row[v + 1]) {
                uint32_t w = c->col[next[depth]++];
                if (index[w] == UNSEEN) {
                    depth++;
                    call[depth] = w;
                    next[depth] = c->row[w];
                    index[w] = low[w] = counter++;
                    stack[sp++] = w;
                    on[w] = 1;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                uint32_t w;
                do {
                    w = stack[--sp];
                    on[w] = 0;
                    comp[w] = found;
                } while (w != v);
                found++;
            }
            if (depth == 0)
                break;
            depth--;
            uint32_t u = call[depth];
            if (low[v] < low[u])
                low[u] = low[v];
        }
    }
    for (size_t v = 0; v < n; v++)
        comp[v] = found - 1 - comp[v];
    *n_comp = found;
out:
    free(index);
    free(low);
    free(stack);
    free(call);
    free(next);
    free(on);
    return rc;
}

int ptd_is_acyclic(const ptd_csr *c)
{
    uint32_t *comp = malloc((c->n ? c->n : 1) * sizeof *comp);
    size_t nc = 0;
    if (!comp)
        return ptd_error(PTD_ENOMEM, "out of memory");
    int rc = ptd_scc(c, comp, &nc);
    free(comp);
    if (rc)
        return rc;
    return nc == c->n; /* self-loops are rejected when edges are added */
}

static int name_vertex(const ptd_csr *c, size_t v, int code, const char *what)
{
    char buf[256];
    ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
    return ptd_error(code, "the vertex with state%s %s", buf, what);
}

int ptd_check_absorption(const ptd_csr *c, const double *w)
{
    size_t n = c->n;
    double s0 = 0;
    for (size_t k = c->row[0]; k < c->row[1]; k++)
        s0 += w[k];
    if (!(s0 > 0))
        return ptd_error(PTD_EINVAL, "the starting vertex has no out-edge of positive weight: add an "
                         "edge from g.starting_vertex() to the first state");
    for (size_t v = 1; v < n; v++) {
        if (c->row[v] == c->row[v + 1])
            continue;
        double s = 0;
        for (size_t k = c->row[v]; k < c->row[v + 1]; k++)
            s += w[k];
        if (!(s > 0))
            return name_vertex(c, v, PTD_EMATH, "has out-edges but zero total weight, so it never "
                               "leaves; give it a positive weight or remove its edges");
    }
    /* Vertices that can reach absorption: reverse search over positive-weight edges. */
    size_t *indeg = calloc(n + 1, sizeof *indeg);
    uint32_t *radj = NULL, *queue = NULL;
    unsigned char *good = calloc(n, 1), *seen = calloc(n, 1);
    int rc = PTD_OK;
    if (!indeg || !good || !seen) {
        rc = ptd_error(PTD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < c->n_edges; k++)
        if (w[k] > 0)
            indeg[c->col[k] + 1]++;
    for (size_t v = 0; v < n; v++)
        indeg[v + 1] += indeg[v];
    radj = malloc((indeg[n] ? indeg[n] : 1) * sizeof *radj);
    queue = malloc(n * sizeof *queue);
    if (!radj || !queue) {
        rc = ptd_error(PTD_ENOMEM, "out of memory");
        goto out;
    }
    {
        size_t *fill = malloc(n * sizeof *fill);
        if (!fill) {
            rc = ptd_error(PTD_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(fill, indeg, n * sizeof *fill);
        for (size_t v = 0; v < n; v++)
            for (size_t k = c->row[v]; k < c->row[v + 1]; k++)
                if (w[k] > 0)
                    radj[fill[c->col[k]]++] = (uint32_t)v;
        free(fill);
    }
    size_t head = 0, tail = 0;
    for (size_t v = 1; v < n; v++)
        if (c->row[v] == c->row[v + 1]) {
            good[v] = 1;
            queue[tail++] = (uint32_t)v;
        }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (size_t k = indeg[v]; k < indeg[v + 1]; k++)
            if (!good[radj[k]]) {
                good[radj[k]] = 1;
                queue[tail++] = radj[k];
            }
    }
    /* Every vertex reachable from the start must be good. */
    head = tail = 0;
    queue[tail++] = 0;
    seen[0] = 1;
    while (head < tail) {
        uint32_t v = queue[head++];
        if (!good[v]) {
            rc = v == 0 ? ptd_error(PTD_EMATH, "no absorbing vertex can be reached from the starting vertex")
                        : name_vertex(c, v, PTD_EMATH, "is reachable from the start but cannot reach an "
                                      "absorbing vertex (the absorption time would be infinite)");
            goto out;
        }
        for (size_t k = c->row[v]; k < c->row[v + 1]; k++)
            if (w[k] > 0 && !seen[c->col[k]]) {
                seen[c->col[k]] = 1;
                queue[tail++] = c->col[k];
            }
    }
out:
    free(indeg);
    free(radj);
    free(queue);
    free(good);
    free(seen);
    return rc;
}
