/* elimination.c — the elimination program: x = A^{-1} c as a straight-line program.
 *
 * A = Lambda - W over the non-absorbing vertices (see ptd_moments.h).  Row u of A x = c reads
 *     x_u = c_u / lambda_u + sum_z p_uz x_z,     p_uz = w_uz / lambda_u.
 * Strongly connected components are processed sinks first (block-triangular solve): the targets of edges
 * leaving a component are final when it is reached, so their contributions go straight into b_u, and
 * fill-in stays inside the component.  Inside a component we run Gaussian elimination read as a graph
 * (Roikjer, Hobolth & Munch 2022, Alg. 3): eliminating i substitutes its row into each live parent u,
 *     b_u += p_ui b_i,   p_uz += p_ui p_iz,
 * and a created self-loop p_uu = p_ui p_iu is removed by scaling u's row and b_u by 1/(1 - p_uu), where
 * 1 - p_uu is computed as the sum of u's remaining out-probabilities (Grassmann-Taksar-Heyman), never by
 * subtraction: every row always sums to one, so nearly closed cycles keep their digits.  Back-substitution
 * in reverse elimination order finishes the component.  Pivots are chosen by minimum Markowitz count
 * (live in-degree x out-degree inside the component), so a birth-death chain costs O(length).
 *
 * Everything is recorded symbolically from the structure (all edges, zero weights included):
 *  - a register program: R[0 .. n_edges) = edge weights, then ops computing rates, reciprocals,
 *    probabilities and fill-in multipliers;
 *  - a solve program over x: ADD x[d] += R[r] x[s], SCALE x[d] *= R[r].
 * Replaying both for new weights costs time linear in their length and allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "minheap.h"
#include "ptdalgorithms.h"

enum { OP_COPY, OP_ADD, OP_FMA, OP_MUL, OP_MUL2, OP_RECIP_RATE, OP_RECIP_GTH };
#define NONE UINT32_MAX

typedef struct { uint32_t op, d, a, b; } rop_t;   /* register op */
typedef struct { uint32_t d, s, r; } sop_t;       /* solve op: s == NONE means SCALE */

struct ptd_program {
    size_t n, n_edges, n_regs;
    rop_t *rops;
    size_t n_rops, cap_rops;
    sop_t *sops;
    size_t n_sops, cap_sops;
};

size_t ptd_program_n_registers(const ptd_program *p) { return p->n_regs; }
size_t ptd_program_n_register_ops(const ptd_program *p) { return p->n_rops; }
size_t ptd_program_n_solve_ops(const ptd_program *p) { return p->n_sops; }

void ptd_program_destroy(ptd_program *p)
{
    if (!p)
        return;
    free(p->rops);
    free(p->sops);
    free(p);
}

/* ------------------------------------------------------------------ replay */

int ptd_program_load(const ptd_program *p, const ptd_csr *c, const double *w, double *R)
{
    memcpy(R, w, p->n_edges * sizeof(double));
    const rop_t *op = p->rops, *end = p->rops + p->n_rops;
    for (; op < end; op++) {
        switch (op->op) {
        case OP_COPY: R[op->d] = R[op->a]; break;
        case OP_ADD: R[op->d] += R[op->a]; break;
        case OP_FMA: R[op->d] += R[op->a] * R[op->b]; break;
        case OP_MUL: R[op->d] *= R[op->a]; break;
        case OP_MUL2: R[op->d] = R[op->a] * R[op->b]; break;
        default: {  /* OP_RECIP_RATE, OP_RECIP_GTH */
            double s = R[op->a];
            if (!(s > 0)) {
                char buf[256];
                size_t v = op->b;
                ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
                if (op->op == OP_RECIP_GTH)
                    return ptd_error(PTD_EMATH, "vertex %zu with state%s cannot reach an absorbing vertex "
                                     "with these weights", v, buf);
                if (v == 0)
                    return ptd_error(PTD_EMATH, "the starting vertex has out-edges but their weights are "
                                     "all zero");
                return ptd_error(PTD_EMATH, "vertex %zu with state%s has out-edges but zero total "
                                 "rate", v, buf);
            }
            R[op->d] = 1.0 / s;
        }
        }
    }
    return PTD_OK;
}

