"""JAX functions computed by the compiled evaluators: pdf/pmf and moments of a graph.

``pmf_from_graph(graph)`` returns ``model(theta, times)``, a JAX-transformable function whose values come
from the Cython batch evaluator (``_distribution.batch_pdf``) through a host call.  It works under
``jax.jit``, ``jax.grad``, ``jax.vmap``, ``jax.pmap`` and their compositions, such as
``pmap(vmap(grad(log_lik)))``:

- the host call is ``jax.experimental.io_callback(..., ordered=False)``; the evaluator returns the values
  and their exact gradients with respect to theta together (forward-mode derivatives of the
  uniformisation sweep, see DESIGN.md section 4);
- ``jax.custom_vjp`` saves those gradients in the forward pass; the backward pass is their contraction
  with the cotangent, so ``jax.grad`` costs no extra host call;
- ``jax.custom_batching.custom_vmap`` on the host-call primitive: ``vmap`` over theta issues *one* host call
  for the whole batch (nested vmaps fold into the same call), never one per particle.  Under ``pmap``
  each device makes one call for its shard; the evaluator releases the GIL, so the calls run
  concurrently.

Composition.  The primitive ``_eval(theta, times) -> (values, grads)`` is ``custom_vmap``-ed; its batching
rule adds a leading axis and calls ``_eval`` again, so ``_eval`` accepts theta of shape ``L1 + (p,)`` and
times of shape ``L2 + (m,)`` with broadcastable leading shapes of equal rank and returns values of shape
``broadcast(L1, L2) + (m,)``.  The ``custom_vjp`` is outside (as JAX requires): its forward rule calls
``_eval`` and is therefore itself batched with a single call.  Plain evaluation (no differentiation) uses
a values-only primitive that skips the gradient work.

Scope and choices (documented behaviour):

- Float64 throughout.  Building a model enables ``jax_enable_x64`` (JAX's global switch), because
  pdf values and gradients in float32 would lose the evaluator's ~1e-12 accuracy.
- A model holds a *snapshot* of the graph (``graph.clone()``, or the reward-transformed graph): editing
  the user's Graph afterwards does not change a model already built.  Build a new model after edits.
- Differentiation is first order, reverse mode, with respect to theta only.  Gradients with respect to
  ``times`` are not supported: asking for them (``jax.grad`` with respect to times) raises
  ``NotImplementedError`` at trace time rather than silently returning zeros.  Forward mode
  (``jax.jvp``, ``jax.jacfwd``) and second derivatives are not available (JAX raises).
- ``vmap`` over ``times`` (different data sets) with a shared theta is also one evaluator call; ``vmap``
  over both theta and times is one host call that evaluates row by row.
- Bad input: a theta of the wrong shape, or a model called with the wrong number of arguments, raises
  ``ValueError`` at trace time.  Negative times, non-integer times for a discrete model and non-finite
  theta raise ``ValueError`` immediately when the arguments are concrete (eager calls).  Under ``jit``
  the values are only known on the host: the evaluator's ``ValueError`` then surfaces as JAX's runtime
  error (``jax.errors.JaxRuntimeError``) whose message contains the evaluator's text (e.g. the negative
  weight and the state of the vertex).  No NaN is ever returned for invalid input.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

__all__ = ["pmf_from_graph", "moments_from_graph", "pmf_and_moments_from_graph"]


# --------------------------------------------------------------------------------------------------
# Evaluators.  Looked up at call time so tests can instrument them (count calls) or substitute a
# reference implementation.

def _batch_pdf(graph, theta, times, discrete=False, gradient=True, tol=1e-12):
    from ptdalgorithms import _distribution
    return _distribution.batch_pdf(graph, theta, times, discrete=discrete, gradient=gradient, tol=tol)


def _batch_moments(graph, theta, k, rewards=None, discrete=False, gradient=True):
    from ptdalgorithms import _moments
    return _moments.batch_moments(graph, theta, k, rewards=rewards, discrete=discrete,
                                  gradient=gradient)


def _reward_transform(graph, rewards, discrete=False):
    from ptdalgorithms import _moments
    return _moments.reward_transform(graph, rewards, discrete=discrete)


# --------------------------------------------------------------------------------------------------
# Host side (numpy): evaluate a snapshot graph for stacked theta and times.

class _Host:
    """The numpy function behind the host call.

    ``__call__(theta, times)`` takes theta of shape ``L1 + (p,)`` and times ``L2 + (m,)`` (leading
    shapes of equal rank, broadcastable) and returns, for ``L = broadcast(L1, L2)``: pdf values
    ``L + (m,)`` [and gradients ``L + (m, p)``] if ``pdf``, then moment values ``L + (k,)`` [and
    gradients ``L + (k, p)``] if ``nr_moments``.
    """

    def __init__(self, pdf_graph, moments_graph, p, discrete, nr_moments, rewards, gradient, tol):
        self.pdf_graph = pdf_graph
        self.moments_graph = moments_graph
        self.p = p
        self.discrete = discrete
        self.k = nr_moments
        self.rewards = rewards
        self.gradient = gradient
        self.tol = tol

    def result_shapes(self, lead: tuple, m: int):
        import jax
        f64 = np.float64
        shapes = []
        if self.pdf_graph is not None:
            shapes.append(jax.ShapeDtypeStruct(lead + (m,), f64))
            if self.gradient:
                shapes.append(jax.ShapeDtypeStruct(lead + (m, self.p), f64))
        if self.k:
            shapes.append(jax.ShapeDtypeStruct(lead + (self.k,), f64))
            if self.gradient:
                shapes.append(jax.ShapeDtypeStruct(lead + (self.k, self.p), f64))
        return tuple(shapes)

    def __call__(self, theta, times):
        theta = np.asarray(theta, dtype=np.float64)
        times = np.asarray(times, dtype=np.float64)
        lead = np.broadcast_shapes(theta.shape[:-1], times.shape[:-1])
        out = []
        if self.pdf_graph is not None:
            out += self._pdf(lead, theta, times)
        if self.k:
            out += self._moments(lead, theta)
        return tuple(out)

    def _pdf(self, lead, theta, times):
        p, m = self.p, times.shape[-1]
        n = int(np.prod(lead, dtype=np.int64))
        kw = dict(discrete=self.discrete, gradient=self.gradient, tol=self.tol)
        if times.size == m:
            # One time vector for every theta (the usual case: vmap over particles): one call.
            th = np.ascontiguousarray(np.broadcast_to(theta, lead + (p,)).reshape(n, p))
            vals, grads = _batch_pdf(self.pdf_graph, th, np.ascontiguousarray(times.reshape(m)), **kw)
        elif theta.size == p:
            # One theta, several time vectors (vmap over data sets): one call on all times at once.
            t = np.ascontiguousarray(np.broadcast_to(times, lead + (m,)).reshape(-1))
            vals, grads = _batch_pdf(self.pdf_graph, np.ascontiguousarray(theta.reshape(1, p)), t, **kw)
            vals = vals.reshape(n, m)
            grads = None if grads is None else grads.reshape(n, m, p)
        else:
            # Both vary: one host call, evaluated row by row.
            th = np.broadcast_to(theta, lead + (p,)).reshape(n, p)
            t = np.broadcast_to(times, lead + (m,)).reshape(n, m)
            rows = [_batch_pdf(self.pdf_graph, np.ascontiguousarray(th[i:i + 1]),
                               np.ascontiguousarray(t[i]), **kw) for i in range(th.shape[0])]
            vals = np.concatenate([r[0] for r in rows], axis=0) if rows else np.empty((0, m))
            grads = (np.concatenate([r[1] for r in rows], axis=0) if rows else np.empty((0, m, p))) \
                if self.gradient else None
        out = [np.asarray(vals, dtype=np.float64).reshape(lead + (m,))]
        if self.gradient:
            out.append(np.asarray(grads, dtype=np.float64).reshape(lead + (m, p)))
        return out

    def _moments(self, lead, theta):
        p, k = self.p, self.k
        n = int(np.prod(lead, dtype=np.int64))
        th = np.ascontiguousarray(np.broadcast_to(theta, lead + (p,)).reshape(n, p))
        vals, grads = _batch_moments(self.moments_graph, th, k, rewards=self.rewards,
                                     discrete=self.discrete, gradient=self.gradient)
        out = [np.asarray(vals, dtype=np.float64).reshape(lead + (k,))]
        if self.gradient:
            out.append(np.asarray(grads, dtype=np.float64).reshape(lead + (k, p)))
        return out


# --------------------------------------------------------------------------------------------------
# JAX side.

def _primitive(host: _Host):
    """``prim(theta, times)`` -> host outputs, with one host call per (nested) vmap batch."""
    import jax
    from jax.custom_batching import custom_vmap
    from jax.experimental import io_callback

    @custom_vmap
    def prim(theta, times):
        lead = tuple(np.broadcast_shapes(theta.shape[:-1], times.shape[:-1]))
        shapes = host.result_shapes(lead, times.shape[-1])
        return tuple(io_callback(host, shapes, theta, times, ordered=False))

    @prim.def_vmap
    def _rule(axis_size, in_batched, theta, times):
        theta_b, times_b = in_batched
        if not (theta_b or times_b):
            out = prim(theta, times)
            return out, tuple(False for _ in out)
        # Batched arguments carry the batch axis first; give the other one a size-1 axis so that
        # both keep leading shapes of equal rank, then fold the whole batch into one call.
        theta = theta if theta_b else theta[None]
        times = times if times_b else times[None]
        out = prim(theta, times)
        return out, tuple(True for _ in out)

    return prim


def _differentiable(values_host: _Host, grad_host: _Host):
    """``f(theta, times)`` -> tuple of value arrays, with a custom VJP using the saved gradients."""
    import jax
    import jax.numpy as jnp
    from jax.custom_derivatives import SymbolicZero

    prim_values = _primitive(values_host)
    prim_grad = _primitive(grad_host)

    @jax.custom_vjp
    def f(theta, times):
        return prim_values(theta, times)

    def fwd(theta, times):
        if times.perturbed:
            raise NotImplementedError(
                "ptdalgorithms JAX models give gradients with respect to theta only; the gradient "
                "with respect to `times` is not supported.  Differentiate with respect to theta, or "
                "wrap times in jax.lax.stop_gradient if their derivative is not needed.")
        out = prim_grad(theta.value, times.value)
        return tuple(out[0::2]), tuple(out[1::2])

    def bwd(grads, cts):
        ct_theta = None
        for g, ct in zip(grads, cts):
            if isinstance(ct, SymbolicZero):
                continue
            term = jnp.einsum("...j,...jp->...p", ct, g)
            ct_theta = term if ct_theta is None else ct_theta + term
        if ct_theta is None:
            ct_theta = jnp.zeros(grads[0].shape[:-2] + grads[0].shape[-1:], grads[0].dtype)
        return ct_theta, None

    f.defvjp(fwd, bwd, symbolic_zeros=True)
    return f


def _ensure_x64():
    import jax
    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


def _is_concrete(x) -> bool:
    import jax
    return not isinstance(x, jax.core.Tracer)


class _Model:
    """Shared front end of the factories: argument checks, shapes, the differentiable core."""

    def __init__(self, p, discrete, pdf_graph, moments_graph, nr_moments, rewards, tol):
        _ensure_x64()
        self.p = p
        self.discrete = discrete
        common = (pdf_graph, moments_graph, p, discrete, nr_moments, rewards)
        self.core = _differentiable(_Host(*common, gradient=False, tol=tol),
                                    _Host(*common, gradient=True, tol=tol))

    def theta(self, theta):
        import jax.numpy as jnp
        theta = jnp.asarray(theta, dtype=jnp.float64)
        if theta.shape != (self.p,):
            raise ValueError(
                f"theta must have shape ({self.p},) (the graph's param_length), got shape "
                f"{tuple(theta.shape)}; use jax.vmap to evaluate several parameter vectors")
        if _is_concrete(theta) and not np.all(np.isfinite(np.asarray(theta))):
            raise ValueError(f"theta must be finite, got {np.asarray(theta)}")
        return theta

    def times(self, times):
        import jax.numpy as jnp
        times = jnp.asarray(times, dtype=jnp.float64)
        if _is_concrete(times):
            t = np.asarray(times)
            if not np.all(np.isfinite(t)) or np.any(t < 0):
                bad = t[~(np.isfinite(t) & (t >= 0))].ravel()[0]
                raise ValueError(f"times must be finite and non-negative, got {bad}")
            if self.discrete and np.any(t != np.floor(t)):
                bad = t[t != np.floor(t)].ravel()[0]
                raise ValueError(f"a discrete model takes integer jump counts as times, got {bad}")
        return times


def _resolve_param_length(graph, param_length: Optional[int]) -> int:
    # The one structural mistake that would otherwise surface only inside the host call, as a JAX
    # runtime error: a graph whose start vertex leads nowhere.
    if not graph.starting_vertex().edges():
        raise ValueError("the graph's starting vertex has no out-edges: add an edge from "
                         "g.starting_vertex() to the first state before building a model")
    p = int(graph.param_length)
    if param_length is not None and int(param_length) != p:
        raise ValueError(f"param_length={param_length} does not match the graph's param_length {p}")
    return p


def _resolve_rewards(graph, rewards):
    if rewards is None:
        return None
    r = np.ascontiguousarray(rewards, dtype=np.float64)
    if r.shape != (len(graph),):
        raise ValueError(f"rewards must have one entry per vertex ({len(graph)}, including the "
                         f"starting vertex), got shape {r.shape}")
    return r


def _check_k(nr_moments) -> int:
    k = int(nr_moments)
    if k != nr_moments or k < 1:
        raise ValueError(f"nr_moments must be a positive integer, got {nr_moments!r}")
    return k


def pmf_from_graph(graph, discrete: bool = False, param_length: Optional[int] = None,
                   rewards: Optional[Sequence[float]] = None, tol: float = 1e-12) -> Callable:
    """JAX function giving the pdf (pmf when discrete) of a graph's absorption time.

    Parameters
    ----------
    graph : Graph
        The phase-type graph.  The model keeps a snapshot (``graph.clone()``): later edits to
        ``graph`` do not change the returned model.
    discrete : bool
        If True, the graph is a discrete phase-type distribution and the model gives the pmf
        P(tau = k) at integer jump counts k.
    param_length : int, optional
        Length of theta; defaults to ``graph.param_length`` and must equal it if given.
    rewards : array_like, optional
        One reward per vertex: the model gives the pdf of the accumulated reward (computed on the
        reward-transformed graph; positive rewards on a parameterised graph).
    tol : float
        Truncation tolerance of the uniformisation sweep (absolute).

    Returns
    -------
    callable
        ``model(theta, times)`` if the graph has parameterised edges, else ``model(times)``; returns
        float64 values with the shape of ``times``.  ``theta`` has shape ``(param_length,)``.  Works
        under ``jit``, ``grad`` (with respect to theta), ``vmap`` (one host call per batch) and
        ``pmap`` (one host call per device).

    Notes
    -----
    Enables ``jax_enable_x64``.  Gradients with respect to ``times`` raise ``NotImplementedError``.
    See the module docstring for errors under ``jit``.

    Examples
    --------
    >>> g = Graph(state_length=1)
    >>> v2 = g.find_or_create_vertex([2]); v1 = g.find_or_create_vertex([1])
    >>> g.starting_vertex().add_edge(v2, 1.0)
    >>> v2.add_edge_parameterized(v1, 0.0, [1.0])
    >>> model = pmf_from_graph(g)
    >>> model(jnp.array([2.0]), jnp.array([0.5]))    # 2 exp(-1)
    """
    p = _resolve_param_length(graph, param_length)
    discrete = bool(discrete)
    r = _resolve_rewards(graph, rewards)
    snapshot = graph.clone() if r is None else _reward_transform(graph, r, discrete=discrete)
    m = _Model(p, discrete, snapshot, None, 0, None, tol)
    return _pdf_front(m, p)


def _pdf_front(m: _Model, p: int):
    import jax.numpy as jnp

    def call(theta, times):
        theta = m.theta(theta)
        times = m.times(times)
        (vals,) = m.core(theta, times.reshape(-1))
        return vals.reshape(times.shape)

    if p == 0:
        def model(times):
            return call(jnp.zeros((0,), jnp.float64), times)
    else:
        def model(theta, times):
            return call(theta, times)
    # read by SVGD to check theta_dim and the data
    model.param_length = p
    model.discrete = m.discrete
    return model


def moments_from_graph(graph, nr_moments: int = 2, rewards: Optional[Sequence[float]] = None,
                       discrete: bool = False) -> Callable:
    """JAX function giving the first moments of a graph's absorption time (or accumulated reward).

    Parameters
    ----------
    graph : Graph
        The phase-type graph (a snapshot is kept, see `pmf_from_graph`).
    nr_moments : int
        Number of moments k: the function returns E[T], E[T^2], ..., E[T^k].
    rewards : array_like, optional
        One reward per vertex (length ``len(graph)``); the moments are those of the accumulated
        reward Y.
    discrete : bool
        Discrete phase-type graph (moments of the number of jumps / discrete reward).

    Returns
    -------
    callable
        ``moments(theta)`` (``moments()`` for a graph without parameterised edges) -> float64 array
        of shape ``(nr_moments,)``, differentiable with respect to theta, one host call per vmap batch.
    """
    import jax.numpy as jnp
    k = _check_k(nr_moments)
    p = _resolve_param_length(graph, None)
    r = _resolve_rewards(graph, rewards)
    m = _Model(p, bool(discrete), None, graph.clone(), k, r, 1e-12)
    dummy = jnp.zeros((0,), jnp.float64)

    def call(theta):
        (vals,) = m.core(m.theta(theta), dummy)
        return vals

    if p == 0:
        return lambda: call(jnp.zeros((0,), jnp.float64))
    return call


def pmf_and_moments_from_graph(graph, nr_moments: int = 2, discrete: bool = False,
                               rewards: Optional[Sequence[float]] = None,
                               param_length: Optional[int] = None, tol: float = 1e-12) -> Callable:
    """JAX function giving the pdf/pmf and the first moments together, in one host call.

    Parameters
    ----------
    graph : Graph
        The phase-type graph (a snapshot is kept, see `pmf_from_graph`).
    nr_moments : int
        Number of moments returned.
    discrete : bool
        Discrete phase-type graph: pmf at integer jump counts.
    rewards : array_like, optional
        One reward per vertex.  Rewards change the distribution: the pdf is that of the accumulated
        reward Y (computed on the reward-transformed graph) and the moments are E[Y^i].  On a
        parameterised graph the rewards must be positive (zero rewards would need a transformation
        that depends on theta; the evaluator raises ValueError).
    param_length : int, optional
        Must equal ``graph.param_length`` if given.
    tol : float
        Truncation tolerance of the uniformisation sweep.

    Returns
    -------
    callable
        ``model(theta, times) -> (pdf, moments)`` (``model(times)`` without parameters): pdf with the
        shape of ``times``, moments of shape ``(nr_moments,)``.
    """
    import jax.numpy as jnp
    k = _check_k(nr_moments)
    p = _resolve_param_length(graph, param_length)
    r = _resolve_rewards(graph, rewards)
    discrete = bool(discrete)
    pdf_graph = graph.clone() if r is None else _reward_transform(graph, r, discrete=discrete)
    m = _Model(p, discrete, pdf_graph, graph.clone(), k, r, tol)

    def call(theta, times):
        theta = m.theta(theta)
        times = m.times(times)
        vals, moms = m.core(theta, times.reshape(-1))
        return vals.reshape(times.shape), moms

    if p == 0:
        return lambda times: call(jnp.zeros((0,), jnp.float64), times)
    return call
