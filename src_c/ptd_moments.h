/* Section of ptdalgorithms.h; include ptdalgorithms.h, not this file.
 *
 * Elimination program, moments, covariances and reward transformation
 * (elimination.c, moments.c, reward.c).
 *
 * Notation.  Over the non-absorbing vertices (the start included), A = Lambda - W where W holds the edge
 * weights and Lambda = diag(lambda_v), lambda_v = sum of v's out-weights.  Continuous: A = -S.  Discrete:
 * lambda_v = 1 - T_vv, so A = I - T.  One program computing x = A^{-1} c serves both.  The start row
 * gives x_0 = alpha . x (alpha normalised, edges from the start to absorbing vertices are the defect).
 */
#ifndef PTD_MOMENTS_H
#define PTD_MOMENTS_H
#include "ptdalgorithms.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- elimination program (elimination.c) */
/* A straight-line program recorded once from the graph's structure (all edges, zero weights included):
 *  (a) a register program computing every multiplier from the edge-weight array, and
 *  (b) a solve program over a vector x: x <- A^{-1} x.
 * Replaying it for new weights is linear in its length and allocates nothing. */
typedef struct ptd_program ptd_program;

/* Compile the program for c (strongly connected components sinks first, Gaussian elimination read as a
 * graph inside each component, min-degree order).  Fails (naming a vertex) if the structure has a
 * closed class, i.e. some vertex cannot reach absorption for any weights. */
int ptd_program_compile(const ptd_csr *c, ptd_program **out);
void ptd_program_destroy(ptd_program *prog);
/* The program of g, compiled on first use and cached on the graph (freed on structural change).  Call
 * with exclusive access to g (GIL held); the result may then be used from any thread.  NULL on error. */
const ptd_program *ptd_graph_program(ptd_graph *g);

size_t ptd_program_n_registers(const ptd_program *prog);
size_t ptd_program_n_register_ops(const ptd_program *prog);
size_t ptd_program_n_solve_ops(const ptd_program *prog);

/* Run the register program for edge weights w (c->n_edges) into R (ptd_program_n_registers entries).
 * Error naming the vertex state for a vertex with out-edges but zero total weight, or one that cannot
 * reach absorption with these weights. */
int ptd_program_load(const ptd_program *prog, const ptd_csr *c, const double *w, double *R);
/* x <- A^{-1} x in place (length c->n).  Entries of x at absorbing vertices must be 0 (they stay 0). */
void ptd_program_solve(const ptd_program *prog, const double *R, double *x);

/* ------------------------------------------------------------- moments (moments.c) */
/* Workspace for one thread: weights, registers and moment vectors for up to k moments. */
typedef struct ptd_moment_ws ptd_moment_ws;
ptd_moment_ws *ptd_moment_ws_create(const ptd_csr *c, const ptd_program *prog, size_t k);
void ptd_moment_ws_destroy(ptd_moment_ws *ws);

/* Discrete graphs: every non-start vertex's out-probabilities must sum to at most 1. */
int ptd_check_discrete(const ptd_csr *c, const double *w);

/* Raw moments E[Y^1..k] of the accumulated reward from the start into out (k), for edge weights w
 * (NULL: the current weights c->weight).  rewards: length c->n, or NULL for 1 on every vertex (entries on
 * the start and absorbing vertices are ignored).  vertex_out: NULL or (k x c->n) row-major, moment i of
 * the reward accumulated from each vertex (0 at absorbing vertices; entry 0 = from the start). */
int ptd_moments(const ptd_csr *c, const ptd_program *prog, const double *w, const double *rewards,
                size_t k, int discrete, ptd_moment_ws *ws, double *out, double *vertex_out);
/* Moments and their exact derivatives with respect to theta (length c->param_length) by forward-mode
 * differentiation through the linear systems: values out (k), jacobian jac (k x p row-major, may be NULL
 * when p = 0).  theta NULL: current weights, and jac must be NULL. */
int ptd_moments_grad(const ptd_csr *c, const ptd_program *prog, const double *theta,
                     const double *rewards, size_t k, int discrete, ptd_moment_ws *ws, double *out,
                     double *jac);
/* Covariance matrix (m x m) of the rewards in R (c->n x m row-major) for weights w (NULL: current). */
int ptd_covariance_matrix(const ptd_csr *c, const ptd_program *prog, const double *w, const double *R,
                          size_t m, int discrete, ptd_moment_ws *ws, double *out);

/* ------------------------------------------------------------- reward transformation (reward.c) */
/* A new graph whose absorption time is the accumulated reward of g.
 * Continuous (discrete = 0): rewards >= 0; vertices with reward 0 are eliminated (their in- and
 * out-edges replaced by the equivalent direct jumps), the out-rates of a vertex with reward r > 0 are
 * divided by r.  The new graph has the same state length, kept vertices keep their states and their
 * relative order.  A parameterised graph keeps its parameterisation if all rewards are > 0.
 * Discrete (discrete = 1): integer rewards >= 0; a vertex with reward k becomes a chain of k vertices.
 * The new state length is state_length + 1: the trailing entry is 0 for a kept vertex and j = 1..k-1 for
 * the j-th added chain vertex.  Rewards on the start and absorbing vertices are ignored.
 * NULL on error (message set). */
ptd_graph *ptd_reward_transform(ptd_graph *g, const double *rewards, int discrete);
/* The embedded jump chain as a discrete graph: same vertices and states, each vertex's out-weights
 * (current weights) divided by their sum; not parameterised.  NULL on error. */
ptd_graph *ptd_graph_normalize(ptd_graph *g);

#ifdef __cplusplus
}
#endif
#endif
