# cython: language_level=3
"""Moments, covariances, reward transformation and exact theta-gradients (src_c/elimination.c,
moments.c, reward.c).

Conventions shared by every function here
-----------------------------------------
* Continuous graphs: edge weights are rates; the time scale is that of the rates (a rate-``λ`` edge
  is left after an Exp(λ) time).  The accumulated reward is ``Y = ∫ r(X_t) dt`` until absorption.
* Discrete graphs (``discrete=True``): edge weights are jump probabilities and the missing
  out-probability ``1 - Σ w`` is the self-transition.  ``Y = Σ_{n=0}^{τ-1} r(X_n)``: every step spent in
  a transient vertex (self-transitions included) adds its reward; with unit rewards ``Y = τ``, the
  number of jumps to absorption.
* ``rewards`` is one non-negative number per vertex (length ``len(graph)``, the start included);
  rewards on the starting vertex and on absorbing vertices are ignored.  ``None`` means 1 everywhere,
  i.e. the absorption time itself.
* The initial distribution is ``α`` = start out-weights divided by their sum; an edge from the start
  to an absorbing vertex is a defect and contributes 0 to every moment.
* Everything is computed by replaying the graph's elimination program (compiled once per structure
  and cached on the graph), which is exact for cyclic graphs.
"""
import numpy as np
cimport numpy as cnp
from cython.parallel cimport prange, parallel

from ptdalgorithms._common cimport *
from ptdalgorithms._graph cimport Graph, wrap_graph

cnp.import_array()


cdef extern from "ptdalgorithms.h" nogil:
    ctypedef struct ptd_program:
        pass
    ctypedef struct ptd_moment_ws:
        pass
    const ptd_program *ptd_graph_program(ptd_graph *g)
    size_t ptd_program_n_registers(const ptd_program *prog)
    size_t ptd_program_n_register_ops(const ptd_program *prog)
    size_t ptd_program_n_solve_ops(const ptd_program *prog)
    ptd_moment_ws *ptd_moment_ws_create(const ptd_csr *c, const ptd_program *prog, size_t k)
    void ptd_moment_ws_destroy(ptd_moment_ws *ws)
    int ptd_moments(const ptd_csr *c, const ptd_program *prog, const double *w, const double *rewards,
                    size_t k, int discrete, ptd_moment_ws *ws, double *out, double *vertex_out)
    int ptd_moments_grad(const ptd_csr *c, const ptd_program *prog, const double *theta,
                         const double *rewards, size_t k, int discrete, ptd_moment_ws *ws, double *out,
                         double *jac)
    int ptd_covariance_matrix(const ptd_csr *c, const ptd_program *prog, const double *w,
                              const double *R, size_t m, int discrete, ptd_moment_ws *ws, double *out)
    ptd_graph *ptd_reward_transform(ptd_graph *g, const double *rewards, int discrete)
    ptd_graph *ptd_graph_normalize(ptd_graph *g)


# ---------------------------------------------------------------------------------------- helpers

cdef const ptd_program *_program(Graph g) except NULL:
    cdef const ptd_program *p = ptd_graph_program(g._g)
    check_ptr(p)
    return p


cdef Graph _wrap(ptd_graph *g):
    # Each extension links its own copy of the C core, so the error text set here lives in this module:
    # check it here rather than in wrap_graph (which would read _graph's copy).
    check_ptr(g)
    return wrap_graph(g)


cdef object _reward_vector(Graph g, rewards, str name='rewards'):
    """None, or a validated contiguous float64 copy of one reward per vertex."""
    if rewards is None:
        return None
    r = np.asarray(rewards, dtype=np.float64)
    n = len(g)
    if r.ndim != 1 or r.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) (one per vertex, the start included), "
                         f"got {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    if np.any(r < 0):
        raise ValueError(f"{name} must be non-negative (found {r.min()!r})")
    return np.ascontiguousarray(r)


cdef int _check_k(k) except -1:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"k must be an integer, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return 0


cdef object _theta_vector(Graph g, theta):
    t = np.ascontiguousarray(np.asarray(theta, dtype=np.float64).reshape(-1))
    p = g.param_length
    if t.shape[0] != p:
        raise ValueError(f"theta has length {t.shape[0]}, the graph has {p} parameters")
    if not np.all(np.isfinite(t)):
        raise ValueError("theta must be finite (found NaN or inf)")
    return t