void ptd_program_solve(const ptd_program *p, const double *R, double *x)
{
    const sop_t *op = p->sops, *end = p->sops + p->n_sops;
    for (; op < end; op++) {
        if (op->s == NONE)
            x[op->d] *= R[op->r];
        else
            x[op->d] += R[op->r] * x[op->s];
    }
}

/* ------------------------------------------------------------------ recording */

static int emit(ptd_program *p, uint32_t code, uint32_t d, uint32_t a, uint32_t b)
{
    if (p->n_rops == p->cap_rops) {
        size_t cap = p->cap_rops ? 2 * p->cap_rops : 256;
        rop_t *t = realloc(p->rops, cap * sizeof *t);
        if (!t)
            return ptd_error(PTD_ENOMEM, "out of memory recording the elimination program");
        p->rops = t;
        p->cap_rops = cap;
    }
    p->rops[p->n_rops++] = (rop_t){code, d, a, b};
    return PTD_OK;
}

static int emit_x(ptd_program *p, uint32_t d, uint32_t s, uint32_t r)
{
    if (p->n_sops == p->cap_sops) {
        size_t cap = p->cap_sops ? 2 * p->cap_sops : 256;
        sop_t *t = realloc(p->sops, cap * sizeof *t);
        if (!t)
            return ptd_error(PTD_ENOMEM, "out of memory recording the elimination program");
        p->sops = t;
        p->cap_sops = cap;
    }
    p->sops[p->n_sops++] = (sop_t){d, s, r};
    return PTD_OK;
}

#define TRY(expr)             \
    do {                      \
        if ((rc = (expr)) < 0) \
            goto out;         \
    } while (0)

/* growable lists of the dynamic component graph (local vertex ids) */
typedef struct { uint32_t to, reg; } adj_t;
typedef struct { adj_t *e; uint32_t n, cap; } adjlist;
typedef struct { uint32_t *e; uint32_t n, cap; } idlist;

static int adj_push(adjlist *l, uint32_t to, uint32_t reg)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 4;
        adj_t *t = realloc(l->e, cap * sizeof *t);
        if (!t)
            return ptd_error(PTD_ENOMEM, "out of memory during elimination");
        l->e = t;
        l->cap = cap;
    }
    l->e[l->n++] = (adj_t){to, reg};
    return PTD_OK;
}

static int id_push(idlist *l, uint32_t v)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 4;
        uint32_t *t = realloc(l->e, cap * sizeof *t);
        if (!t)
            return ptd_error(PTD_ENOMEM, "out of memory during elimination");
        l->e = t;
        l->cap = cap;
    }
    l->e[l->n++] = v;
    return PTD_OK;
}


typedef struct {
    ptd_program *p;
    const ptd_csr *c;
    uint32_t *loc;       /* global -> local id in the current component, NONE outside */
    const uint32_t *mem; /* members of the current component (global ids) */
    adjlist *out;        /* local: live internal out-edges (target local id, register) */
    idlist *in;          /* local: parents (may hold eliminated ones) */
    uint32_t *ext;       /* local: register holding the probability of leaving the component, or NONE */
    uint32_t *pos;       /* local: scatter position in the current parent's row, NONE if absent */
    uint32_t *indeg, *outdeg, *order;
    uint64_t *cost;
    unsigned char *dead; /* local: eliminated */
    heap_t heap;
} elim_t;

static uint32_t new_reg(ptd_program *p) { return (uint32_t)p->n_regs++; }

static void compact(elim_t *E, uint32_t a)
{
    adjlist *l = &E->out[a];
    uint32_t k = 0;
    for (uint32_t j = 0; j < l->n; j++)
        if (!E->dead[l->e[j].to])
            l->e[k++] = l->e[j];
    l->n = k;
}

/* rate, reciprocal and probabilities of u's out-edges; x_u *= 1/lambda_u.  Returns the register of 1/lambda. */
static int rate_registers(elim_t *E, uint32_t u, int probabilities, uint32_t *inv)
{
    ptd_program *p = E->p;
    const ptd_csr *c = E->c;
    int rc;
    uint32_t lam = new_reg(p);
    for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
        if ((rc = emit(p, e == c->row[u] ? OP_COPY : OP_ADD, lam, (uint32_t)e, 0)) < 0)
            return rc;
    if ((rc = emit(p, OP_RECIP_RATE, lam, lam, u)) < 0)
        return rc;
    if (probabilities)
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
            if ((rc = emit(p, OP_MUL, (uint32_t)e, lam, 0)) < 0)
                return rc;
    *inv = lam;
    return PTD_OK;
}

