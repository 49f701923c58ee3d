/* reward.c — reward transformation (a graph whose absorption time is an accumulated reward) and the
 * embedded jump chain.
 *
 * Continuous (Bladt & Nielsen 2017, Thm 8.1.1; Roikjer, Hobolth & Munch 2022 §2.7): a vertex with reward
 * r > 0 keeps its jump probabilities and has its rates divided by r; vertices with reward 0 take no
 * time, so they are eliminated: with jump probabilities p, eliminating z replaces u -> z -> y by
 * u -> y with p_uy += p_uz p_zy (the censored chain on the kept vertices).  A self-loop created on an
 * eliminated-later vertex is removed by renormalising its row with the sum of its other probabilities
 * (GTH: no subtraction); one created on a kept vertex is dropped (a CTMC jump to itself is invisible,
 * the kept rates lambda_u p_uy / r_u stay correct).  Discrete: a step in a vertex with integer reward
 * k counts k, so the vertex becomes a chain of k deterministic steps whose last one makes the original
 * jump (its self-transition returning to the head of the chain).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "minheap.h"
#include "ptdalgorithms.h"

#define NONE UINT32_MAX

typedef struct { uint32_t to; double p; } pent;
typedef struct { pent *e; uint32_t n, cap; } prow;
typedef struct { uint32_t *e; uint32_t n, cap; } ilist;

static int grow(void **a, uint32_t *cap, size_t sz)
{
    uint32_t nc = *cap ? 2 * *cap : 4;
    void *t = realloc(*a, (size_t)nc * sz);
    if (!t)
        return ptd_error(PTD_ENOMEM, "out of memory in the reward transformation");
    *a = t;
    *cap = nc;
    return PTD_OK;
}

static int row_push(prow *r, uint32_t to, double p)
{
    int rc;
    if (r->n == r->cap && (rc = grow((void **)&r->e, &r->cap, sizeof(pent))) < 0)
        return rc;
    r->e[r->n++] = (pent){to, p};
    return PTD_OK;
}

static int id_push(ilist *l, uint32_t v)
{
    int rc;
    if (l->n == l->cap && (rc = grow((void **)&l->e, &l->cap, sizeof(uint32_t))) < 0)
        return rc;
    l->e[l->n++] = v;
    return PTD_OK;
}


static int state_error(const ptd_csr *c, size_t v, const char *what)
{
    char buf[256];
    ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
    return ptd_error(PTD_EMATH, "vertex %zu with state%s %s", v, buf, what);
}

/* numeric elimination of the zero-reward vertices */
typedef struct {
    const ptd_csr *c;
    const unsigned char *zero;
    prow *row;
    ilist *in;
    uint32_t *pos, *indeg;
    uint64_t *cost;
    unsigned char *dead, *touched;
    double *lambda, *selfmass;
    heap_t heap;
} relim_t;

static void compact(relim_t *E, uint32_t a)
{
    prow *r = &E->row[a];
    uint32_t k = 0;
    for (uint32_t j = 0; j < r->n; j++)
        if (!E->dead[r->e[j].to])
            r->e[k++] = r->e[j];
    r->n = k;
}

/* (re)queue zero-reward vertex v with its current Markowitz count; older heap entries become stale */
static int push_cost(relim_t *E, uint32_t v)
{
    E->cost[v] = (uint64_t)E->indeg[v] * E->row[v].n;
    return heap_push(&E->heap, E->cost[v], v);
}

