/* graph.c — vertices, edges, hash-map state lookup, parameterised weights, the compiled CSR view. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ptdalgorithms.h"

typedef struct {
    uint32_t to;
    int32_t param; /* index into g->pe, or -1 */
    double weight;
} edge_t;

typedef struct {
    edge_t *e;
    uint32_t n, cap;
} elist_t;

typedef struct {
    double base;
    size_t coef_off; /* into g->coefs */
    uint32_t ncoef;
} pedge_t;

struct ptd_graph {
    size_t state_length;
    size_t n, cap;
    int32_t *states;
    elist_t *out;
    size_t n_edges;
    uint32_t *table; /* open addressing: vertex index + 1, 0 = empty */
    size_t table_cap;
    size_t param_length;
    pedge_t *pe;
    size_t n_pe, cap_pe;
    double *coefs;
    size_t n_coefs, cap_coefs;
    double *theta; /* param_length entries once update_weights has been called */
    ptd_csr *csr;
    void *cache[PTD_CACHE_SLOTS];
    void (*cache_free[PTD_CACHE_SLOTS])(void *);
};

#define MAX_VERTICES ((size_t)UINT32_MAX - 1)

/* ------------------------------------------------------------------ helpers */

static int grow(void **p, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return PTD_OK;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * elsize);
    if (!q)
        return ptd_error(PTD_ENOMEM, "out of memory growing the graph");
    *p = q;
    *cap = nc;
    return PTD_OK;
}

static uint64_t hash_state(const int32_t *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint64_t)(uint32_t)s[i];
        h *= 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    h ^= h >> 29;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 32;
    return h;
}

static void free_derived(ptd_graph *g)
{
    if (g->csr) {
        free(g->csr->row);
        free(g->csr->col);
        free(g->csr->weight);
        free(g->csr->param);
        free(g->csr->base);
        free(g->csr->coef);
        free(g->csr);
        g->csr = NULL;
    }
    for (int i = 0; i < PTD_CACHE_SLOTS; i++) {
        if (g->cache[i] && g->cache_free[i])
            g->cache_free[i](g->cache[i]);
        g->cache[i] = NULL;
        g->cache_free[i] = NULL;
    }
}

static int rehash(ptd_graph *g, size_t newcap)
{
    uint32_t *t = calloc(newcap, sizeof *t);
    if (!t)
        return ptd_error(PTD_ENOMEM, "out of memory growing the state lookup table");
    for (size_t v = 1; v < g->n; v++) {
        size_t i = hash_state(g->states + v * g->state_length, g->state_length) & (newcap - 1);
        while (t[i])
            i = (i + 1) & (newcap - 1);
        t[i] = (uint32_t)(v + 1);
    }
    free(g->table);
    g->table = t;
    g->table_cap = newcap;
    return PTD_OK;
}