static int closed_error(const ptd_csr *c, uint32_t v)
{
    char buf[256];
    ptd_format_state(buf, sizeof buf, c->states + (size_t)v * c->state_length, c->state_length);
    return ptd_error(PTD_EMATH, "vertex %u with state%s cannot reach an absorbing vertex", v, buf);
}

/* eliminate local vertex i of the current component */
static int eliminate(elim_t *E, uint32_t i)
{
    ptd_program *p = E->p;
    const uint32_t *M = E->mem;
    int rc;
    compact(E, i); /* i is marked dead only after its parents are updated */
    adjlist *ri = &E->out[i];
    for (uint32_t q = 0; q < E->in[i].n; q++) {
        uint32_t a = E->in[i].e[q];
        if (E->dead[a])
            continue;
        compact(E, a);
        adjlist *ra = &E->out[a];
        for (uint32_t j = 0; j < ra->n; j++)
            E->pos[ra->e[j].to] = j;
        uint32_t r_ai = ra->e[E->pos[i]].reg;
        if ((rc = emit_x(p, M[a], M[i], r_ai)) < 0)
            return rc;
        if (E->ext[i] != NONE) {
            if (E->ext[a] != NONE) {
                rc = emit(p, OP_FMA, E->ext[a], r_ai, E->ext[i]);
            } else {
                E->ext[a] = new_reg(p);
                rc = emit(p, OP_MUL2, E->ext[a], r_ai, E->ext[i]);
            }
            if (rc < 0)
                return rc;
        }
        int self = 0;
        for (uint32_t j = 0; j < ri->n; j++) {
            uint32_t z = ri->e[j].to, r_iz = ri->e[j].reg;
            if (z == a) {
                self = 1;
                continue;
            }
            if (E->pos[z] != NONE) {
                rc = emit(p, OP_FMA, ra->e[E->pos[z]].reg, r_ai, r_iz);
            } else {
                uint32_t r = new_reg(p);
                if ((rc = emit(p, OP_MUL2, r, r_ai, r_iz)) < 0 || (rc = adj_push(ra, z, r)) < 0 ||
                    (rc = id_push(&E->in[z], a)) < 0)
                    return rc;
                E->pos[z] = ra->n - 1;
                E->indeg[z]++;
                E->outdeg[a]++;
            }
            if (rc < 0)
                return rc;
        }
        /* drop a -> i (swap-remove) */
        uint32_t k = E->pos[i], last = ra->n - 1;
        ra->e[k] = ra->e[last];
        E->pos[ra->e[k].to] = k;
        E->pos[i] = NONE;
        ra->n--;
        E->outdeg[a]--;
        for (uint32_t j = 0; j < ra->n; j++)
            E->pos[ra->e[j].to] = NONE;
        if (self) { /* 1 - p_aa as the sum of a's other out-probabilities (GTH) */
            if (E->ext[a] == NONE && ra->n == 0)
                return closed_error(E->c, M[a]);
            uint32_t D = new_reg(p);
            int first = 1;
            if (E->ext[a] != NONE) {
                if ((rc = emit(p, OP_COPY, D, E->ext[a], 0)) < 0)
                    return rc;
                first = 0;
            }
            for (uint32_t j = 0; j < ra->n; j++, first = 0)
                if ((rc = emit(p, first ? OP_COPY : OP_ADD, D, ra->e[j].reg, 0)) < 0)
                    return rc;
            if ((rc = emit(p, OP_RECIP_GTH, D, D, M[a])) < 0)
                return rc;
            for (uint32_t j = 0; j < ra->n; j++)
                if ((rc = emit(p, OP_MUL, ra->e[j].reg, D, 0)) < 0)
                    return rc;
            if (E->ext[a] != NONE && (rc = emit(p, OP_MUL, E->ext[a], D, 0)) < 0)
                return rc;
            if ((rc = emit_x(p, M[a], NONE, D)) < 0)
                return rc;
        }
        E->cost[a] = (uint64_t)E->indeg[a] * E->outdeg[a];
        if ((rc = heap_push(&E->heap, E->cost[a], a)) < 0)
            return rc;
    }
    E->dead[i] = 1;
    for (uint32_t j = 0; j < ri->n; j++) {
        uint32_t z = ri->e[j].to;
        E->indeg[z]--;
        E->cost[z] = (uint64_t)E->indeg[z] * E->outdeg[z];
        if ((rc = heap_push(&E->heap, E->cost[z], z)) < 0)
            return rc;
    }
    return PTD_OK;
}

