# cython: language_level=3
"""Distribution functions of phase-type graphs: exact uniformisation (continuous) and stepping (DPH).

Continuous graphs: f(t) = alpha e^{St} s and F(t) = 1 - alpha e^{St} e are computed by uniformisation,
e^{St} = sum_k Pois(k; Lambda t) (I + S/Lambda)^k with Lambda the largest exit rate, pushing
v_k = alpha P^k over the edges of the graph (``O(|E|)`` per step) and accumulating all requested times in
one sweep with truncated, normalised Poisson windows (Fox & Glynn 1988).  The results are accurate to
`tol` (default 1e-12) in absolute terms -- not a fixed-grid approximation.

Discrete graphs (DPH): edge weights are jump probabilities and the missing out-mass 1 - sum(w) is a
self-transition; P(tau = k) = alpha T^{k-1} t is obtained by stepping.

Gradients with respect to the parameter vector theta of a parameterised graph are exact: tangents
dv_k/dtheta are propagated in the same sweep (cost about (1 + p) times one evaluation).

The functions take the Graph as first argument; Graph methods delegate to them.  Rewards are not
handled here (the rewarded time's distribution is that of the reward-transformed graph).
"""
import numpy as np
cimport numpy as cnp
from cython.parallel cimport prange, parallel
from libc.string cimport memset
from libc.stdlib cimport malloc, free

from ptdalgorithms._common cimport (ptd_graph, ptd_csr, ptd_graph_csr, ptd_graph_n_vertices,
                                    ptd_graph_n_edges, ptd_graph_param_length, check, PTD_ENOMEM)
from ptdalgorithms._graph cimport Graph

cnp.import_array()

cdef extern from "ptdalgorithms.h" nogil:
    ctypedef struct ptd_dist_ws:
        pass
    ctypedef struct ptd_dist_query:
        const double *times
        size_t m
        double tol
        int discrete
        const double *start
        double *pdf
        double *sf
        double *stop
        double *visit
        int gradient
        double *dpdf
        double *dsf
        double lambda_ "lambda"
        size_t steps
    ptd_dist_ws *ptd_dist_ws_create()
    void ptd_dist_ws_destroy(ptd_dist_ws *ws)
    int ptd_distribution(const ptd_csr *c, const double *theta, ptd_dist_query *q, ptd_dist_ws *ws)


# ------------------------------------------------------------------------------------------ helpers

cdef const ptd_csr *_csr(Graph graph) except NULL:
    cdef const ptd_csr *c = ptd_graph_csr(graph._g)
    if c == NULL:
        check(-1)
    return c


def _times(t, bint discrete):
    """Times (or jump counts) as a flat float64 array, and the shape to give the results."""
    try:
        arr = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{'jump counts' if discrete else 'times'} must be numbers: {exc}") from None
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(f"{'jump counts' if discrete else 'times'} must be finite and non-negative; "
                         f"got {float(arr.ravel()[i])!r} at index {i}")
    if discrete and (arr != np.floor(arr)).any():
        i = int(np.flatnonzero((arr != np.floor(arr)).ravel())[0])
        raise ValueError(f"jump counts must be non-negative integers; got {float(arr.ravel()[i])!r} at "
                         f"index {i}")
    return np.ascontiguousarray(arr.ravel()), arr.shape


def _theta(Graph graph, theta, name='theta'):
    p = ptd_graph_param_length(graph._g)
    th = np.ascontiguousarray(np.asarray(theta, dtype=np.float64))
    if th.ndim != 1 or th.shape[0] != p:
        raise ValueError(f"{name} has shape {th.shape}; the graph has {p} parameters, so it must have "
                         f"shape ({p},)")
    if not np.isfinite(th).all():
        raise ValueError(f"{name} must be finite, got {th}")
    return th


def _shape(values, shape):
    """Give results the shape of t: a float for a scalar time."""
    if shape == ():
        return float(values[0])
    return values.reshape(shape)


