# cython: language_level=3
"""Graph, Vertex and Edge: Python views of the C graph (src_c/graph.c)."""
from collections import namedtuple

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint64_t, INT32_MIN, INT32_MAX
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy

from ptdalgorithms._common cimport *

cnp.import_array()

PhaseTypeMatrices = namedtuple("PhaseTypeMatrices", ["alpha", "S", "states"])
PhaseTypeMatrices.__doc__ = """Matrix form of a graph over its transient vertices.

alpha : ndarray (m,)
    Initial distribution; ``1 - alpha.sum()`` is the defect (probability of starting absorbed).
S : ndarray (m, m)
    Sub-intensity matrix (continuous) or the weight matrix with ``-`` out-weight sums on the diagonal.
states : ndarray (m, state_length)
    The state vector of each transient vertex, in the order of ``alpha`` and ``S``.
"""


cdef Graph wrap_graph(ptd_graph *g):
    check_ptr(g)
    cdef Graph out = Graph.__new__(Graph)
    out._g = g
    return out


cdef int _fill_state(object state, int32_t *buf, Py_ssize_t L) except -1:
    """Copy a state (sequence of integers) into buf, checking length and int32 range."""
    cdef Py_ssize_t i
    cdef object x
    cdef long long y
    if isinstance(state, (list, tuple)):
        if len(state) != L:
            raise ValueError(f"state {state!r} has length {len(state)}, the graph's state_length is {L}")
        for i in range(L):
            x = state[i]
            if isinstance(x, float) or isinstance(x, np.floating):
                if x != int(x):
                    raise ValueError(f"state {state!r} has a non-integer entry {x!r}")
            try:
                y = x
            except (OverflowError, TypeError):
                raise ValueError(f"state {state!r}: entry {x!r} is not an integer within int32")
            if y < INT32_MIN or y > INT32_MAX:
                raise ValueError(f"state {state!r}: entry {y} is outside the int32 range")
            buf[i] = <int32_t>y
        return 0
    arr = np.asarray(state)
    if arr.ndim != 1 or arr.shape[0] != L:
        raise ValueError(f"state {state!r} has shape {arr.shape}, expected ({L},)")
    if arr.dtype.kind == 'f':
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"state {state!r} has non-integer entries")
    elif arr.dtype.kind not in 'iub':
        raise ValueError(f"state {state!r} must hold integers, got dtype {arr.dtype}")
    if L and (arr.min() < INT32_MIN or arr.max() > INT32_MAX):
        raise ValueError(f"state {state!r} has entries outside the int32 range")
    cdef int32_t[::1] mv = np.ascontiguousarray(arr, dtype=np.int32)
    for i in range(L):
        buf[i] = mv[i]
    return 0


cdef double _weight(object w, str what) except? -1:
    cdef double x
    try:
        x = float(w)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a real number, got {w!r}")
    return x