cdef object _vertex_moments(Graph g, Py_ssize_t k, rewards, bint discrete, bint per_vertex):
    """(moments (k,), per-vertex moments (k, n) or None) at the current weights."""
    cdef const ptd_csr *c = g._csr()
    cdef const ptd_program *prog = _program(g)
    r = _reward_vector(g, rewards)
    cdef cnp.ndarray[double, ndim=1, mode="c"] rr
    cdef const double *rp = NULL
    if r is not None:
        rr = r
        rp = <const double *>rr.data
    cdef cnp.ndarray[double, ndim=1, mode="c"] out = np.empty(k)
    cdef cnp.ndarray[double, ndim=2, mode="c"] vo
    cdef double *vp = NULL
    if per_vertex:
        vo = np.empty((k, c.n))
        vp = <double *>vo.data
    cdef ptd_moment_ws *ws = ptd_moment_ws_create(c, prog, k)
    check_ptr(ws)
    cdef int rc
    cdef int disc = 1 if discrete else 0
    with nogil:
        rc = ptd_moments(c, prog, NULL, rp, k, disc, ws, <double *>out.data, vp)
        ptd_moment_ws_destroy(ws)
    check(rc)
    return out, (vo if per_vertex else None)


# ---------------------------------------------------------------------------------------- moments

def expected_waiting_time(Graph graph, rewards=None, discrete=False) -> np.ndarray:
    """Implementation of :meth:`ptdalgorithms.Graph.expected_waiting_time` (see its docstring)."""
    return _vertex_moments(graph, 1, rewards, discrete, True)[1][0]


def moments(Graph graph, k, rewards=None, discrete=False) -> np.ndarray:
    """Implementation of :meth:`ptdalgorithms.Graph.moments` (see its docstring)."""
    _check_k(k)
    return _vertex_moments(graph, k, rewards, discrete, False)[0]


def expectation(Graph graph, rewards=None, discrete=False) -> float:
    """Implementation of :meth:`ptdalgorithms.Graph.expectation` (see its docstring)."""
    return float(_vertex_moments(graph, 1, rewards, discrete, False)[0][0])


def variance(Graph graph, rewards=None, discrete=False) -> float:
    """Implementation of :meth:`ptdalgorithms.Graph.variance` (see its docstring)."""
    m = _vertex_moments(graph, 2, rewards, discrete, False)[0]
    return float(m[1] - m[0] * m[0])