cdef int _run(Graph graph, const double[::1] times, bint discrete, double tol, object out,
              const double *theta, const double *start) except -1:
    """Run one query; `out` maps 'pdf', 'sf', 'stop', 'visit', 'dpdf', 'dsf' to preallocated arrays."""
    cdef const ptd_csr *c = _csr(graph)
    cdef ptd_dist_query q
    cdef double[::1] buf
    cdef int rc
    memset(&q, 0, sizeof(q))
    q.times = &times[0] if times.shape[0] > 0 else NULL
    q.m = times.shape[0]
    q.tol = tol
    q.discrete = discrete
    q.start = start
    for name in out:
        buf = out[name].reshape(-1)
        if buf.shape[0] == 0:
            continue
        if name == 'pdf':
            q.pdf = &buf[0]
        elif name == 'sf':
            q.sf = &buf[0]
        elif name == 'stop':
            q.stop = &buf[0]
        elif name == 'visit':
            q.visit = &buf[0]
        elif name == 'dpdf':
            q.dpdf = &buf[0]
            q.gradient = 1
        elif name == 'dsf':
            q.dsf = &buf[0]
            q.gradient = 1
    cdef ptd_dist_ws *ws = ptd_dist_ws_create()
    if ws == NULL:
        raise MemoryError("out of memory")
    try:
        with nogil:
            rc = ptd_distribution(c, theta, &q, ws)
        check(rc)
    finally:
        ptd_dist_ws_destroy(ws)
    return 0


def _evaluate(Graph graph, t, discrete, tol, names, theta=None):
    """Evaluate the named outputs at times t; returns (dict of flat arrays, shape of t)."""
    times, shape = _times(t, discrete)
    m = times.shape[0]
    n = ptd_graph_n_vertices(graph._g)
    p = ptd_graph_param_length(graph._g)
    sizes = {'pdf': m, 'sf': m, 'stop': m * n, 'visit': m * n, 'dpdf': m * p, 'dsf': m * p}
    out = {name: np.zeros(sizes[name]) for name in names}
    cdef double[::1] th
    cdef const double *thp = NULL
    if theta is not None:
        th = _theta(graph, theta)
        if th.shape[0] > 0:
            thp = &th[0]
    _run(graph, times, bool(discrete), float(tol), out, thp, NULL)
    return out, shape


# ------------------------------------------------------------------------------------------ values