/* slot of state in the table: holds v+1 if found, 0 if the empty slot where it would go */
static size_t lookup_slot(const ptd_graph *g, const int32_t *state)
{
    size_t mask = g->table_cap - 1;
    size_t i = hash_state(state, g->state_length) & mask;
    size_t bytes = g->state_length * sizeof(int32_t);
    for (;;) {
        uint32_t x = g->table[i];
        if (!x)
            return i;
        if (memcmp(g->states + (size_t)(x - 1) * g->state_length, state, bytes) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static int add_vertex(ptd_graph *g, const int32_t *state)
{
    if (g->n >= MAX_VERTICES)
        return ptd_error(PTD_EINVAL, "too many vertices (at most %zu)", MAX_VERTICES);
    size_t vcap = g->cap;
    int rc;
    if (g->n + 1 > g->cap) {
        size_t need = g->n + 1;
        if ((rc = grow((void **)&g->out, &vcap, need, sizeof(elist_t))))
            return rc;
        memset(g->out + g->cap, 0, (vcap - g->cap) * sizeof(elist_t));
        if (g->state_length) {
            size_t nc = vcap * g->state_length;
            int32_t *s = realloc(g->states, nc * sizeof(int32_t));
            if (!s) {
                g->cap = vcap; /* out[] already grown and zeroed */
                return ptd_error(PTD_ENOMEM, "out of memory growing the graph");
            }
            g->states = s;
        }
        g->cap = vcap;
    }
    if (g->state_length)
        memcpy(g->states + g->n * g->state_length, state, g->state_length * sizeof(int32_t));
    g->out[g->n].e = NULL;
    g->out[g->n].n = g->out[g->n].cap = 0;
    g->n++;
    free_derived(g);
    return PTD_OK;
}

/* ------------------------------------------------------------------ create / destroy / clone */

ptd_graph *ptd_graph_create(size_t state_length)
{
    if (state_length < 1 || state_length > (1u << 20)) {
        ptd_error(PTD_EINVAL, "state_length must be between 1 and 2**20, got %zu", state_length);
        return NULL;
    }
    ptd_graph *g = calloc(1, sizeof *g);
    if (!g) {
        ptd_error(PTD_ENOMEM, "out of memory creating a graph");
        return NULL;
    }
    g->state_length = state_length;
    g->table_cap = 64;
    g->table = calloc(g->table_cap, sizeof *g->table);
    int32_t *zero = calloc(state_length, sizeof(int32_t));
    if (!g->table || !zero || add_vertex(g, zero) != PTD_OK) {
        free(zero);
        ptd_graph_destroy(g);
        ptd_error(PTD_ENOMEM, "out of memory creating a graph");
        return NULL;
    }
    free(zero); /* the start vertex is never entered in the lookup table */
    return g;
}

void ptd_graph_destroy(ptd_graph *g)
{
    if (!g)
        return;
    free_derived(g);
    for (size_t v = 0; v < g->n; v++)
        free(g->out[v].e);
    free(g->out);
    free(g->states);
    free(g->table);
    free(g->pe);
    free(g->coefs);
    free(g->theta);
    free(g);
}

static void *dup_mem(const void *src, size_t bytes, int *fail)
{
    if (!bytes || !src)
        return NULL;
    void *p = malloc(bytes);
    if (!p)
        *fail = 1;
    else
        memcpy(p, src, bytes);
    return p;
}

ptd_graph *ptd_graph_clone(const ptd_graph *src)
{
    ptd_graph *g = calloc(1, sizeof *g);
    if (!g) {
        ptd_error(PTD_ENOMEM, "out of memory cloning a graph");
        return NULL;
    }
    int fail = 0;
    g->state_length = src->state_length;
    g->n = src->n;
    g->cap = src->n;
    g->n_edges = src->n_edges;
    g->param_length = src->param_length;
    g->table_cap = src->table_cap;
    g->n_pe = g->cap_pe = src->n_pe;
    g->n_coefs = g->cap_coefs = src->n_coefs;
    g->states = dup_mem(src->states, src->n * src->state_length * sizeof(int32_t), &fail);
    g->table = dup_mem(src->table, src->table_cap * sizeof(uint32_t), &fail);
    g->pe = dup_mem(src->pe, src->n_pe * sizeof(pedge_t), &fail);
    g->coefs = dup_mem(src->coefs, src->n_coefs * sizeof(double), &fail);
    if (src->theta)
        g->theta = dup_mem(src->theta, src->param_length * sizeof(double), &fail);
    g->out = calloc(src->n ? src->n : 1, sizeof(elist_t));
    if (!g->out)
        fail = 1;
    for (size_t v = 0; !fail && v < src->n; v++) {
        g->out[v].n = g->out[v].cap = src->out[v].n;
        g->out[v].e = dup_mem(src->out[v].e, src->out[v].n * sizeof(edge_t), &fail);
    }
    if (fail) {
        if (!g->out)
            g->n = 0;
        ptd_graph_destroy(g);
        ptd_error(PTD_ENOMEM, "out of memory cloning a graph");
        return NULL;
    }
    return g;
}

/* ------------------------------------------------------------------ accessors */

size_t ptd_graph_n_vertices(const ptd_graph *g) { return g->n; }
size_t ptd_graph_n_edges(const ptd_graph *g) { return g->n_edges; }
size_t ptd_graph_state_length(const ptd_graph *g) { return g->state_length; }
size_t ptd_graph_param_length(const ptd_graph *g) { return g->param_length; }
const int32_t *ptd_graph_state(const ptd_graph *g, size_t v) { return g->states + v * g->state_length; }
const double *ptd_graph_theta(const ptd_graph *g) { return g->theta; }

int64_t ptd_graph_find(const ptd_graph *g, const int32_t *state)
{
    uint32_t x = g->table[lookup_slot(g, state)];
    return x ? (int64_t)x - 1 : -1;
}

int64_t ptd_graph_find_or_create(ptd_graph *g, const int32_t *state)
{
    size_t slot = lookup_slot(g, state);
    if (g->table[slot])
        return (int64_t)g->table[slot] - 1;
    int rc = add_vertex(g, state);
    if (rc)
        return rc;
    size_t v = g->n - 1;
    if (2 * g->n > g->table_cap) {
        if ((rc = rehash(g, g->table_cap * 2))) {
            g->n--; /* undo: the vertex is not reachable through the table */
            return rc;
        }
    } else {
        g->table[slot] = (uint32_t)(v + 1);
    }
    return (int64_t)v;
}

size_t ptd_graph_out_degree(const ptd_graph *g, size_t v) { return v < g->n ? g->out[v].n : 0; }

int ptd_graph_edge(const ptd_graph *g, size_t v, size_t i, size_t *to, double *weight)
{
    if (v >= g->n || i >= g->out[v].n)
        return ptd_error(PTD_EINDEX, "edge %zu of vertex %zu does not exist", i, v);
    *to = g->out[v].e[i].to;
    *weight = g->out[v].e[i].weight;
    return PTD_OK;
}

int ptd_graph_edge_param(const ptd_graph *g, size_t v, size_t i, double *base, const double **coef,
                         size_t *ncoef)
{
    if (v >= g->n || i >= g->out[v].n)
        return ptd_error(PTD_EINDEX, "edge %zu of vertex %zu does not exist", i, v);
    int32_t p = g->out[v].e[i].param;
    if (p < 0)
        return 0;
    *base = g->pe[p].base;
    *coef = g->coefs + g->pe[p].coef_off;
    *ncoef = g->pe[p].ncoef;
    return 1;
}

double ptd_graph_vertex_rate(const ptd_graph *g, size_t v)
{
    double s = 0;
    if (v >= g->n)
        return 0;
    for (uint32_t i = 0; i < g->out[v].n; i++)
        s += g->out[v].e[i].weight;
    return s;
}

/* ------------------------------------------------------------------ edges */

static int check_edge(const ptd_graph *g, size_t from, size_t to)
{
    if (from >= g->n || to >= g->n)
        return ptd_error(PTD_EINDEX, "edge %zu -> %zu: vertex index out of range (graph has %zu vertices)",
                         from, to, g->n);
    if (to == 0)
        return ptd_error(PTD_EINVAL, "the starting vertex cannot be the target of an edge");
    if (from == to) {
        char buf[256];
        ptd_format_state(buf, sizeof buf, g->states + from * g->state_length, g->state_length);
        return ptd_error(PTD_EINVAL,
                         "self-loop on vertex with state%s: self-loops are not allowed (in a discrete "
                         "graph the missing out-probability is the self-transition)",
                         buf);
    }
    return PTD_OK;
}

static int check_weight(const ptd_graph *g, size_t from, double w, const char *what)
{
    if (!isfinite(w) || w < 0) {
        char buf[256];
        ptd_format_state(buf, sizeof buf, g->states + from * g->state_length, g->state_length);
        return ptd_error(PTD_EINVAL, "%s %g on an edge from the vertex with state%s: weights must be "
                         "finite and non-negative", what, w, buf);
    }
    return PTD_OK;
}

static edge_t *find_edge(ptd_graph *g, size_t from, size_t to)
{
    elist_t *l = &g->out[from];
    for (uint32_t i = l->n; i-- > 0;)
        if (l->e[i].to == to)
            return &l->e[i];
    return NULL;
}

static int append_edge(ptd_graph *g, size_t from, size_t to, double w, int32_t param)
{
    elist_t *l = &g->out[from];
    if (l->n == UINT32_MAX)
        return ptd_error(PTD_EINVAL, "too many edges from one vertex");
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? (l->cap > UINT32_MAX / 2 ? UINT32_MAX : 2 * l->cap) : 4;
        edge_t *e = realloc(l->e, (size_t)nc * sizeof *e);
        if (!e)
            return ptd_error(PTD_ENOMEM, "out of memory adding an edge");
        l->e = e;
        l->cap = nc;
    }
    l->e[l->n].to = (uint32_t)to;
    l->e[l->n].param = param;
    l->e[l->n].weight = w;
    l->n++;
    g->n_edges++;
    return PTD_OK;
}

int ptd_graph_add_edge(ptd_graph *g, size_t from, size_t to, double weight)
{
    int rc;
    if ((rc = check_edge(g, from, to)) || (rc = check_weight(g, from, weight, "weight")))
        return rc;
    free_derived(g);
    edge_t *e = find_edge(g, from, to);
    if (e) { /* merge a duplicate: rates of parallel edges add */
        e->weight += weight;
        if (e->param >= 0)
            g->pe[e->param].base += weight;
        return PTD_OK;
    }
    return append_edge(g, from, to, weight, -1);
}

static double param_weight(const ptd_graph *g, double base, const double *coef, size_t ncoef)
{
    double w = base;
    if (g->theta)
        for (size_t j = 0; j < ncoef && j < g->param_length; j++)
            w += coef[j] * g->theta[j];
    return w;
}

int ptd_graph_add_edge_param(ptd_graph *g, size_t from, size_t to, double base, const double *coef,
                             size_t ncoef)
{
    int rc;
    if ((rc = check_edge(g, from, to)) || (rc = check_weight(g, from, base, "base weight")))
        return rc;
    for (size_t j = 0; j < ncoef; j++)
        if (!isfinite(coef[j]))
            return ptd_error(PTD_EINVAL, "coefficient %zu is not finite", j);
    if (ncoef > INT32_MAX)
        return ptd_error(PTD_EINVAL, "too many coefficients");
    edge_t *e = find_edge(g, from, to);
    size_t old_n = 0;
    const double *old = NULL;
    double old_base = 0;
    if (e && e->param >= 0) {
        old_n = g->pe[e->param].ncoef;
        old_base = g->pe[e->param].base;
    } else if (e) {
        old_base = e->weight;
    }
    size_t total = ncoef > old_n ? ncoef : old_n;
    if ((rc = grow((void **)&g->coefs, &g->cap_coefs, g->n_coefs + total, sizeof(double))) ||
        (rc = grow((void **)&g->pe, &g->cap_pe, g->n_pe + 1, sizeof(pedge_t))))
        return rc;
    if (g->n_pe >= INT32_MAX)
        return ptd_error(PTD_EINVAL, "too many parameterised edges");
    if (e && e->param >= 0)
        old = g->coefs + g->pe[e->param].coef_off;
    double *c = g->coefs + g->n_coefs;
    for (size_t j = 0; j < total; j++)
        c[j] = (j < ncoef ? coef[j] : 0.0) + (j < old_n ? old[j] : 0.0);
    if (total > g->param_length) {
        g->param_length = total;
        free(g->theta); /* an earlier theta no longer has the right length */
        g->theta = NULL;
    }
    free_derived(g);
    pedge_t pe = {old_base + base, g->n_coefs, (uint32_t)total};
    double w = param_weight(g, pe.base, c, total);
    if (e) {
        /* merged duplicate: the old coefficient block stays unused in the pool */
        g->pe[g->n_pe] = pe;
        e->param = (int32_t)g->n_pe;
        e->weight = w < 0 ? 0 : w;
        g->n_pe++;
        g->n_coefs += total;
        return PTD_OK;
    }
    if ((rc = append_edge(g, from, to, w < 0 ? 0 : w, (int32_t)g->n_pe)))
        return rc;
    g->pe[g->n_pe++] = pe;
    g->n_coefs += total;
    return PTD_OK;
}

int ptd_graph_update_weights(ptd_graph *g, const double *theta, size_t p)
{
    if (p != g->param_length)
        return ptd_error(PTD_EINVAL, "theta has length %zu but the graph has %zu parameters", p,
                         g->param_length);
    for (size_t j = 0; j < p; j++)
        if (!isfinite(theta[j]))
            return ptd_error(PTD_EINVAL, "theta[%zu] = %g is not finite", j, theta[j]);
    /* validate every weight before changing anything */
    for (size_t v = 0; v < g->n; v++)
        for (uint32_t i = 0; i < g->out[v].n; i++) {
            int32_t q = g->out[v].e[i].param;
            if (q < 0)
                continue;
            const pedge_t *pe = &g->pe[q];
            double w = pe->base;
            for (size_t j = 0; j < pe->ncoef; j++)
                w += g->coefs[pe->coef_off + j] * theta[j];
            int rc = check_weight(g, v, w, "theta gives weight");
            if (rc)
                return rc;
        }
    if (!g->theta && p) {
        g->theta = malloc(p * sizeof(double));
        if (!g->theta)
            return ptd_error(PTD_ENOMEM, "out of memory");
    }
    if (p)
        memcpy(g->theta, theta, p * sizeof(double));
    size_t k = 0;
    for (size_t v = 0; v < g->n; v++)
        for (uint32_t i = 0; i < g->out[v].n; i++, k++) {
            edge_t *e = &g->out[v].e[i];
            if (e->param < 0)
                continue;
            const pedge_t *pe = &g->pe[e->param];
            e->weight = param_weight(g, pe->base, g->coefs + pe->coef_off, pe->ncoef);
            if (g->csr)
                g->csr->weight[k] = e->weight;
        }
    return PTD_OK;
}

/* ------------------------------------------------------------------ compiled view */

const ptd_csr *ptd_graph_csr(ptd_graph *g)
{
    if (g->csr)
        return g->csr;
    ptd_csr *c = calloc(1, sizeof *c);
    if (!c) {
        ptd_error(PTD_ENOMEM, "out of memory compiling the graph");
        return NULL;
    }
    size_t p = g->param_length, ne = g->n_edges, npe = 0;
    for (size_t v = 0; v < g->n; v++)
        for (uint32_t i = 0; i < g->out[v].n; i++)
            npe += g->out[v].e[i].param >= 0;
    c->n = g->n;
    c->n_edges = ne;
    c->state_length = g->state_length;
    c->param_length = p;
    c->n_param_edges = npe;
    c->states = g->states;
    c->row = malloc((g->n + 1) * sizeof(size_t));
    c->col = malloc((ne ? ne : 1) * sizeof(uint32_t));
    c->weight = malloc((ne ? ne : 1) * sizeof(double));
    c->param = malloc((ne ? ne : 1) * sizeof(int64_t));
    c->base = malloc((npe ? npe : 1) * sizeof(double));
    c->coef = calloc(npe * p > 0 ? npe * p : 1, sizeof(double));
    g->csr = c; /* so that free_derived releases a partial result */
    if (!c->row || !c->col || !c->weight || !c->param || !c->base || !c->coef) {
        free_derived(g);
        ptd_error(PTD_ENOMEM, "out of memory compiling the graph");
        return NULL;
    }
    size_t k = 0, q = 0;
    for (size_t v = 0; v < g->n; v++) {
        c->row[v] = k;
        for (uint32_t i = 0; i < g->out[v].n; i++, k++) {
            const edge_t *e = &g->out[v].e[i];
            c->col[k] = e->to;
            c->weight[k] = e->weight;
            c->param[k] = -1;
            if (e->param >= 0) {
                const pedge_t *pe = &g->pe[e->param];
                c->param[k] = (int64_t)q;
                c->base[q] = pe->base;
                memcpy(c->coef + q * p, g->coefs + pe->coef_off, pe->ncoef * sizeof(double));
                q++;
            }
        }
    }
    c->row[g->n] = k;
    return c;
}

int ptd_csr_weights(const ptd_csr *c, const double *theta, double *out)
{
    size_t p = c->param_length;
    for (size_t v = 0; v < c->n; v++)
        for (size_t k = c->row[v]; k < c->row[v + 1]; k++) {
            int64_t q = c->param[k];
            if (q < 0) {
                out[k] = c->weight[k];
                continue;
            }
            double w = c->base[q];
            const double *cf = c->coef + (size_t)q * p;
            for (size_t j = 0; j < p; j++)
                w += cf[j] * theta[j];
            if (!(w >= 0) || !isfinite(w)) {
                char buf[256];
                ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
                return ptd_error(PTD_EINVAL, "theta gives weight %g on an edge from the vertex with "
                                 "state%s: weights must be finite and non-negative", w, buf);
            }
            out[k] = w;
        }
    return PTD_OK;
}

/* ------------------------------------------------------------------ caches */

void *ptd_graph_cache_get(const ptd_graph *g, int slot)
{
    return (slot >= 0 && slot < PTD_CACHE_SLOTS) ? g->cache[slot] : NULL;
}

void ptd_graph_cache_set(ptd_graph *g, int slot, void *data, void (*destroy)(void *))
{
    if (slot < 0 || slot >= PTD_CACHE_SLOTS)
        return;
    if (g->cache[slot] && g->cache_free[slot])
        g->cache_free[slot](g->cache[slot]);
    g->cache[slot] = data;
    g->cache_free[slot] = destroy;
}