def covariance_matrix(Graph graph, R, discrete=False) -> np.ndarray:
    """Implementation of :meth:`ptdalgorithms.Graph.covariance_matrix` (see its docstring)."""
    cdef const ptd_csr *c = graph._csr()
    cdef const ptd_program *prog = _program(graph)
    A = np.asarray(R, dtype=np.float64)
    n = len(graph)
    if A.ndim != 2 or A.shape[0] != n:
        raise ValueError(f"R must have shape ({n}, m) (one row per vertex), got {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("R must be finite (found NaN or inf)")
    if np.any(A < 0):
        raise ValueError("rewards in R must be non-negative")
    cdef cnp.ndarray[double, ndim=2, mode="c"] RR = np.ascontiguousarray(A)
    cdef size_t m = RR.shape[1]
    cdef cnp.ndarray[double, ndim=2, mode="c"] out = np.empty((m, m))
    if m == 0:
        return out
    cdef ptd_moment_ws *ws = ptd_moment_ws_create(c, prog, 1)
    check_ptr(ws)
    cdef int rc
    cdef int disc = 1 if discrete else 0
    with nogil:
        rc = ptd_covariance_matrix(c, prog, NULL, <const double *>RR.data, m, disc, ws,
                                   <double *>out.data)
        ptd_moment_ws_destroy(ws)
    check(rc)
    return out


def covariance(Graph graph, rewards1, rewards2, discrete=False) -> float:
    """Implementation of :meth:`ptdalgorithms.Graph.covariance` (see its docstring)."""
    r1 = _reward_vector(graph, rewards1, 'rewards1')
    r2 = _reward_vector(graph, rewards2, 'rewards2')
    return float(covariance_matrix(graph, np.column_stack([r1, r2]), discrete)[0, 1])


def defect(Graph graph) -> float:
    """Implementation of :meth:`ptdalgorithms.Graph.defect` (see its docstring)."""
    cdef const ptd_csr *c = graph._csr()
    cdef double tot = 0, dead = 0
    cdef size_t e
    for e in range(c.row[0], c.row[1]):
        tot += c.weight[e]
        if ptd_csr_absorbing(c, c.col[e]):
            dead += c.weight[e]
    if tot <= 0:
        raise ValueError("the starting vertex has no out-edge of positive weight")
    return dead / tot


# ---------------------------------------------------------------------------------------- new graphs

def reward_transform(Graph graph, rewards, discrete=False) -> Graph:
    """Implementation of :meth:`ptdalgorithms.Graph.reward_transform` (see its docstring)."""
    r = _reward_vector(graph, rewards)
    if r is None:
        raise ValueError("rewards must be given")
    if discrete and not np.all(r == np.round(r)):
        raise ValueError("discrete reward transformation needs integer rewards")
    cdef cnp.ndarray[double, ndim=1, mode="c"] rr = r
    return _wrap(ptd_reward_transform(graph._g, <const double *>rr.data, 1 if discrete else 0))


def normalize(Graph graph) -> Graph:
    """Implementation of :meth:`ptdalgorithms.Graph.normalize` (see its docstring)."""
    return _wrap(ptd_graph_normalize(graph._g))


# ---------------------------------------------------------------------------------------- gradients

def moments_and_gradient(Graph graph, theta, k, rewards=None, discrete=False):
    """Implementation of :meth:`ptdalgorithms.Graph.moments_and_gradient` (see its docstring)."""
    th = _theta_vector(graph, theta).reshape(1, -1)
    vals, jac = batch_moments(graph, th, k, rewards, discrete, True)
    return vals[0], jac[0]


def batch_moments(Graph graph, theta, k, rewards=None, discrete=False, gradient=True):
    """Implementation of :meth:`ptdalgorithms.Graph.batch_moments` (see its docstring)."""
    _check_k(k)
    cdef const ptd_csr *c = graph._csr()
    cdef const ptd_program *prog = _program(graph)
    cdef Py_ssize_t p = c.param_length
    T = np.asarray(theta, dtype=np.float64)
    if T.ndim != 2 or T.shape[1] != p:
        raise ValueError(f"theta must have shape (n, {p}) (one parameter vector per row), got {T.shape}")
    if not np.all(np.isfinite(T)):
        raise ValueError("theta must be finite (found NaN or inf)")
    cdef cnp.ndarray[double, ndim=2, mode="c"] TT = np.ascontiguousarray(T)
    cdef Py_ssize_t n = TT.shape[0]
    cdef Py_ssize_t kk = k
    r = _reward_vector(graph, rewards)
    cdef cnp.ndarray[double, ndim=1, mode="c"] rr
    cdef const double *rp = NULL
    if r is not None:
        rr = r
        rp = <const double *>rr.data
    cdef cnp.ndarray[double, ndim=2, mode="c"] vals = np.empty((n, kk))
    grads = np.empty((n, kk, p)) if gradient else None
    cdef cnp.ndarray[double, ndim=3, mode="c"] G
    cdef double *gp = NULL
    if gradient and n * kk * p > 0:
        G = grads
        gp = <double *>G.data
    cdef cnp.ndarray[int, ndim=1, mode="c"] codes = np.zeros(n, dtype=np.intc)
    cdef int *cp = <int *>codes.data
    cdef const double *tp = <const double *>TT.data if p > 0 else NULL
    cdef double *vp = <double *>vals.data
    cdef int disc = 1 if discrete else 0
    cdef Py_ssize_t i
    cdef ptd_moment_ws *ws
    if n == 0:
        return vals, grads
    with nogil, parallel():
        ws = ptd_moment_ws_create(c, prog, kk)
        for i in prange(n, schedule='static'):
            if ws == NULL:
                cp[i] = PTD_ENOMEM
            else:
                cp[i] = ptd_moments_grad(c, prog, tp + i * p if p > 0 else NULL, rp, kk, disc, ws,
                                         vp + i * kk, gp + i * kk * p if gp != NULL else NULL)
        ptd_moment_ws_destroy(ws)
    bad = np.flatnonzero(codes)
    if bad.size:
        i = bad[0]
        ws = ptd_moment_ws_create(c, prog, kk)
        check_ptr(ws)
        rc = ptd_moments_grad(c, prog, tp + i * p if p > 0 else NULL, rp, kk, disc, ws, vp + i * kk,
                              gp + i * kk * p if gp != NULL else NULL)
        ptd_moment_ws_destroy(ws)
        try:
            check(rc if rc < 0 else cp[i])
        except (ValueError, MemoryError) as err:
            raise type(err)(f"theta row {i}: {err}") from None
    return vals, grads


def _program_size(Graph graph) -> dict:
    """Sizes of the graph's elimination program (for benchmarks and tests)."""
    cdef const ptd_program *prog = _program(graph)
    return {"registers": ptd_program_n_registers(prog),
            "register_ops": ptd_program_n_register_ops(prog),
            "solve_ops": ptd_program_n_solve_ops(prog)}