def pdf(graph: Graph, t, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.pdf` (see its docstring)."""
    out, shape = _evaluate(graph, t, False, tol, ('pdf',))
    return _shape(out['pdf'], shape)


def sf(graph: Graph, t, discrete: bool = False, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.sf` (see its docstring)."""
    out, shape = _evaluate(graph, t, discrete, tol, ('sf',))
    return _shape(out['sf'], shape)


def cdf(graph: Graph, t, discrete: bool = False, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.cdf` (see its docstring)."""
    out, shape = _evaluate(graph, t, discrete, tol, ('sf',))
    return _shape(1.0 - out['sf'], shape)


def pmf(graph: Graph, k, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.pmf` (see its docstring)."""
    out, shape = _evaluate(graph, k, True, tol, ('pdf',))
    return _shape(out['pdf'], shape)


def stop_probability(graph: Graph, t, discrete: bool = False, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.stop_probability` (see its docstring)."""
    out, shape = _evaluate(graph, t, discrete, tol, ('stop',))
    n = ptd_graph_n_vertices((<Graph>graph)._g)
    return out['stop'].reshape(tuple(shape) + (n,))


def accumulated_visiting_time(graph: Graph, t, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.accumulated_visiting_time` (see its docstring)."""
    out, shape = _evaluate(graph, t, False, tol, ('visit',))
    n = ptd_graph_n_vertices((<Graph>graph)._g)
    return out['visit'].reshape(tuple(shape) + (n,))


def pdf_and_gradient(graph: Graph, theta, t, discrete: bool = False, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.pdf_and_gradient` (see its docstring)."""
    out, shape = _evaluate(graph, t, discrete, tol, ('pdf', 'dpdf'), theta=theta)
    p = ptd_graph_param_length((<Graph>graph)._g)
    return _shape(out['pdf'], shape), out['dpdf'].reshape(tuple(shape) + (p,))


def cdf_and_gradient(graph: Graph, theta, t, discrete: bool = False, tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.cdf_and_gradient` (see its docstring)."""
    out, shape = _evaluate(graph, t, discrete, tol, ('sf', 'dsf'), theta=theta)
    p = ptd_graph_param_length((<Graph>graph)._g)
    return _shape(1.0 - out['sf'], shape), -out['dsf'].reshape(tuple(shape) + (p,))


# ------------------------------------------------------------------------------------------ batch

cdef int _batch_row(const ptd_csr *c, const double *th, const double *times, size_t m, double tol,
                    int discrete, int gradient, int want_cdf, double *vals, double *grads,
                    size_t p, ptd_dist_ws *ws) noexcept nogil:
    cdef ptd_dist_query q
    cdef size_t i
    cdef int rc
    memset(&q, 0, sizeof(q))
    q.times = times
    q.m = m
    q.tol = tol
    q.discrete = discrete
    q.gradient = gradient
    if want_cdf:
        q.sf = vals
        q.dsf = grads if gradient else NULL
    else:
        q.pdf = vals
        q.dpdf = grads if gradient else NULL
    rc = ptd_distribution(c, th, &q, ws)
    if rc == 0 and want_cdf:
        for i in range(m):
            vals[i] = 1.0 - vals[i]
        if gradient:
            for i in range(m * p):
                grads[i] = -grads[i]
    return rc


def _batch(Graph graph, theta, times, discrete, gradient, tol, bint want_cdf):
    cdef const ptd_csr *c = _csr(graph)
    cdef Py_ssize_t p = c.param_length
    th_arr = np.ascontiguousarray(np.asarray(theta, dtype=np.float64))
    if th_arr.ndim != 2 or th_arr.shape[1] != p:
        raise ValueError(f"theta has shape {th_arr.shape}; the graph has {p} parameters, so it must "
                         f"have shape (n, {p})")
    if not np.isfinite(th_arr).all():
        raise ValueError("theta must be finite")
    t_arr, tshape = _times(times, bool(discrete))
    if len(tshape) != 1:
        raise ValueError(f"times must be one-dimensional, got shape {tshape}")
    cdef Py_ssize_t n = th_arr.shape[0], m = t_arr.shape[0], i
    vals_arr = np.zeros((n, m))
    grads_arr = np.zeros((n, m, p)) if gradient else None
    if n == 0 or m == 0:
        return vals_arr, grads_arr
    cdef const double[:, ::1] th = th_arr if p > 0 else np.zeros((n, 1))
    cdef const double[::1] tv = t_arr
    cdef double[:, ::1] vals = vals_arr
    cdef double[:, :, ::1] grads
    cdef double *gp = NULL
    if gradient and p > 0:
        grads = grads_arr
        gp = &grads[0, 0, 0]
    cdef int[::1] codes = np.zeros(n, dtype=np.intc)
    cdef int disc = bool(discrete), grad = bool(gradient) and p > 0, wc = want_cdf
    cdef double dtol = tol
    cdef ptd_dist_ws *ws = NULL
    with nogil, parallel():
        ws = ptd_dist_ws_create()
        for i in prange(n, schedule='static'):
            if ws == NULL:
                codes[i] = PTD_ENOMEM
            else:
                codes[i] = _batch_row(c, &th[i, 0] if p > 0 else NULL, &tv[0], m, dtol, disc, grad, wc,
                                      &vals[i, 0], gp + i * m * p if grad else NULL, p, ws)
        ptd_dist_ws_destroy(ws)
    bad = np.flatnonzero(np.asarray(codes) != 0)
    if bad.size:
        # Re-run the first failing row here to get its message (error text is per thread).
        i = bad[0]
        ws = ptd_dist_ws_create()
        if ws == NULL:
            raise MemoryError("out of memory")
        try:
            rc = _batch_row(c, &th[i, 0] if p > 0 else NULL, &tv[0], m, dtol, disc, grad, wc,
                            &vals[i, 0], gp + i * m * p if grad else NULL, p, ws)
            check(rc if rc else codes[i])
        finally:
            ptd_dist_ws_destroy(ws)
    return vals_arr, grads_arr


def batch_pdf(graph: Graph, theta, times, discrete: bool = False, gradient: bool = True,
              tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.batch_pdf` (see its docstring)."""
    return _batch(graph, theta, times, discrete, gradient, tol, False)


def batch_cdf(graph: Graph, theta, times, discrete: bool = False, gradient: bool = True,
              tol: float = 1e-12):
    """Implementation of :meth:`ptdalgorithms.Graph.batch_cdf` (see its docstring)."""
    return _batch(graph, theta, times, discrete, gradient, tol, True)


# ------------------------------------------------------------------------------------------ context

cdef class DistributionContext:
    """Step-by-step evolution of the state distribution, for time-inhomogeneous models.

    The context holds the current state-probability vector P(X_t = v) of `graph`.  Each step uses
    the graph's weights *at the time of the step*, so weights may change between steps:

    - continuous: ``step(dt)`` advances time by dt with exact uniformisation over dt;
    - discrete: ``step()`` makes one jump.

    The typical pattern is piecewise-constant rates ("epochs"), e.g. a population size that changes
    at time t1::

        ctx = distribution_context(g)
        g.update_parameterized_weights([theta_epoch1])   # or ctx.update_parameterized_weights(...)
        ctx.step(t1)                                      # epoch 1: [0, t1)
        ctx.update_parameterized_weights([theta_epoch2])
        for dt in np.diff(times_after_t1, prepend=t1):    # epoch 2: evaluate on a grid
            ctx.step(dt); record(ctx.time, ctx.pdf, ctx.cdf)

    which gives P(X_t = .) = alpha e^{S1 t1} e^{S2 (t - t1)} exactly (to `tol` per step).
    Weights may be changed through the context or through ``graph.update_parameterized_weights``
    (or by ``add_edge`` onto an existing edge, which merges weights); structural changes (new
    vertices or edges) are an error.

    Attributes
    ----------
    time : float
        Elapsed time (continuous) or number of jumps (discrete).
    pdf : float
        Continuous: density alpha(t) . s at the current time with the current weights.  Discrete:
        P(tau = k) for the current jump count k (mass absorbed at the last jump; defect for k = 0).
    cdf : float
        Probability of having been absorbed by now.
    stop_probabilities : numpy.ndarray
        P(X_t = v) for every vertex (absorbing columns: mass absorbed there; column 0 is 0).
    accumulated_visiting_time : numpy.ndarray
        Continuous only: integral_0^t P(X_s = v) ds.
    """
    cdef readonly object graph
    cdef readonly bint discrete
    cdef readonly double tol
    cdef object _v
    cdef object _visit
    cdef double _time
    cdef double _pmf
    cdef size_t _n, _n_edges

    def __init__(self, graph: Graph, discrete: bool = False, tol: float = 1e-12):
        """Start at time 0 with P(X_0 = .) = alpha of the graph's current weights (see
        `distribution_context`)."""
        self.graph = graph
        self.discrete = discrete
        self.tol = tol
        self._n = ptd_graph_n_vertices((<Graph>graph)._g)
        self._n_edges = ptd_graph_n_edges((<Graph>graph)._g)
        out, _ = _evaluate(graph, [0.0], discrete, tol, ('stop', 'sf'))
        self._v = out['stop']
        self._visit = np.zeros(self._n)
        self._time = 0.0
        self._pmf = 1.0 - out['sf'][0]

    cdef _check(self):
        cdef Graph g = self.graph
        if ptd_graph_n_vertices(g._g) != self._n or ptd_graph_n_edges(g._g) != self._n_edges:
            raise ValueError("the graph's structure changed since the context was created (vertices or "
                             "edges added); only weights may change between steps: create a new context")

    def _query(self, t, names):
        self._check()
        times = np.array([t], dtype=np.float64)
        n = self._n
        sizes = {'pdf': 1, 'sf': 1, 'stop': n, 'visit': n}
        out = {name: np.zeros(sizes[name]) for name in names}
        cdef double[::1] v = self._v
        _run(self.graph, times, self.discrete, self.tol, out, NULL, &v[0])
        return out

    def step(self, dt=None):
        """Advance the distribution with the graph's current weights.

        Parameters
        ----------
        dt : float
            Continuous: time step (finite, >= 0), evolved exactly by uniformisation.  Discrete:
            omit (one jump).

        Returns
        -------
        DistributionContext
            self, so that ``ctx.step(dt).pdf`` works.
        """
        if self.discrete:
            if dt is not None and dt != 1:
                raise ValueError("a discrete context steps one jump at a time: call step() without dt")
            out = self._query(1.0, ('stop', 'pdf'))
            self._pmf = out['pdf'][0]
            self._v = out['stop']
            self._time += 1
        else:
            if dt is None:
                raise ValueError("a continuous context needs a time step: step(dt)")
            dt = float(dt)
            if not (dt >= 0 and np.isfinite(dt)):
                raise ValueError(f"time step must be finite and non-negative, got {dt!r}")
            out = self._query(dt, ('stop', 'visit'))
            self._v = out['stop']
            self._visit = self._visit + out['visit']
            self._time += dt
        return self

    def update_parameterized_weights(self, theta):
        """Set the graph's parameterised weights to base + coef . theta (for the next steps).

        This changes the graph itself (same as ``graph.update_parameterized_weights``).
        """
        self._check()
        self.graph.update_parameterized_weights(theta)

    @property
    def time(self):
        return self._time

    @property
    def pdf(self):
        if self.discrete:
            return self._pmf
        return float(self._query(0.0, ('pdf',))['pdf'][0])

    @property
    def cdf(self):
        return 1.0 - self.sf

    @property
    def sf(self):
        """Probability of not being absorbed yet."""
        return float(self._query(0.0, ('sf',))['sf'][0])

    @property
    def stop_probabilities(self):
        return self._v.copy()

    @property
    def accumulated_visiting_time(self):
        if self.discrete:
            raise ValueError("accumulated visiting time is defined for continuous graphs only")
        return self._visit.copy()


def distribution_context(graph: Graph, discrete: bool = False, tol: float = 1e-12) -> DistributionContext:
    """Implementation of :meth:`ptdalgorithms.Graph.distribution_context` (see its docstring)."""
    return DistributionContext(graph, discrete, tol)
