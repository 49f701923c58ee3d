/*
 * ptdalgorithms C core — the one public header.
 *
 * Conventions
 *  - Every function that can fail returns an int error code (PTD_OK == 0, negative on error) or NULL,
 *    and sets a thread-local message readable with ptd_last_error().  Nothing here exits, aborts or prints.
 *  - Vertex 0 is the starting vertex.  Its out-edge weights, divided by their sum, are the initial
 *    distribution alpha; an edge from the start to an absorbing vertex is a defect (probability of
 *    starting absorbed).  The start vertex is never in the state lookup and cannot be an edge target.
 *  - Vertices (other than the start) without out-edges absorb.
 *  - Edge weight of a parameterised edge = base + sum_j coef[j] * theta[j]; the same formula everywhere
 *    (ptd_csr_weights).
 *  - All scratch memory used by numeric kernels is in workspaces passed in by the caller, so two
 *    threads never share mutable state.
 */
#ifndef PTDALGORITHMS_H
#define PTDALGORITHMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors (error.c) */
#define PTD_OK 0
#define PTD_EINVAL (-1)  /* invalid input: maps to ValueError */
#define PTD_ENOMEM (-2)  /* allocation failed: maps to MemoryError */
#define PTD_EMATH (-3)   /* quantity does not exist / not computable (e.g. no path to absorption) */
#define PTD_EINDEX (-4)  /* index out of range: maps to IndexError */

/* Set the calling thread's error message (printf-style) and return code. */
int ptd_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The calling thread's last error message ("" if none). */
const char *ptd_last_error(void);
/* Append " [s0, s1, ...]" formatting of a state vector into buf (size bufsize). */
void ptd_format_state(char *buf, size_t bufsize, const int32_t *state, size_t state_length);

/* ---------------------------------------------------------------- graph (graph.c) */
typedef struct ptd_graph ptd_graph;
typedef struct ptd_csr ptd_csr;

ptd_graph *ptd_graph_create(size_t state_length);
void ptd_graph_destroy(ptd_graph *g);
ptd_graph *ptd_graph_clone(const ptd_graph *g);

size_t ptd_graph_n_vertices(const ptd_graph *g);
size_t ptd_graph_n_edges(const ptd_graph *g);
size_t ptd_graph_state_length(const ptd_graph *g);
size_t ptd_graph_param_length(const ptd_graph *g);
const int32_t *ptd_graph_state(const ptd_graph *g, size_t v);
/* Index of the vertex with this state, -1 if absent. */
int64_t ptd_graph_find(const ptd_graph *g, const int32_t *state);
/* Index of the vertex with this state, created if absent; negative error code on failure. */
int64_t ptd_graph_find_or_create(ptd_graph *g, const int32_t *state);

/* Add an edge; an edge that already exists between the same vertices is merged (weights, bases and
 * coefficients add).  Rejects negative/NaN/inf weights, self-loops, edges into the start vertex. */
int ptd_graph_add_edge(ptd_graph *g, size_t from, size_t to, double weight);
int ptd_graph_add_edge_param(ptd_graph *g, size_t from, size_t to, double base, const double *coef,
                             size_t ncoef);
size_t ptd_graph_out_degree(const ptd_graph *g, size_t v);
/* i-th out-edge of v: target and current weight. */
int ptd_graph_edge(const ptd_graph *g, size_t v, size_t i, size_t *to, double *weight);
/* Parameterisation of the i-th out-edge of v: returns 1 if parameterised (base, coef, ncoef set), 0 if
 * not, negative on a bad index.  coef points into graph-owned memory valid until the next change. */
int ptd_graph_edge_param(const ptd_graph *g, size_t v, size_t i, double *base, const double **coef,
                         size_t *ncoef);
/* Sum of out-edge weights of v. */
double ptd_graph_vertex_rate(const ptd_graph *g, size_t v);
/* Set every parameterised edge's weight to base + coef . theta (length must be param_length);
 * rejects a theta giving a negative or non-finite weight (graph left unchanged). */
int ptd_graph_update_weights(ptd_graph *g, const double *theta, size_t p);
/* Last theta given to ptd_graph_update_weights (NULL if none). */
const double *ptd_graph_theta(const ptd_graph *g);

/* Compiled, read-only view of the graph (CSR), cached on the graph and rebuilt after any structural
 * change.  Its weight array follows ptd_graph_update_weights.  NULL on error. */