/* one strongly connected component with m > 1 members */
static int component(elim_t *E, const uint32_t *M, uint32_t m)
{
    ptd_program *p = E->p;
    const ptd_csr *c = E->c;
    int rc;
    E->mem = M;
    for (uint32_t a = 0; a < m; a++) {
        E->loc[M[a]] = a;
        E->ext[a] = NONE;
        E->pos[a] = NONE;
        E->indeg[a] = E->outdeg[a] = 0;
        E->dead[a] = 0;
        E->out[a].n = 0;
        E->in[a].n = 0;
    }
    for (uint32_t a = 0; a < m; a++) {
        uint32_t u = M[a], inv;
        if ((rc = rate_registers(E, u, 1, &inv)) < 0 || (rc = emit_x(p, u, NONE, inv)) < 0)
            return rc;
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++) {
            uint32_t z = c->col[e], lz = E->loc[z];
            if (lz != NONE) {
                if ((rc = adj_push(&E->out[a], lz, (uint32_t)e)) < 0 || (rc = id_push(&E->in[lz], a)) < 0)
                    return rc;
                E->outdeg[a]++;
                E->indeg[lz]++;
                continue;
            }
            if (!ptd_csr_absorbing(c, z) && (rc = emit_x(p, u, z, (uint32_t)e)) < 0)
                return rc;
            if (E->ext[a] == NONE) {
                E->ext[a] = new_reg(p);
                rc = emit(p, OP_COPY, E->ext[a], (uint32_t)e, 0);
            } else {
                rc = emit(p, OP_ADD, E->ext[a], (uint32_t)e, 0);
            }
            if (rc < 0)
                return rc;
        }
    }
    E->heap.n = 0;
    for (uint32_t a = 0; a < m; a++) {
        E->cost[a] = (uint64_t)E->indeg[a] * E->outdeg[a];
        if ((rc = heap_push(&E->heap, E->cost[a], a)) < 0)
            return rc;
    }
    for (uint32_t step = 0; step < m; step++) {
        hent h;
        do
            h = heap_pop(&E->heap);
        while (E->dead[h.v] || h.cost != E->cost[h.v]);
        E->order[step] = h.v;
        if ((rc = eliminate(E, h.v)) < 0)
            return rc;
    }
    /* the last vertex's row must still lead somewhere */
    uint32_t last = E->order[m - 1];
    if (E->ext[last] == NONE)
        return closed_error(c, M[last]);
    /* back-substitution: rows as they were when each vertex was eliminated */
    for (uint32_t step = m; step-- > 0;) {
        uint32_t i = E->order[step];
        for (uint32_t j = 0; j < E->out[i].n; j++)
            if ((rc = emit_x(p, M[i], M[E->out[i].e[j].to], E->out[i].e[j].reg)) < 0)
                return rc;
    }
    for (uint32_t a = 0; a < m; a++)
        E->loc[M[a]] = NONE;
    return PTD_OK;
}