static int eliminate(relim_t *E, uint32_t z)
{
    int rc;
    compact(E, z);
    prow *rz = &E->row[z];
    for (uint32_t q = 0; q < E->in[z].n; q++) {
        uint32_t u = E->in[z].e[q];
        if (E->dead[u] || u == z)
            continue;
        compact(E, u);
        prow *ru = &E->row[u];
        for (uint32_t j = 0; j < ru->n; j++)
            E->pos[ru->e[j].to] = j;
        uint32_t k = E->pos[z];
        double pu = ru->e[k].p, self = 0;
        for (uint32_t j = 0; j < rz->n; j++) {
            uint32_t y = rz->e[j].to;
            double add = pu * rz->e[j].p;
            if (y == u) {
                self += add;
            } else if (E->pos[y] != NONE) {
                ru->e[E->pos[y]].p += add;
            } else {
                if ((rc = row_push(ru, y, add)) < 0 || (E->zero[y] && (rc = id_push(&E->in[y], u)) < 0))
                    return rc;
                E->pos[y] = ru->n - 1;
                E->indeg[y] += E->zero[y];
            }
        }
        for (uint32_t j = 0; j < ru->n; j++)
            E->pos[ru->e[j].to] = NONE;
        ru->e[k] = ru->e[ru->n - 1];
        ru->n--;
        E->touched[u] = 1;
        if (E->zero[u]) {
            if (self > 0) { /* renormalise with the sum of the other probabilities (GTH) */
                double D = 0;
                for (uint32_t j = 0; j < ru->n; j++)
                    D += ru->e[j].p;
                if (!(D > 0))
                    return state_error(E->c, u, "(reward 0) cannot reach an absorbing vertex");
                for (uint32_t j = 0; j < ru->n; j++)
                    ru->e[j].p /= D;
            }
            if ((rc = push_cost(E, u)) < 0)
                return rc;
        } else {
            E->selfmass[u] += self;
        }
    }
    E->dead[z] = 1;
    for (uint32_t j = 0; j < rz->n; j++) {
        uint32_t y = rz->e[j].to;
        E->indeg[y] -= E->zero[y];
        if (E->zero[y] && (rc = push_cost(E, y)) < 0)
            return rc;
    }
    return PTD_OK;
}

static int eliminate_zero_vertices(relim_t *E, size_t n_zero)
{
    const ptd_csr *c = E->c;
    int rc;
    /* rows (jump probabilities) of the zero-reward vertices and of their parents; parents of zero-reward
     * vertices only in the in-lists (kept vertices are never eliminated) */
    for (size_t u = 0; u < c->n; u++) {
        double lam = E->lambda[u];
        int needed = E->zero[u];
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
            needed |= E->zero[c->col[e]];
        if (!needed)
            continue;
        if (!(lam > 0))
            return state_error(c, u, "has out-edges but zero total rate");
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
            uint32_t z = c->col[e];
            if ((rc = row_push(&E->row[u], z, c->weight[e] / lam)) < 0)
                return rc;
            if (E->zero[z]) {
                if ((rc = id_push(&E->in[z], (uint32_t)u)) < 0)
                    return rc;
                E->indeg[z]++;
            }
        }
    }
    for (size_t u = 0; u < c->n; u++)
        if (E->zero[u] && (rc = push_cost(E, (uint32_t)u)) < 0)
            return rc;
    for (size_t step = 0; step < n_zero; step++) {
        hent h;
        do
            h = heap_pop(&E->heap);
        while (E->dead[h.v] || h.cost != E->cost[h.v]);
        if ((rc = eliminate(E, h.v)) < 0)
            return rc;
    }
    return PTD_OK;
}

/* add the out-edges of kept vertex u (from new vertex nu) after the transformation */
static int emit_edges(ptd_graph *ng, const ptd_csr *c, const relim_t *E, const int64_t *head, size_t u,
                      size_t nu, double div)
{
    int rc;
    size_t p = c->param_length;
    if (!E->touched[u]) {
        double *cf = p ? malloc(p * sizeof(double)) : NULL;
        if (p && !cf)
            return ptd_error(PTD_ENOMEM, "out of memory in the reward transformation");
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
            size_t to = (size_t)head[c->col[e]];
            int64_t q = c->param[e];
            if (q < 0) {
                rc = ptd_graph_add_edge(ng, nu, to, c->weight[e] / div);
            } else {
                for (size_t j = 0; j < p; j++)
                    cf[j] = c->coef[(size_t)q * p + j] / div;
                rc = ptd_graph_add_edge_param(ng, nu, to, c->base[q] / div, cf, p);
            }
            if (rc < 0) {
                free(cf);
                return rc;
            }
        }
        free(cf);
        return PTD_OK;
    }
    const prow *r = &E->row[u];
    if (u != 0 && r->n == 0)
        return state_error(c, u, "cannot reach an absorbing vertex");
    for (uint32_t j = 0; j < r->n; j++)
        if ((rc = ptd_graph_add_edge(ng, nu, (size_t)head[r->e[j].to], E->lambda[u] * r->e[j].p / div)) < 0)
            return rc;
    return PTD_OK;
}