def _as_rewards(Graph g, rewards, allow_matrix=True):
    """Validate a per-vertex reward vector (n,) or matrix (n, k) as float64."""
    r = np.asarray(rewards, dtype=np.float64)
    n = len(g)
    allowed = [1, 2] if allow_matrix else [1]
    if r.ndim not in allowed or r.shape[0] != n:
        raise ValueError(f"rewards must have shape ({n},)" + (f" or ({n}, k)" if allow_matrix else "")
                         + f" (one per vertex), got {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError("rewards must be finite (found NaN or inf)")
    if np.any(r < 0):
        raise ValueError("rewards must be non-negative")
    return np.ascontiguousarray(r)


cdef class Graph:
    """A phase-type distribution as a state graph.

    Vertices carry integer state vectors of a fixed length.  Vertex 0 is the *starting vertex*: its
    out-edge weights, divided by their sum, are the initial distribution; an edge from it to an
    absorbing vertex is a defect (probability of starting absorbed).  The starting vertex is never
    returned by state lookup (its state is all zeros, but an all-zero state is an ordinary state) and
    cannot be the target of an edge.  Vertices other than the start without out-edges absorb.

    In a continuous graph edge weights are rates; in a discrete one (``discrete=True`` in the
    computing methods) they are jump probabilities, and the missing out-probability of a vertex is its
    self-transition.  Adding an edge that already exists merges the two (weights add).

    Parameters
    ----------
    state_length : int
        Length of every state vector (at least 1).

    Examples
    --------
    >>> g = Graph(state_length=1)
    >>> v = g.find_or_create_vertex([1])
    >>> g.starting_vertex().add_edge(v, 1.0)
    >>> v.add_edge(g.find_or_create_vertex([0]), 2.0)   # rate 2 to an absorbing vertex
    >>> len(g)
    3
    """

    def __cinit__(self, *args, **kwargs):
        self._g = NULL

    def __init__(self, int state_length):
        if state_length < 1:
            raise ValueError(f"state_length must be at least 1, got {state_length}")
        self._g = ptd_graph_create(state_length)
        check_ptr(self._g)

    def __dealloc__(self):
        if self._g != NULL:
            ptd_graph_destroy(self._g)
            self._g = NULL

    # ------------------------------------------------------------------ basic structure
    def __len__(self):
        return ptd_graph_n_vertices(self._g)

    def __repr__(self):
        return (f"<Graph: {len(self)} vertices, {self.n_edges} edges, state_length={self.state_length}, "
                f"param_length={self.param_length}>")

    @property
    def state_length(self) -> int:
        """Length of every state vector."""
        return ptd_graph_state_length(self._g)

    @property
    def param_length(self) -> int:
        """Number of parameters of the parameterised edges (0 if none)."""
        return ptd_graph_param_length(self._g)

    @property
    def n_edges(self) -> int:
        """Total number of edges."""
        return ptd_graph_n_edges(self._g)

    def starting_vertex(self):
        """The starting vertex (index 0)."""
        return Vertex._make(self, 0)

    def vertex_at(self, Py_ssize_t index):
        """The vertex with this index (0 is the starting vertex); negative indices count from the end."""
        cdef Py_ssize_t n = len(self)
        if index < 0:
            index += n
        if index < 0 or index >= n:
            raise IndexError(f"vertex index out of range (graph has {n} vertices)")
        return Vertex._make(self, index)

    def vertices(self) -> list:
        """All vertices, in index order (the starting vertex first)."""
        return [Vertex._make(self, i) for i in range(len(self))]

    def states(self) -> np.ndarray:
        """State vectors of all vertices as an int32 array of shape (n_vertices, state_length)."""
        return self._states_range(0, len(self))

    def _states_range(self, Py_ssize_t start, Py_ssize_t stop):
        cdef Py_ssize_t L = self.state_length
        cdef cnp.ndarray[int32_t, ndim=2, mode="c"] out = np.empty((stop - start, L), dtype=np.int32)
        if stop > start:
            memcpy(out.data, ptd_graph_state(self._g, start), (stop - start) * L * sizeof(int32_t))
        return out

    def find_vertex(self, state):
        """The vertex with this state, or None if there is none (the start vertex is never found)."""
        cdef Py_ssize_t L = self.state_length
        cdef int32_t *buf = <int32_t *>malloc(L * sizeof(int32_t))
        if buf == NULL:
            raise MemoryError()
        try:
            _fill_state(state, buf, L)
            i = ptd_graph_find(self._g, buf)
        finally:
            free(buf)
        return None if i < 0 else Vertex._make(self, i)

    def find_or_create_vertex(self, state):
        """The vertex with this state, created (without edges) if absent.

        Parameters
        ----------
        state : sequence of int
            Integers within int32, of length ``state_length``.
        """
        cdef Py_ssize_t L = self.state_length
        cdef int32_t *buf = <int32_t *>malloc(L * sizeof(int32_t))
        cdef int64_t i
        if buf == NULL:
            raise MemoryError()
        try:
            _fill_state(state, buf, L)
            i = ptd_graph_find_or_create(self._g, buf)
            check(<int>i if i < 0 else 0)
        finally:
            free(buf)
        return Vertex._make(self, i)

    def clone(self):
        """An independent deep copy (structure, weights, parameterisation)."""
        return wrap_graph(ptd_graph_clone(self._g))

    def __copy__(self):
        return self.clone()

    def __deepcopy__(self, memo):
        return self.clone()

    cdef const ptd_csr *_csr(self) except NULL:
        cdef const ptd_csr *c = ptd_graph_csr(self._g)
        check_ptr(c)
        return c

    def is_acyclic(self) -> bool:
        """True if the graph has no cycle."""
        cdef int rc = ptd_is_acyclic(self._csr())
        check(rc)
        return rc == 1

    def validate(self, discrete: bool = False) -> None:
        """Check that the graph defines a proper absorption time at the current weights.

        Raises ValueError naming the offending vertex if the starting vertex has no out-edge of positive
        weight, a vertex has out-edges with zero total weight, a vertex reachable from the start cannot
        reach an absorbing vertex, or (``discrete=True``) a vertex's out-probabilities sum to more than 1.
        """
        cdef const ptd_csr *c = self._csr()
        check(ptd_check_absorption(c, c.weight))
        if discrete:
            rates = self._rates()
            bad = np.nonzero(rates[1:] > 1 + 1e-12)[0]
            if bad.size:
                v = int(bad[0]) + 1
                raise ValueError(f"discrete graph: out-probabilities of the vertex with state "
                                 f"{self.vertex_at(v).state.tolist()} sum to {float(rates[v])!r} > 1")

    def _rates(self):
        cdef Py_ssize_t n = len(self), v
        out = np.empty(n)
        for v in range(n):
            out[v] = ptd_graph_vertex_rate(self._g, v)
        return out

    # ------------------------------------------------------------------ parameters
    def update_parameterized_weights(self, theta) -> None:
        """Set every parameterised edge's weight to ``base + coefficients @ theta``.

        Parameters
        ----------
        theta : array_like of float, shape (param_length,)

        Raises
        ------
        ValueError
            If theta has the wrong length, is not finite, or gives a negative weight (the graph is then
            left unchanged).
        """
        cdef cnp.ndarray[double, ndim=1, mode="c"] t = np.ascontiguousarray(
            np.atleast_1d(np.asarray(theta, dtype=np.float64)))
        if t.ndim != 1:
            raise ValueError("theta must be one-dimensional")
        check(ptd_graph_update_weights(self._g, <double *>t.data if t.shape[0] else NULL, t.shape[0]))

    @property
    def theta(self):
        """The parameter vector last given to :meth:`update_parameterized_weights` (None if never)."""
        cdef const double *t = ptd_graph_theta(self._g)
        if t == NULL:
            return None
        return np.array([t[j] for j in range(self.param_length)])

    # ------------------------------------------------------------------ matrices
    def as_matrices(self) -> PhaseTypeMatrices:
        """The (alpha, S, states) form over the transient vertices at the current weights.

        Transient vertices are those other than the start with at least one out-edge, in index order.
        ``1 - alpha.sum()`` is the defect.  For a discrete graph, ``S`` holds the jump probabilities off
        the diagonal and minus the out-probability sums on the diagonal, so ``T = I + S``.
        """
        cdef const ptd_csr *c = self._csr()
        cdef cnp.ndarray[size_t, ndim=1] idx = np.empty(max(c.n, 1), dtype=np.uintp)
        cdef size_t m = 0
        check(ptd_transient_index(c, <size_t *>idx.data, &m))
        cdef cnp.ndarray[double, ndim=1] alpha = np.empty(m)
        cdef cnp.ndarray[double, ndim=2] S = np.empty((m, m))
        check(ptd_to_matrices(c, c.weight, <size_t *>idx.data, m, <double *>alpha.data, <double *>S.data))
        states = self.states()[idx[:m].astype(np.intp)]
        return PhaseTypeMatrices(alpha, S, states)

    @staticmethod
    def from_matrices(alpha, S, states=None):
        """Build a graph from an initial distribution and a sub-intensity matrix.

        Parameters
        ----------
        alpha : array_like, shape (m,)
            Non-negative, summing to at most 1; the missing mass is a defect.
        S : array_like, shape (m, m)
            Non-negative off-diagonal entries, negative diagonal, rows summing to <= 0; the exit rate of
            row i is ``-S[i].sum()``.
        states : array_like of int, shape (m, L), optional
            Distinct state vectors; default ``[[1], [2], ..., [m]]``.

        Returns
        -------
        Graph
            Transient vertices in the order of alpha, plus one absorbing vertex (state all zeros, or the
            first of -1, -2, ... not used by ``states``).
        """
        a = np.ascontiguousarray(np.asarray(alpha, dtype=np.float64))
        M = np.ascontiguousarray(np.asarray(S, dtype=np.float64))
        if a.ndim != 1:
            raise ValueError(f"alpha must be one-dimensional, got shape {a.shape}")
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"S must be a square matrix, got shape {M.shape}")
        if M.shape[0] != a.shape[0]:
            raise ValueError(f"alpha has length {a.shape[0]} but S is {M.shape[0]} x {M.shape[1]}")
        if a.shape[0] == 0:
            raise ValueError("alpha and S must describe at least one transient state")
        cdef cnp.ndarray[int32_t, ndim=2, mode="c"] st
        cdef size_t L = 1
        cdef const int32_t *sp = NULL
        if states is not None:
            s64 = np.asarray(states)
            if s64.ndim != 2 or s64.shape[0] != a.shape[0] or s64.shape[1] < 1:
                raise ValueError(f"states must have shape ({a.shape[0]}, L), got {s64.shape}")
            if s64.dtype.kind not in 'iu' or (s64.size and (s64.min() < INT32_MIN or s64.max() > INT32_MAX)):
                raise ValueError("states must be integers within int32")
            st = np.ascontiguousarray(s64, dtype=np.int32)
            sp = <const int32_t *>st.data
            L = st.shape[1]
        cdef double[::1] av = a
        cdef double[:, ::1] Mv = M
        return wrap_graph(ptd_from_matrices(&av[0], &Mv[0, 0], a.shape[0], sp, L))

    # ------------------------------------------------------------------ construction from a callback
    @staticmethod
    def from_callback(callback, initial_state, *, vectorized: bool = False, batch_size: int = 65536):
        """Build a graph breadth-first from a transition callback.

        The starting vertex gets one edge of weight 1 to ``initial_state``; then every new state is
        passed to ``callback`` until no new states appear.

        Parameters
        ----------
        callback : callable
            ``callback(state)`` with ``state`` an int32 ndarray returns an iterable of
            ``(child_state, weight)`` or ``(child_state, base_weight, coefficients)`` (parameterised
            edge, weight = base + coefficients @ theta).  An empty result makes the state absorbing.

            With ``vectorized=True``, ``callback(states)`` gets a (b, L) int32 array of states and returns
            ``(rows, children, weights)`` or ``(rows, children, bases, coefficients)``: ``rows`` (m,)
            indexes ``states`` (the parent of each edge), ``children`` is (m, L), ``weights``/``bases``
            (m,), ``coefficients`` (m, p).  This path does the graph work in C and is the fast way to
            build 10^5-10^6-state models (see ``benchmarks/bench_build.py``).
        initial_state : sequence of int
        vectorized : bool, default False
        batch_size : int, default 65536
            Maximum number of states per vectorised call.

        Returns
        -------
        Graph
        """
        init = np.asarray(initial_state)
        if init.ndim != 1 or init.shape[0] < 1:
            raise ValueError(f"initial_state must be a non-empty 1-D sequence, got {initial_state!r}")
        cdef Graph g = Graph(init.shape[0])
        cdef Vertex first = g.find_or_create_vertex(initial_state)
        g.starting_vertex().add_edge(first, 1.0)
        if vectorized:
            _build_vectorized(g, callback, batch_size)
        else:
            _build_scalar(g, callback)
        return g

    # ------------------------------------------------------------------ moments (ptdalgorithms/_moments.pyx)
    def expected_waiting_time(self, rewards=None, discrete=False) -> np.ndarray:
        """Expected accumulated reward until absorption, from every vertex.

        Parameters
        ----------
        rewards : array_like of float, shape (n_vertices,), optional
            Non-negative reward per vertex (default 1: the absorption time).  Rewards on the starting
            vertex and on absorbing vertices are ignored.
        discrete : bool, default False
            Treat edge weights as jump probabilities (DPH); the reward then counts steps
            ``Y = Σ_{n<τ} r(X_n)`` (self-transitions included).

        Returns
        -------
        ndarray, shape (n_vertices,)
            Entry ``v`` is ``E[Y | X_0 = v]`` for a transient vertex; entry 0 is the expectation from the
            start (``α · E[Y | X_0]``, the defect contributing 0); absorbing vertices get 0.

        Raises
        ------
        ValueError
            Bad rewards, a vertex with out-edges of zero total weight, or a vertex that cannot reach
            absorption (the message names its state).

        Examples
        --------
        >>> g = Graph(1)
        >>> a, b = g.find_or_create_vertex([1]), g.find_or_create_vertex([2])
        >>> g.starting_vertex().add_edge(a, 1.0); a.add_edge(b, 4.0)
        >>> g.expected_waiting_time()
        array([0.25, 0.25, 0.  ])
        """
        from ptdalgorithms import _moments
        return _moments.expected_waiting_time(self, rewards, discrete)

    def expectation(self, rewards=None, discrete=False) -> float:
        """Expected accumulated reward ``E[Y]`` from the start (absorption time when ``rewards`` is None).

        Parameters
        ----------
        rewards : array_like of float, shape (n_vertices,), optional
            Non-negative reward per vertex (default 1); start and absorbing vertices are ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.

        Returns
        -------
        float
        """
        from ptdalgorithms import _moments
        return _moments.expectation(self, rewards, discrete)

    def variance(self, rewards=None, discrete=False) -> float:
        """Variance ``E[Y^2] - E[Y]^2`` of the accumulated reward.

        Parameters
        ----------
        rewards : array_like of float, shape (n_vertices,), optional
            Non-negative reward per vertex (default 1); start and absorbing vertices are ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.

        Returns
        -------
        float
        """
        from ptdalgorithms import _moments
        return _moments.variance(self, rewards, discrete)

    def moments(self, k, rewards=None, discrete=False) -> np.ndarray:
        """Raw moments ``E[Y], E[Y^2], ..., E[Y^k]`` of the accumulated reward.

        Continuous: ``E[Y^k] = k! α (U Δ(r))^k e`` with ``U = (-S)^{-1}`` (Bladt & Nielsen 2017, Thm 8.1.5),
        computed by ``k`` replays of the elimination program.  Discrete: the DPH recursion obtained by
        conditioning on the first step (see ``src_c/moments.c``).

        Parameters
        ----------
        k : int
            Number of moments (``k >= 1``).
        rewards : array_like of float, shape (n_vertices,), optional
            Non-negative reward per vertex (default 1).  Rewards on the start and absorbing vertices are
            ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.

        Returns
        -------
        ndarray, shape (k,)

        Raises
        ------
        ValueError
            ``k < 1``, bad rewards, or a graph without a proper absorption time (message names the vertex).
        """
        from ptdalgorithms import _moments
        return _moments.moments(self, k, rewards, discrete)

    def covariance(self, rewards1, rewards2, discrete=False) -> float:
        """Covariance of two accumulated rewards, ``E[Y_1 Y_2] - E[Y_1] E[Y_2]``.

        Parameters
        ----------
        rewards1, rewards2 : array_like of float, shape (n_vertices,)
            Non-negative rewards; entries on the start and absorbing vertices are ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.

        Returns
        -------
        float
        """
        from ptdalgorithms import _moments
        return _moments.covariance(self, rewards1, rewards2, discrete)

    def covariance_matrix(self, R, discrete=False) -> np.ndarray:
        """Covariance matrix of several accumulated rewards.

        ``E[Y_a Y_b] = α U (r_a ∘ U r_b + r_b ∘ U r_a)`` (continuous, Bladt & Nielsen 2017, Thm 8.1.5);
        discrete: ``α U (r_a ∘ e_b + r_b ∘ e_a - r_a ∘ r_b)`` with ``e_a = U r_a``, ``U = (I - T)^{-1}``.

        Parameters
        ----------
        R : array_like of float, shape (n_vertices, m)
            Column ``a`` is a non-negative reward vector; rows of the start and absorbing vertices are
            ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.

        Returns
        -------
        ndarray, shape (m, m)
            ``Cov(Y_a, Y_b)``.
        """
        from ptdalgorithms import _moments
        return _moments.covariance_matrix(self, R, discrete)

    def defect(self) -> float:
        """Probability of starting absorbed: ``1 - α·1`` (start out-weight to absorbing vertices over the
        start's total out-weight), at the current weights.

        Parameters
        ----------

        Returns
        -------
        float
        """
        from ptdalgorithms import _moments
        return _moments.defect(self)

    def reward_transform(self, rewards, discrete=False):
        """A new graph whose absorption time is the accumulated reward of ``graph``.

        Continuous: vertices with reward 0 are eliminated (paths through them become direct edges; cycles
        among them are resolved exactly), the out-rates of a vertex with reward ``r > 0`` are divided by
        ``r``.  Kept vertices keep their states and relative order; the state length is unchanged.  A
        parameterised graph keeps its parameterisation when every transient reward is positive (base and
        coefficients divided by ``r``).

        Discrete: rewards must be integers; a vertex with reward ``k >= 1`` becomes a chain of ``k``
        vertices (one step each; the original self-transition returns to the head of the chain) and
        reward-0 vertices are eliminated.  The new state length is ``state_length + 1``: the trailing entry
        is 0 for the original vertex and ``j = 1..k-1`` for its ``j``-th added chain vertex.

        Rewards on the starting and absorbing vertices are ignored.

        Parameters
        ----------
        rewards : array_like of float, shape (n_vertices,)
        discrete : bool, default False

        Returns
        -------
        Graph

        Raises
        ------
        ValueError
            Bad rewards; non-integer rewards with ``discrete=True``; zero rewards on a parameterised graph
            (the result would not be linear in θ); zero-reward vertices that cannot reach absorption.
        """
        from ptdalgorithms import _moments
        return _moments.reward_transform(self, rewards, discrete)

    def normalize(self):
        """The embedded jump chain as a discrete graph.

        Every vertex's out-weights are divided by their sum (current weights; the result is not
        parameterised), so the new graph, read with ``discrete=True``, is the jump chain: its ``τ`` is the
        number of jumps the continuous chain makes before absorption.  States and vertex order are kept.

        Parameters
        ----------

        Returns
        -------
        Graph
        """
        from ptdalgorithms import _moments
        return _moments.normalize(self)

    def moments_and_gradient(self, theta, k, rewards=None, discrete=False):
        """Moments at parameter vector ``theta`` and their exact Jacobian.

        Forward-mode differentiation through the linear systems: with ``A(θ) = Λ - W`` (``-S`` in the
        continuous case, ``I - T`` in the discrete case), ``dU/dθ_j = -U A_j U``; the dependence of ``α``
        on ``θ`` (parameterised start edges) is included.  Cost about ``(1 + p)`` times the values.  The
        graph's stored weights are not changed.

        Parameters
        ----------
        theta : array_like of float, shape (param_length,)
        k : int
            Number of moments (``k >= 1``).
        rewards : array_like of float, shape (n_vertices,), optional
            Non-negative reward per vertex (default 1); start and absorbing vertices are ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.

        Returns
        -------
        values : ndarray, shape (k,)
            ``E[Y^1..k]`` at ``theta``.
        jacobian : ndarray, shape (k, param_length)
            ``d E[Y^i] / d θ_j``.
        """
        from ptdalgorithms import _moments
        return _moments.moments_and_gradient(self, theta, k, rewards, discrete)

    def batch_moments(self, theta, k, rewards=None, discrete=False, gradient=True):
        """Moments (and exact gradients) for many parameter vectors, in parallel.

        One elimination program is compiled per graph structure and replayed for each row of ``theta``
        (no re-elimination, no allocation per row), with an OpenMP loop over rows without the GIL and
        one workspace per thread.  Results do not depend on the number of threads (bit-identical).

        Parameters
        ----------
        theta : array_like of float, shape (n, param_length)
            One parameter vector per row.  For a graph without parameters use shape ``(n, 0)``: every row
            evaluates the current weights.
        k : int
            Number of moments (``k >= 1``).
        rewards : array_like of float, shape (n_vertices,), optional
            Non-negative reward per vertex (default 1); start and absorbing vertices are ignored.
        discrete : bool, default False
            Edge weights are jump probabilities (DPH); ``Y = Σ_{n<τ} r(X_n)``.
        gradient : bool, default True
            Also return the Jacobians.

        Returns
        -------
        values : ndarray, shape (n, k)
        grads : ndarray, shape (n, k, param_length), or None if ``gradient`` is False

        Raises
        ------
        ValueError
            Wrong shape of ``theta``; a row that is not finite or gives a negative weight; ``k < 1``; bad
            rewards; a graph without a proper absorption time at some row (message names the row).
        """
        from ptdalgorithms import _moments
        return _moments.batch_moments(self, theta, k, rewards, discrete, gradient)

    # ------------------------------------------------------------------ distribution (ptdalgorithms/_distribution.pyx)
    def _rewarded(self, rewards, discrete):
        """This graph, or its reward transform when rewards are given."""
        return self if rewards is None else self.reward_transform(rewards, discrete=discrete)

    def pdf(self, t, rewards=None, tol: float = 1e-12):
        """Density of the absorption time of a continuous phase-type graph, f(t) = alpha e^{St} s.

        Computed exactly by uniformisation (not on a grid): e^{St} = sum_k Pois(k; Lambda t) P^k with
        P = I + S/Lambda and Lambda the largest exit rate, with every time accumulated in one sweep.

        Parameters
        ----------
        t : float or array_like
            Time(s), finite and >= 0.  f(0) = alpha . s (the exit rate out of the initial states).
        rewards : array_like, shape (n_vertices,), optional
            Non-negative reward per vertex (integers when discrete): the distribution is that of the
            accumulated reward, computed on :meth:`reward_transform` of this graph.
        tol : float, default 1e-12
            Absolute accuracy: the neglected Poisson mass and the mass left when the sweep stops early.

        Returns
        -------
        float or numpy.ndarray
            f(t), with the shape of `t`.  A defect (edge from the start to an absorbing vertex) is an atom
            at 0 and not part of the density.

        Raises
        ------
        ValueError
            For negative, NaN or infinite times, a graph without a positive start edge, or a vertex
            with out-edges of zero total rate.

        Notes
        -----
        The cost is ``O(|E| (Lambda t_max + sqrt(Lambda t_max)))`` for all times together; the sweep stops
        once the transient mass falls below tol / max(Lambda, 1), so times far in the tail cost no more.
        States that cannot reach absorption are allowed: their mass stays, and F(infinity) < 1.

        Examples
        --------
        >>> g = Graph(1)
        >>> a = g.find_or_create_vertex([1]); b = g.find_or_create_vertex([2])
        >>> g.starting_vertex().add_edge(a, 1.0); a.add_edge(b, 2.0)
        >>> round(g.pdf(1.0), 12)  # exponential(2): 2 e^{-2}
        0.270670566473
        """
        from ptdalgorithms import _distribution
        return _distribution.pdf(self._rewarded(rewards, False), t, tol)

    def cdf(self, t, discrete: bool = False, rewards=None, tol: float = 1e-12):
        """Distribution function F(t) = 1 - alpha e^{St} e, or P(tau <= k) for a discrete graph.

        Parameters
        ----------
        t : float or array_like
            Times (continuous) or integer jump counts (discrete), >= 0.
        discrete : bool, default False
            Treat the edge weights as jump probabilities (DPH).
        rewards : array_like, shape (n_vertices,), optional
            Non-negative reward per vertex (integers when discrete): the distribution is that of the
            accumulated reward, computed on :meth:`reward_transform` of this graph.
        tol : float, default 1e-12
            Absolute accuracy.

        Returns
        -------
        float or numpy.ndarray
            F(t) with the shape of `t`.  The defect is included: F(0) = defect (the probability of the
            start edges into absorbing vertices).

        Raises
        ------
        ValueError
            For negative/NaN times or, if discrete, non-integer jump counts.

        Examples
        --------
        >>> g.cdf([0.0, 1.0])  # exponential(2)
        array([0.        , 0.86466472])
        """
        from ptdalgorithms import _distribution
        return _distribution.cdf(self._rewarded(rewards, discrete), t, discrete, tol)

    def sf(self, t, discrete: bool = False, rewards=None, tol: float = 1e-12):
        """Survival function 1 - F(t) = alpha e^{St} e (continuous) or P(tau > k) (discrete).

        Computed directly (not as 1 - cdf), so it keeps its relative accuracy in the tail down to `tol`.

        Parameters
        ----------
        t : float or array_like
            Times (continuous) or integer jump counts (discrete), >= 0.
        discrete : bool, default False
            Treat the edge weights as jump probabilities (DPH).
        rewards : array_like, shape (n_vertices,), optional
            Non-negative reward per vertex (integers when discrete): the distribution is that of the
            accumulated reward, computed on :meth:`reward_transform` of this graph.
        tol : float, default 1e-12
            Absolute accuracy.

        Returns
        -------
        float or numpy.ndarray
            Survival probabilities with the shape of `t`; at 0 it is 1 - defect.

        Raises
        ------
        ValueError
            For negative/NaN times or, if discrete, non-integer jump counts.
        """
        from ptdalgorithms import _distribution
        return _distribution.sf(self._rewarded(rewards, discrete), t, discrete, tol)

    def pmf(self, k, rewards=None, tol: float = 1e-12):
        """Probability mass function of the number of jumps to absorption of a discrete graph (DPH).

        pmf(k) = alpha T^{k-1} t for k >= 1 and pmf(0) = defect, where T holds the jump probabilities
        between transient states (self-transition 1 - sum of out-weights) and t the absorption
        probabilities.

        Parameters
        ----------
        k : int or array_like of int
            Jump counts, non-negative integers.
        rewards : array_like, shape (n_vertices,), optional
            Non-negative reward per vertex (integers when discrete): the distribution is that of the
            accumulated reward, computed on :meth:`reward_transform` of this graph.
        tol : float, default 1e-12
            Stepping stops once the transient mass is below tol; later values are then < tol (returned
            as 0).

        Returns
        -------
        float or numpy.ndarray
            P(tau = k) with the shape of `k`.

        Raises
        ------
        ValueError
            For negative or non-integer k, or a vertex whose out-probabilities sum to more than 1
            (the message names its state).

        Examples
        --------
        >>> g = Graph(1)
        >>> a = g.find_or_create_vertex([1]); b = g.find_or_create_vertex([2])
        >>> g.starting_vertex().add_edge(a, 1.0); a.add_edge(b, 0.3)
        >>> g.pmf([1, 2])  # geometric(0.3)
        array([0.3 , 0.21])
        """
        from ptdalgorithms import _distribution
        return _distribution.pmf(self._rewarded(rewards, True), k, tol)

    def stop_probability(self, t, discrete: bool = False, tol: float = 1e-12):
        """State probabilities P(X_t = v) for every vertex, at each time (or after k jumps).

        Parameters
        ----------
        t : float or array_like
            Times (continuous) or integer jump counts (discrete), >= 0.
        discrete : bool, default False
            Treat the edge weights as jump probabilities (DPH).
        tol : float, default 1e-12
            Absolute accuracy.

        Returns
        -------
        numpy.ndarray
            Shape (n_vertices,) for a scalar t, else t.shape + (n_vertices,), columns indexed like the
            graph's vertices.  Column 0 (the start vertex, which takes no time) is 0.  The column of an
            absorbing vertex holds the probability of having been absorbed there by time t, including
            a defect into it; so every row sums to 1 and the absorbing columns sum to cdf(t).

        Raises
        ------
        ValueError
            For negative/NaN times or, if discrete, non-integer jump counts.
        """
        from ptdalgorithms import _distribution
        return _distribution.stop_probability(self, t, discrete, tol)

    def accumulated_visiting_time(self, t, tol: float = 1e-12):
        """Expected time spent in each vertex up to time t: integral_0^t P(X_s = v) ds.

        Computed in the uniformisation sweep as (1/Lambda) sum_k v_k[v] P(N(Lambda t) > k).

        Parameters
        ----------
        t : float or array_like
            Times, >= 0.
        tol : float, default 1e-12
            Accuracy (absolute, relative to the scale t).

        Returns
        -------
        numpy.ndarray
            Shape (n_vertices,) for a scalar t, else t.shape + (n_vertices,).  Column 0 is 0; an
            absorbing vertex's column is the expected time spent absorbed there up to t, so each row
            sums to t.  As t grows, transient columns tend to the expected total time in each vertex.

        Raises
        ------
        ValueError
            For negative/NaN times.
        """
        from ptdalgorithms import _distribution
        return _distribution.accumulated_visiting_time(self, t, tol)

    def pdf_and_gradient(self, theta, t, discrete: bool = False, tol: float = 1e-12):
        """Density (or pmf) at parameter vector theta and its exact gradient with respect to theta.

        The graph's edge weights are evaluated as base + coef . theta without changing the graph.  The
        tangents dv_k/dtheta are propagated in the same uniformisation sweep with Lambda held fixed
        (dP/dtheta_j = S_j / Lambda), including the dependence of alpha (parameterised start edges)
        and of the exit rates on theta; the cost is about (1 + p) times one evaluation.

        Parameters
        ----------
        theta : array_like, shape (p,)
            Parameter vector.
        t : float or array_like
            Times (continuous) or non-negative integer jump counts (discrete).
        discrete : bool, default False
            DPH: values are pmf(k) and the self-transition mass 1 - sum(w) changes with theta too.
        tol : float, default 1e-12
            Absolute accuracy.

        Returns
        -------
        values : float or numpy.ndarray
            Shape of t.
        grads : numpy.ndarray
            Shape t.shape + (p,).

        Raises
        ------
        ValueError
            If theta has the wrong length or gives a negative weight; for invalid times.
        """
        from ptdalgorithms import _distribution
        return _distribution.pdf_and_gradient(self, theta, t, discrete, tol)

    def cdf_and_gradient(self, theta, t, discrete: bool = False, tol: float = 1e-12):
        """Distribution function at theta and its exact gradient (see `pdf_and_gradient`).

        Returns
        -------
        values : float or numpy.ndarray
            F(t) (or P(tau <= k)), shape of t.
        grads : numpy.ndarray
            Shape t.shape + (p,).
        """
        from ptdalgorithms import _distribution
        return _distribution.cdf_and_gradient(self, theta, t, discrete, tol)

    def distribution_context(self, discrete: bool = False, tol: float = 1e-12):
        """Create a `DistributionContext` for step-by-step evolution (time-inhomogeneous models).

        Parameters
        ----------
        discrete : bool, default False
            DPH: step() makes one jump; otherwise step(dt) advances time by dt.
        tol : float, default 1e-12
            Accuracy of each continuous step.

        Returns
        -------
        DistributionContext
            At time 0 with P(X_0 = .) = alpha (defect in the absorbing columns).
        """
        from ptdalgorithms import _distribution
        return _distribution.distribution_context(self, discrete, tol)

    # ------------------------------------------------------------------ JAX models (ptdalgorithms/jax_bridge.py)
    @staticmethod
    def pmf_from_graph(graph, discrete=False, param_length=None, rewards=None, tol=1e-12):
        """JAX model ``model(theta, times)`` of the pdf/pmf: see :func:`ptdalgorithms.pmf_from_graph`."""
        from ptdalgorithms.jax_bridge import pmf_from_graph
        return pmf_from_graph(graph, discrete, param_length, rewards, tol)

    @staticmethod
    def moments_from_graph(graph, nr_moments=2, rewards=None, discrete=False):
        """JAX function ``moments(theta)``: see :func:`ptdalgorithms.moments_from_graph`."""
        from ptdalgorithms.jax_bridge import moments_from_graph
        return moments_from_graph(graph, nr_moments, rewards, discrete)

    @staticmethod
    def pmf_and_moments_from_graph(graph, nr_moments=2, discrete=False, rewards=None, param_length=None,
                                   tol=1e-12):
        """JAX model ``model(theta, times) -> (pmf, moments)``: see
        :func:`ptdalgorithms.pmf_and_moments_from_graph`."""
        from ptdalgorithms.jax_bridge import pmf_and_moments_from_graph
        return pmf_and_moments_from_graph(graph, nr_moments, discrete, rewards, param_length, tol)

    def batch_pdf(self, theta, times, discrete: bool = False, gradient: bool = True,
                  tol: float = 1e-12):
        """Density (or DPH pmf) and its gradient for many parameter vectors at once, in parallel.

        This is the host function the JAX bridge calls; its signature is a contract.

        Parameters
        ----------
        theta : array_like, shape (n, p)
            Parameter vectors, float64.
        times : array_like, shape (m,)
            Times (continuous) or non-negative integer-valued jump counts (discrete).
        discrete : bool, default False
            Evaluate the DPH pmf instead of the continuous density.
        gradient : bool, default True
            Also return the exact gradients with respect to theta.
        tol : float, default 1e-12
            Absolute accuracy.

        Returns
        -------
        values : numpy.ndarray, shape (n, m)
        grads : numpy.ndarray, shape (n, m, p), or None if gradient is False

        Raises
        ------
        ValueError
            For a theta of the wrong shape or giving a negative weight (the message names the first
            failing row's problem), or invalid times.

        Notes
        -----
        Rows are evaluated with an OpenMP parallel loop over theta (GIL released, one workspace per
        thread, no allocation per row after a thread's first).  Each row uses its own uniformisation
        rate Lambda(theta) and is computed independently, so results are bit-identical for any number of
        threads (OMP_NUM_THREADS).
        """
        from ptdalgorithms import _distribution
        return _distribution.batch_pdf(self, theta, times, discrete, gradient, tol)

    def batch_cdf(self, theta, times, discrete: bool = False, gradient: bool = True,
                  tol: float = 1e-12):
        """Distribution function (continuous F(t) or DPH P(tau <= k)) for many theta, with gradients.

        Same contract as `batch_pdf`; values are F(t) (defect included) and grads dF/dtheta.

        Returns
        -------
        values : numpy.ndarray, shape (n, m)
        grads : numpy.ndarray, shape (n, m, p), or None if gradient is False
        """
        from ptdalgorithms import _distribution
        return _distribution.batch_cdf(self, theta, times, discrete, gradient, tol)

    # ------------------------------------------------------------------ sampling
    def sample(self, Py_ssize_t n, rewards=None, discrete: bool = False, seed=None) -> np.ndarray:
        """Draw absorption times (or accumulated rewards).

        Parameters
        ----------
        n : int
            Number of samples.
        rewards : array_like, shape (n_vertices,) or (n_vertices, k), optional
            Non-negative reward per vertex (per column); the sample is the accumulated reward
            ``sum_v r(v) * time in v`` (continuous) or ``sum over jumps of r(X)`` (discrete).
        discrete : bool, default False
            Edge weights are jump probabilities; the sample counts jumps until absorption (each step
            spent in a transient vertex counts 1, including self-transitions).
        seed : int, optional
            Same seed, same samples.  None draws fresh entropy.

        Returns
        -------
        ndarray
            Shape (n,), or (n, k) for a reward matrix.
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        elif not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        cdef ptd_rng rng
        ptd_rng_seed(&rng, <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF))
        cdef const ptd_csr *c = self._csr()
        cdef size_t k = 1
        cdef cnp.ndarray[double, ndim=2, mode="c"] R
        cdef const double *rp = NULL
        if rewards is not None:
            r = _as_rewards(self, rewards)
            R = r.reshape(len(self), -1)
            k = R.shape[1]
            rp = <const double *>R.data
        if rewards is not None and np.ndim(rewards) == 2:
            out = np.empty((n, k))
        else:
            out = np.empty(n)
        cdef double[::1] flat = out.reshape(-1)
        cdef double *op = &flat[0] if flat.shape[0] else NULL
        cdef int rc
        cdef int disc = 1 if discrete else 0
        with nogil:
            rc = ptd_sample(c, c.weight, n, rp, k, disc, &rng, op)
        check(rc)
        return out


def _build_scalar(Graph g, callback):
    cdef Py_ssize_t L = g.state_length
    cdef Py_ssize_t v = 1
    cdef int64_t child
    cdef int32_t *buf = <int32_t *>malloc(L * sizeof(int32_t))
    cdef const int32_t *s
    cdef Py_ssize_t j
    cdef cnp.ndarray[double, ndim=1, mode="c"] coef
    if buf == NULL:
        raise MemoryError()
    try:
        while v < <Py_ssize_t>ptd_graph_n_vertices(g._g):
            s = ptd_graph_state(g._g, v)
            state = np.empty(L, dtype=np.int32)
            for j in range(L):
                state[j] = s[j]
            result = callback(state)
            if result is None:
                v += 1
                continue
            for item in result:
                if not isinstance(item, tuple) or len(item) not in (2, 3):
                    raise ValueError(f"callback({state.tolist()}) must return (child_state, weight) or "
                                     f"(child_state, base, coefficients) tuples, got {item!r}")
                _fill_state(item[0], buf, L)
                child = ptd_graph_find_or_create(g._g, buf)
                if child < 0:
                    check(<int>child)
                if len(item) == 2:
                    check(ptd_graph_add_edge(g._g, v, child, _weight(item[1], "weight")))
                else:
                    coef = np.ascontiguousarray(np.atleast_1d(np.asarray(item[2], dtype=np.float64)))
                    check(ptd_graph_add_edge_param(g._g, v, child, _weight(item[1], "base weight"),
                                                   <double *>coef.data, coef.shape[0]))
            v += 1
    finally:
        free(buf)


def _build_vectorized(Graph g, callback, Py_ssize_t batch_size):
    cdef Py_ssize_t L = g.state_length
    cdef Py_ssize_t start = 1, stop, i, m, p
    cdef int64_t child
    cdef int rc
    cdef int32_t[:, ::1] ch
    cdef int64_t[::1] rows
    cdef double[::1] w
    cdef double[:, ::1] cf
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    while start < <Py_ssize_t>ptd_graph_n_vertices(g._g):
        stop = min(<Py_ssize_t>ptd_graph_n_vertices(g._g), start + batch_size)
        states = g._states_range(start, stop)
        result = callback(states)
        if not isinstance(result, tuple) or len(result) not in (3, 4):
            raise ValueError("a vectorized callback must return (rows, children, weights) or "
                             "(rows, children, bases, coefficients)")
        rows_a = np.ascontiguousarray(result[0], dtype=np.int64)
        ch_a = np.asarray(result[1])
        w_a = np.ascontiguousarray(result[2], dtype=np.float64)
        m = rows_a.shape[0]
        if rows_a.ndim != 1 or ch_a.shape != (m, L) or w_a.shape != (m,):
            raise ValueError(f"callback returned rows {rows_a.shape}, children {ch_a.shape}, weights "
                             f"{w_a.shape}; expected (m,), (m, {L}), (m,)")
        if m and (rows_a.min() < 0 or rows_a.max() >= stop - start):
            raise ValueError("callback rows must index the states passed in")
        if ch_a.dtype.kind not in 'iu' or (m and (ch_a.min() < INT32_MIN or ch_a.max() > INT32_MAX)):
            raise ValueError("children must be integer states within int32")
        ch = np.ascontiguousarray(ch_a, dtype=np.int32)
        rows = rows_a
        w = w_a
        p = 0
        if len(result) == 4:
            cf_a = np.ascontiguousarray(result[3], dtype=np.float64)
            if cf_a.ndim != 2 or cf_a.shape[0] != m:
                raise ValueError(f"coefficients must have shape ({m}, p), got {cf_a.shape}")
            cf = cf_a
            p = cf_a.shape[1]
        rc = 0
        with nogil:
            for i in range(m):
                child = ptd_graph_find_or_create(g._g, &ch[i, 0])
                if child < 0:
                    rc = <int>child
                    break
                if p == 0:
                    rc = ptd_graph_add_edge(g._g, start + rows[i], child, w[i])
                else:
                    rc = ptd_graph_add_edge_param(g._g, start + rows[i], child, w[i], &cf[i, 0], p)
                if rc < 0:
                    break
        check(rc)
        start = stop


cdef class Vertex:
    """A vertex of a :class:`Graph` (a light view that keeps its graph alive)."""

    def __init__(self):
        raise TypeError("vertices are created with Graph.find_or_create_vertex")

    @staticmethod
    cdef Vertex _make(Graph graph, Py_ssize_t index):
        cdef Vertex v = Vertex.__new__(Vertex)
        v.graph = graph
        v.index = index
        return v

    @property
    def state(self) -> np.ndarray:
        """The state vector (int32 ndarray copy)."""
        cdef Py_ssize_t L = self.graph.state_length, j
        cdef const int32_t *s = ptd_graph_state(self.graph._g, self.index)
        out = np.empty(L, dtype=np.int32)
        for j in range(L):
            out[j] = s[j]
        return out

    @property
    def rate(self) -> float:
        """Total out-weight (sum of the weights of the out-edges)."""
        return ptd_graph_vertex_rate(self.graph._g, self.index)

    cdef size_t _target(self, Vertex to) except? 0:
        if not isinstance(to, Vertex):
            raise TypeError(f"the edge target must be a Vertex, got {type(to).__name__}")
        if to.graph is not self.graph:
            raise ValueError("cannot add an edge to a vertex of another graph")
        return to.index

    def add_edge(self, Vertex to, weight) -> None:
        """Add an edge to ``to`` with this weight (a rate, or a probability in a discrete graph).

        An existing edge to the same vertex is merged (weights add).  Raises ValueError for a negative,
        NaN or infinite weight, a self-loop, an edge into the starting vertex, or a vertex of another
        graph.
        """
        cdef size_t t = self._target(to)
        check(ptd_graph_add_edge(self.graph._g, self.index, t, _weight(weight, "weight")))

    def add_edge_parameterized(self, Vertex to, base_weight, coefficients) -> None:
        """Add an edge whose weight is ``base_weight + coefficients @ theta``.

        The graph's ``param_length`` becomes at least ``len(coefficients)`` (shorter coefficient vectors
        are zero padded).  The weight is computed with the current theta (set by
        :meth:`Graph.update_parameterized_weights`), or is ``base_weight`` before theta is set.
        """
        cdef size_t t = self._target(to)
        cdef cnp.ndarray[double, ndim=1, mode="c"] c = np.ascontiguousarray(
            np.atleast_1d(np.asarray(coefficients, dtype=np.float64)))
        if c.ndim != 1:
            raise ValueError("coefficients must be one-dimensional")
        check(ptd_graph_add_edge_param(self.graph._g, self.index, t, _weight(base_weight, "base weight"),
                                       <double *>c.data, c.shape[0]))

    def edges(self) -> list:
        """The out-edges of this vertex."""
        return [Edge._make(self.graph, self.index, i)
                for i in range(ptd_graph_out_degree(self.graph._g, self.index))]

    def __eq__(self, other):
        return isinstance(other, Vertex) and (<Vertex>other).graph is self.graph and \
            (<Vertex>other).index == self.index

    def __hash__(self):
        return hash((id(self.graph), self.index))

    def __repr__(self):
        return f"<Vertex {self.index} state={self.state.tolist()}>"


cdef class Edge:
    """An out-edge of a vertex (a light view that keeps its graph alive)."""

    def __init__(self):
        raise TypeError("edges are created with Vertex.add_edge")

    @staticmethod
    cdef Edge _make(Graph graph, Py_ssize_t frm, Py_ssize_t i):
        cdef Edge e = Edge.__new__(Edge)
        e.graph = graph
        e._from = frm
        e._i = i
        return e

    @property
    def to(self) -> Vertex:
        """The target vertex."""
        cdef size_t t
        cdef double w
        check(ptd_graph_edge(self.graph._g, self._from, self._i, &t, &w))
        return Vertex._make(self.graph, t)

    @property
    def weight(self) -> float:
        """The current weight."""
        cdef size_t t
        cdef double w
        check(ptd_graph_edge(self.graph._g, self._from, self._i, &t, &w))
        return w

    @property
    def base_weight(self):
        """Base weight of a parameterised edge (None for a fixed edge)."""
        cdef double b
        cdef const double *c
        cdef size_t nc
        return b if self._param(&b, &c, &nc) else None

    @property
    def coefficients(self):
        """Coefficient vector of a parameterised edge (None for a fixed edge)."""
        cdef double b
        cdef const double *c
        cdef size_t nc
        if not self._param(&b, &c, &nc):
            return None
        return np.array([c[j] for j in range(nc)], dtype=np.float64)

    cdef int _param(self, double *b, const double **c, size_t *nc) except -1:
        cdef int rc = ptd_graph_edge_param(self.graph._g, self._from, self._i, b, c, nc)
        check(rc)
        return rc

    def __repr__(self):
        return f"<Edge {self._from} -> {self.to.index} weight={self.weight!r}>"