const ptd_csr *ptd_graph_csr(ptd_graph *g);

/* A cache slot owned by another module (e.g. the elimination program), freed with `destroy` on any
 * structural change of the graph and when the graph is destroyed. */
enum { PTD_CACHE_PROGRAM = 0, PTD_CACHE_SLOTS = 4 };
void *ptd_graph_cache_get(const ptd_graph *g, int slot);
void ptd_graph_cache_set(ptd_graph *g, int slot, void *data, void (*destroy)(void *));

/* ---------------------------------------------------------------- compiled graph (graph.c) */
struct ptd_csr {
    size_t n;              /* vertices, 0 = start */
    size_t n_edges;
    size_t state_length;
    size_t param_length;   /* p */
    size_t n_param_edges;
    size_t *row;           /* n + 1: out-edges of v are row[v] .. row[v+1]-1 */
    uint32_t *col;         /* n_edges: targets */
    double *weight;        /* n_edges: current weights */
    int64_t *param;        /* n_edges: row into base/coef, or -1 for a fixed edge */
    double *base;          /* n_param_edges */
    double *coef;          /* n_param_edges * p, zero padded */
    const int32_t *states; /* n * state_length, borrowed from the graph */
};
/* Weights of every edge for parameter vector theta (length c->param_length) into out (n_edges);
 * fixed edges keep their weight.  Error (naming the vertex state) if a weight is negative or not finite. */
int ptd_csr_weights(const ptd_csr *c, const double *theta, double *out);
/* 1 if v absorbs (no out-edges, not the start). */
static inline int ptd_csr_absorbing(const ptd_csr *c, size_t v) { return v != 0 && c->row[v] == c->row[v + 1]; }

/* ---------------------------------------------------------------- order (order.c) */
/* Strongly connected components (iterative Tarjan).  comp[v] = component id; components are numbered
 * in topological order (edges go from lower to higher or equal id).  Returns number of components
 * through *n_comp.  comp must hold n entries. */
int ptd_scc(const ptd_csr *c, uint32_t *comp, size_t *n_comp);
/* 1 if the graph has no cycle, 0 if it has, negative on error. */
int ptd_is_acyclic(const ptd_csr *c);
/* Check that every vertex reachable from the start can reach an absorbing vertex, using weights w
 * (zero-weight edges do not count) and that no vertex has out-edges with zero total weight. */
int ptd_check_absorption(const ptd_csr *c, const double *w);

/* ---------------------------------------------------------------- matrices (matrix.c) */
/* Transient vertices = non-start vertices with out-edges, in index order.  idx receives their vertex
 * indices (n_transient entries, caller allocates c->n).  alpha (n_t) and S (n_t*n_t, row major) are
 * filled from weights w. */
int ptd_transient_index(const ptd_csr *c, size_t *idx, size_t *n_transient);
int ptd_to_matrices(const ptd_csr *c, const double *w, const size_t *idx, size_t n_t, double *alpha,
                    double *S);
/* Build a graph from alpha (n), S (n*n row major) and optional states (n*state_length, may be NULL:
 * states become [1..n]).  Adds one absorbing vertex (state all zeros, or [0]) for exit rates and defect. */
ptd_graph *ptd_from_matrices(const double *alpha, const double *S, size_t n, const int32_t *states,
                             size_t state_length);

/* ---------------------------------------------------------------- sampling (sample.c) */
/* xoshiro256** state, seeded with ptd_rng_seed (splitmix64). */
typedef struct { uint64_t s[4]; } ptd_rng;
void ptd_rng_seed(ptd_rng *r, uint64_t seed);
double ptd_rng_uniform(ptd_rng *r);  /* in (0, 1) */
/* n samples of the absorption time (continuous) or number of jumps (discrete: edge weights are
 * probabilities, missing out-mass a self-transition).  rewards: NULL, or an (n_vertices x k) row-major
 * matrix; out: n (rewards NULL: k = 1) or n*k row-major. */
int ptd_sample(const ptd_csr *c, const double *w, size_t n, const double *rewards, size_t k, int discrete,
               ptd_rng *rng, double *out);

#ifdef __cplusplus
}
#endif

/* Per-concept sections, each owned by its module. */
#include "ptd_moments.h"      /* elimination.c, moments.c, reward.c */
#include "ptd_distribution.h" /* distribution.c */

#endif