int ptd_program_compile(const ptd_csr *c, ptd_program **outp)
{
    size_t n = c->n;
    int rc = PTD_OK;
    *outp = NULL;
    if (n == 0 || c->row[0] == c->row[1])
        return ptd_error(PTD_EINVAL, "the starting vertex has no out-edges");
    if (c->n_edges >= (size_t)UINT32_MAX / 2 || n >= (size_t)UINT32_MAX / 2)
        return ptd_error(PTD_EINVAL, "graph too large for the elimination program");
    ptd_program *p = calloc(1, sizeof *p);
    uint32_t *comp = malloc(n * sizeof *comp);
    size_t *start = NULL;
    uint32_t *members = malloc(n * sizeof *members);
    elim_t E = {0};
    size_t n_comp = 0, maxm = 0;
    if (!p || !comp || !members) {
        rc = ptd_error(PTD_ENOMEM, "out of memory compiling the elimination program");
        goto out;
    }
    p->n = n;
    p->n_edges = c->n_edges;
    p->n_regs = c->n_edges;
    TRY(ptd_scc(c, comp, &n_comp));
    start = calloc(n_comp + 1, sizeof *start);
    if (!start) {
        rc = ptd_error(PTD_ENOMEM, "out of memory compiling the elimination program");
        goto out;
    }
    for (size_t v = 0; v < n; v++)
        start[comp[v] + 1]++;
    for (size_t k = 0; k < n_comp; k++) {
        if (start[k + 1] > maxm)
            maxm = start[k + 1];
        start[k + 1] += start[k];
    }
    for (size_t v = 0; v < n; v++)
        members[start[comp[v]]++] = (uint32_t)v;
    for (size_t k = n_comp; k-- > 0;) /* restore offsets */
        start[k + 1] = start[k];
    start[0] = 0;
    E.p = p;
    E.c = c;
    if (maxm > 1) {
        E.loc = malloc(n * sizeof *E.loc);
        E.out = calloc(maxm, sizeof *E.out);
        E.in = calloc(maxm, sizeof *E.in);
        E.ext = malloc(maxm * sizeof *E.ext);
        E.pos = malloc(maxm * sizeof *E.pos);
        E.indeg = malloc(maxm * sizeof *E.indeg);
        E.outdeg = malloc(maxm * sizeof *E.outdeg);
        E.order = malloc(maxm * sizeof *E.order);
        E.cost = malloc(maxm * sizeof *E.cost);
        E.dead = malloc(maxm);
        if (!E.loc || !E.out || !E.in || !E.ext || !E.pos || !E.indeg || !E.outdeg || !E.order || !E.cost ||
            !E.dead) {
            rc = ptd_error(PTD_ENOMEM, "out of memory compiling the elimination program");
            goto out;
        }
        for (size_t v = 0; v < n; v++)
            E.loc[v] = NONE;
    }
    /* components sinks first */
    for (size_t k = n_comp; k-- > 0;) {
        const uint32_t *M = members + start[k];
        uint32_t m = (uint32_t)(start[k + 1] - start[k]);
        if (m > 1) {
            TRY(component(&E, M, m));
            continue;
        }
        uint32_t u = M[0], inv;
        if (ptd_csr_absorbing(c, u))
            continue;
        /* x_u = (c_u + sum_z w_uz x_z) / lambda_u: no probabilities needed */
        TRY(rate_registers(&E, u, 0, &inv));
        for (size_t e = c->row[u]; e < c->row[u + 1]; e++)
            if (!ptd_csr_absorbing(c, c->col[e]))
                TRY(emit_x(p, u, c->col[e], (uint32_t)e));
        TRY(emit_x(p, u, NONE, inv));
    }
    *outp = p;
    p = NULL;
out:
    if (E.out)
        for (size_t a = 0; a < maxm; a++) {
            free(E.out[a].e);
            free(E.in[a].e);
        }
    free(E.loc);
    free(E.out);
    free(E.in);
    free(E.ext);
    free(E.pos);
    free(E.indeg);
    free(E.outdeg);
    free(E.order);
    free(E.cost);
    free(E.dead);
    free(E.heap.e);
    free(comp);
    free(start);
    free(members);
    ptd_program_destroy(p);
    return rc;
}

static void destroy_cached(void *p) { ptd_program_destroy(p); }

const ptd_program *ptd_graph_program(ptd_graph *g)
{
    ptd_program *p = ptd_graph_cache_get(g, PTD_CACHE_PROGRAM);
    if (p)
        return p;
    const ptd_csr *c = ptd_graph_csr(g);
    if (!c || ptd_program_compile(c, &p) < 0)
        return NULL;
    ptd_graph_cache_set(g, PTD_CACHE_PROGRAM, p, destroy_cached);
    return p;
}