/* discrete: tail -> head edge carrying the self-transition of a chain of length >= 2 */
static int emit_self(ptd_graph *ng, const ptd_csr *c, const relim_t *E, size_t u, size_t tail, size_t hd)
{
    size_t p = c->param_length;
    int param = 0;
    for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
        param |= c->param[e] >= 0;
    if (!param || E->touched[u]) {
        double s = 1 - E->lambda[u];
        if (s < 0)
            s = 0;
        if (E->touched[u])
            s += E->lambda[u] * E->selfmass[u];
        return s > 0 ? ptd_graph_add_edge(ng, tail, hd, s) : PTD_OK;
    }
    /* 1 - sum of the weights, kept linear in theta */
    double *cf = calloc(p, sizeof(double)), base = 1;
    if (!cf)
        return ptd_error(PTD_ENOMEM, "out of memory in the reward transformation");
    for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
        int64_t q = c->param[e];
        if (q < 0) {
            base -= c->weight[e];
            continue;
        }
        base -= c->base[q];
        for (size_t j = 0; j < p; j++)
            cf[j] -= c->coef[(size_t)q * p + j];
    }
    int rc = ptd_graph_add_edge_param(ng, tail, hd, base, cf, p);
    free(cf);
    return rc;
}

ptd_graph *ptd_reward_transform(ptd_graph *g, const double *rewards, int discrete)
{
    const ptd_csr *c = ptd_graph_csr(g);
    if (!c)
        return NULL;
    size_t n = c->n, L = c->state_length, p = c->param_length, n_zero = 0;
    int rc = PTD_OK;
    ptd_graph *ng = NULL;
    relim_t E = {0};
    int64_t *head = malloc(n * sizeof *head);
    unsigned char *zero = calloc(n, 1);
    int32_t *st = malloc((L + 1) * sizeof *st);
    E.c = c;
    E.zero = zero;
    E.row = calloc(n, sizeof *E.row);
    E.in = calloc(n, sizeof *E.in);
    E.pos = malloc(n * sizeof *E.pos);
    E.indeg = calloc(n, sizeof *E.indeg);
    E.cost = calloc(n, sizeof *E.cost);
    E.dead = calloc(n, 1);
    E.touched = calloc(n, 1);
    E.lambda = calloc(n, sizeof *E.lambda);
    E.selfmass = calloc(n, sizeof *E.selfmass);
    if (!head || !zero || !st || !E.row || !E.in || !E.pos || !E.indeg || !E.cost || !E.dead || !E.touched ||
        !E.lambda || !E.selfmass) {
        rc = ptd_error(PTD_ENOMEM, "out of memory in the reward transformation");
        goto out;
    }
    for (size_t v = 0; v < n; v++) {
        E.pos[v] = NONE;
        for (size_t e = c->row[v]; e < c->row[v + 1]; e++)
            E.lambda[v] += c->weight[e];
        double r = rewards[v];
        if (v == 0 || ptd_csr_absorbing(c, v))
            continue;
        if (!(r >= 0) || !isfinite(r) || (discrete && r != floor(r))) {
            state_error(c, v, discrete ? "has a reward that is not a non-negative integer"
                                       : "has a reward that is not finite and non-negative");
            rc = PTD_EINVAL;
            goto out;
        }
        if (discrete && r > 1e6) {
            rc = ptd_error(PTD_EINVAL, "discrete reward %g of vertex %zu is too large for a chain", r, v);
            goto out;
        }
        if (r == 0) {
            zero[v] = 1;
            n_zero++;
        }
    }
    if (n_zero && p) {
        size_t v = 1;
        while (!zero[v])
            v++;
        char buf[256];
        ptd_format_state(buf, sizeof buf, c->states + v * L, L);
        rc = ptd_error(PTD_EINVAL, "reward transformation of a parameterised graph needs a positive reward on "
                       "every transient vertex (vertex %zu with state%s has reward 0): eliminating it "
                       "would make the weights non-linear in theta", v, buf);
        goto out;
    }
    if (n_zero && (rc = eliminate_zero_vertices(&E, n_zero)) < 0)
        goto out;
    ng = ptd_graph_create(discrete ? L + 1 : L);
    if (!ng) {
        rc = PTD_ENOMEM;
        goto out;
    }
    /* vertices: kept ones in index order, each followed by its chain (discrete) */
    head[0] = 0;
    for (size_t v = 1; v < n; v++) {
        head[v] = -1;
        if (zero[v])
            continue;
        size_t k = (discrete && !ptd_csr_absorbing(c, v)) ? (size_t)rewards[v] : 1;
        memcpy(st, c->states + v * L, L * sizeof *st);
        for (size_t j = 0; j < k; j++) {
            st[L] = (int32_t)j;
            int64_t id = ptd_graph_find_or_create(ng, st);
            if (id < 0) {
                rc = (int)id;
                goto out;
            }
            if (j == 0)
                head[v] = id;
        }
    }
    for (size_t u = 0; u < n; u++) {
        if (zero[u] || (u && ptd_csr_absorbing(c, u)))
            continue;
        size_t hd = (size_t)head[u], k = 1;
        double div = 1; /* continuous: rates divided by the reward */
        if (u && discrete)
            k = (size_t)rewards[u];
        else if (u)
            div = rewards[u];
        for (size_t j = 1; j < k; j++)
            if ((rc = ptd_graph_add_edge(ng, hd + j - 1, hd + j, 1.0)) < 0)
                goto out;
        if ((rc = emit_edges(ng, c, &E, head, u, hd + k - 1, div)) < 0)
            goto out;
        if (k > 1 && (rc = emit_self(ng, c, &E, u, hd + k - 1, hd)) < 0)
            goto out;
    }
    const double *theta = ptd_graph_theta(g);
    if (p && theta && ptd_graph_param_length(ng) == p && (rc = ptd_graph_update_weights(ng, theta, p)) < 0)
        goto out;
out:
    if (E.row)
        for (size_t v = 0; v < n; v++) {
            free(E.row[v].e);
            free(E.in[v].e);
        }
    free(E.row);
    free(E.in);
    free(E.pos);
    free(E.indeg);
    free(E.cost);
    free(E.dead);
    free(E.touched);
    free(E.lambda);
    free(E.selfmass);
    free(E.heap.e);
    free(head);
    free(zero);
    free(st);
    if (rc < 0) {
        ptd_graph_destroy(ng);
        return NULL;
    }
    return ng;
}

ptd_graph *ptd_graph_normalize(ptd_graph *g)
{
    const ptd_csr *c = ptd_graph_csr(g);
    if (!c)
        return NULL;
    ptd_graph *ng = ptd_graph_create(c->state_length);
    if (!ng)
        return NULL;
    int rc = PTD_OK;
    for (size_t v = 1; v < c->n; v++) {
        int64_t id = ptd_graph_find_or_create(ng, c->states + v * c->state_length);
        if (id < 0) {
            rc = (int)id;
            goto out;
        }
    }
    for (size_t u = 0; u < c->n; u++) {
        double lam = 0;
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
            lam += c->weight[e];
        if (c->row[u] < c->row[u + 1] && !(lam > 0)) {
            rc = state_error(c, u, "has out-edges but zero total rate");
            goto out;
        }
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
            if ((rc = ptd_graph_add_edge(ng, u, c->col[e], c->weight[e] / lam)) < 0)
                goto out;
    }
out:
    if (rc < 0) {
        ptd_graph_destroy(ng);
        return NULL;
    }
    return ng;
}
