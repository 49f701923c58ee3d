"""Stein variational gradient descent (SVGD) for the parameters of phase-type models.

Pure functions (blackjax style) -- :func:`init`, :func:`build_step` -- and a thin :class:`SVGD` class.

The update (Liu & Wang 2016, eq. 8) moves every particle along

    phi(x_i) = (1/n) sum_j [ k(x_j, x_i) grad log p(x_j) + grad_{x_j} k(x_j, x_i) ],

with the RBF kernel ``k = exp(-||x_j - x_i||^2 / h)`` and the median heuristic
``h = med ||x_i - x_j||^2 / log(n + 1)`` (see :mod:`ptdalgorithms._svgd_kernels`).  The step is taken by an
optimiser given ``-phi`` as the gradient (so optax transformations minimise it).

Coordinates.  Parameters are sampled on an unconstrained scale ``z`` (``theta = softplus(z)`` by default)
and, inside the sampler, on the standardised scale ``u = (z - m) / s`` where ``m`` and ``s`` come from a
short warm-up (a MAP search and the diagonal curvature of the log-posterior at it, i.e. a Laplace
approximation).  An affine change of coordinates does not change the target; it makes the default step size
and the RBF bandwidth fit every parameter whatever its scale.  Results are reported on the constrained scale.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import warnings
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._svgd_kernels import median_bandwidth, rbf_kernel, stein_direction
from ._svgd_model import (
    default_prior,
    gamma_prior,
    get_transform,
    lognormal_prior,
    make_log_density,
    normal_prior,
    validate_data,
)
from ._svgd_optim import adagrad, adam, resolve_optimizer, sgd

jax.config.update("jax_enable_x64", True)  # the package computes in float64 throughout

__all__ = [
    "SVGD",
    "SVGDResult",
    "SVGDState",
    "init",
    "build_step",
    "stein_direction",
    "median_bandwidth",
    "rbf_kernel",
    "gamma_prior",
    "lognormal_prior",
    "normal_prior",
    "adam",
    "adagrad",
    "sgd",
    "hdi",
]

AXIS_NAME = "batch"
_PARALLEL_MODES = (None, "vmap", "pmap", "none")


# ============================================================================== pure functions
class SVGDState(NamedTuple):
    """Particles ``(n, d)`` (or one device's ``(n / D, d)`` shard) and the optimiser state."""

    particles: jax.Array
    opt_state: Any


def init(particles: jax.Array, optimizer: Any) -> SVGDState:
    """Initial state for ``particles (n, d)`` and an optax-style ``optimizer``."""
    return SVGDState(particles, optimizer.init(particles))


def build_step(
    batched_grad: Callable[..., jax.Array], optimizer: Any, axis_name: str | None = None,
    bandwidth: float | None = None,
) -> Callable[..., SVGDState]:
    """Return ``step(state, *args) -> state``: one SVGD update.

    Parameters
    ----------
    batched_grad : callable
        ``batched_grad(particles (m, d), *args) -> (m, d)`` gradients of the log-density.
    optimizer : optax-style transformation
        Receives ``-phi``; ``particles + updates`` is the new position.
    axis_name : str, optional
        When the step runs inside ``pmap`` on a shard of the particles, the mapped axis name: gradients are
        computed on the local shard, then all particles and gradients are ``all_gather``-ed so the Stein
        direction (which couples every pair) is computed over all of them, for the local particles only.
    bandwidth : float, optional
        Fixed RBF bandwidth ``h``; None (default) uses the median heuristic at every step.
    """

    def step(state: SVGDState, *args) -> SVGDState:
        x = state.particles
        g = batched_grad(x, *args)
        if axis_name is None:
            x_all, g_all = x, g
        else:
            # one collective for both: gather [x | g] and split
            xg = jax.lax.all_gather(jnp.concatenate([x, g], axis=1), axis_name, tiled=True)
            x_all, g_all = xg[:, : x.shape[1]], xg[:, x.shape[1] :]
        h = median_bandwidth(x_all) if bandwidth is None else bandwidth
        phi = stein_direction(x, x_all, g_all, h)
        updates, opt_state = optimizer.update(-phi, state.opt_state, x)
        return SVGDState(x + updates, opt_state)

    return step


def hdi(samples: np.ndarray, prob: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Highest density interval per column: the shortest interval holding ``ceil(prob * n)`` samples."""
    x = np.sort(np.atleast_2d(np.asarray(samples, dtype=float).T).T, axis=0)
    n = x.shape[0]
    k = min(n, max(1, int(math.ceil(prob * n))))
    widths = x[k - 1 :] - x[: n - k + 1]
    i = np.argmin(widths, axis=0)
    cols = np.arange(x.shape[1])
    return x[i, cols], x[i + k - 1, cols]


# ============================================================================== compiled pieces (cached)
_WARMUP_STEPS = 400
_WARMUP_LR = (0.3, 0.003)  # Adam step size, decaying exponentially over the warm-up
_NEWTON_STEPS = 4
_FD_STEP = 1e-4
# Module-level cache: key -> dict of compiled functions, shared by all SVGD objects of a process.
_CACHE: dict[Any, dict[str, Any]] = {}


def _make_u_density(log_density):
    """Log-density on the standardised scale u = (z - m) / s (an affine map: constant Jacobian dropped)."""

    def log_u(u, data, m, s):
        return log_density(m + s * u, data)

    return log_u


def _make_warmup(log_density, transform):
    """Jitted ``warmup(data, w0) -> (m, s)``: MAP search then diagonal Laplace scale, on the z scale.

    1. Adam for ``_WARMUP_STEPS`` steps, step size decaying exponentially from 0.3 to 0.003, on one point,
       in ``w = log theta`` for positive parameters (rates of any magnitude are reached: the steps add up to
       ~26 in log units) and in ``theta`` otherwise.
    2. ``_NEWTON_STEPS`` diagonal Newton steps in ``z`` (curvature by central differences of the gradient),
       each kept only if it raises the log-density.
    3. ``s_k = (-d^2 log p / dz_k^2)^{-1/2}`` at the result, clipped to [1e-8, 1e2]; 1 where the curvature is
       not negative.
    """
    if transform.positive:
        to_z = lambda w: transform.inverse(jnp.exp(w))  # noqa: E731
    else:
        to_z = lambda w: w  # noqa: E731
    grad_z = jax.grad(log_density)

    def curvature(z, data):
        d = z.shape[0]
        eye = jnp.eye(d, dtype=z.dtype) * _FD_STEP
        gp = jax.vmap(lambda e: grad_z(z + e, data))(eye)
        gm = jax.vmap(lambda e: grad_z(z - e, data))(eye)
        return -jnp.diagonal(gp - gm) / (2 * _FD_STEP)

    def warmup(data, w0):
        g_obj = jax.grad(lambda w: -log_density(to_z(w), data))
        opt = adam(1.0)
        lr0, lr1 = _WARMUP_LR
        decay = (lr1 / lr0) ** (1.0 / (_WARMUP_STEPS - 1))

        def adam_body(carry, k):
            w, st = carry
            g = g_obj(w)
            g = jnp.where(jnp.isfinite(g), g, 0.0)
            upd, st = opt.update(g, st)
            return (w + lr0 * decay**k * upd, st), None

        (w, _), _ = jax.lax.scan(adam_body, (w0, opt.init(w0)), jnp.arange(_WARMUP_STEPS))

        def newton_body(z, _):
            c = curvature(z, data)
            step = jnp.where(c > 0, grad_z(z, data) / jnp.where(c > 0, c, 1.0), 0.0)
            z_new = z + step
            better = log_density(z_new, data) > log_density(z, data)
            return jnp.where(better & jnp.all(jnp.isfinite(z_new)), z_new, z), None

        m, _ = jax.lax.scan(newton_body, to_z(w), None, length=_NEWTON_STEPS)
        curv = curvature(m, data)
        s = jnp.where(jnp.isfinite(curv) & (curv > 0), 1.0 / jnp.sqrt(jnp.abs(curv)), 1.0)
        return m, jnp.clip(s, 1e-8, 1e2)

    return jax.jit(warmup)


def _make_chunk(log_density, optimizer, mode, length, bandwidth):
    """``chunk(state, data, m, s) -> state`` running ``length`` SVGD steps in a ``lax.scan``."""
    log_u = _make_u_density(log_density)
    batched_grad = jax.vmap(jax.grad(log_u), in_axes=(0, None, None, None))
    step = build_step(batched_grad, optimizer, axis_name=AXIS_NAME if mode == "pmap" else None,
                      bandwidth=bandwidth)

    def chunk(state, data, m, s):
        def body(st, _):
            return step(st, data, m, s), None

        return jax.lax.scan(body, state, None, length=length)[0]

    if mode == "pmap":
        # Traced afresh inside the device mesh; no AOT-compiled gradient is ever called inside pmap.
        return jax.pmap(chunk, axis_name=AXIS_NAME, in_axes=(0, None, None, None))
    return jax.jit(chunk)


def _make_loop_pieces(log_density, optimizer, bandwidth):
    """For ``parallel='none'``: a jitted single-particle gradient and an un-jitted step that calls it in a
    plain Python loop over the particles (for debugging)."""
    log_u = _make_u_density(log_density)
    grad_one = jax.jit(jax.grad(log_u))

    def loop_grad(x, *args):
        return jnp.stack([grad_one(x[i], *args) for i in range(x.shape[0])])

    return grad_one, build_step(loop_grad, optimizer, bandwidth=bandwidth)


# ============================================================================== results
@dataclasses.dataclass(frozen=True)
class SVGDResult:
    """What :meth:`SVGD.fit` returns (constrained scale unless said)."""

    particles: np.ndarray  # (n, d)
    particles_unconstrained: np.ndarray  # (n, d), z = T^{-1}(theta)
    posterior_mean: np.ndarray  # (d,)
    posterior_std: np.ndarray  # (d,)
    history: np.ndarray  # (k, n, d) particles at iterations `history_iterations`
    history_iterations: np.ndarray  # (k,)
    n_iterations: int
    seconds: float  # wall time of the iterations (compilation excluded when precompile=True)


# ============================================================================== the class
class SVGD:
    """Stein variational gradient descent for the parameters ``theta`` of a phase-type model.

    Parameters
    ----------
    model : callable, optional
        ``model(theta, times) -> pdf values`` with the shape of ``times`` (as returned by
        ``Graph.pmf_from_graph``).  The log-likelihood is ``sum_i log model(theta, observed_data)_i``.
        Its ``param_length`` and ``discrete`` attributes, when present, are checked / used.
    observed_data : array_like, optional
        Observations (absorption times; integers >= 0 for a discrete model).  Required with ``model``.
    theta_dim : int, optional
        Number of parameters; defaults to ``model.param_length``.  Required with ``log_prob``.
    n_particles : int
        Number of particles (rounded up to a multiple of ``n_devices`` under pmap, with a warning).
    n_iterations : int
        Number of SVGD updates (after the warm-up, see below).
    prior : callable, optional
        ``prior(theta) -> log density`` on the constrained scale (e.g. :func:`gamma_prior`).  ``None``: the
        default prior -- independent log-normal ``log theta_k ~ N(0, 2^2)`` for positive parameters,
        ``N(0, 10^2)`` when ``transform=None``.  With ``log_prob`` the default is no prior (``log_prob`` is the
        whole target); a given prior is added.
    learning_rate : float
        Step size of the built-in optimisers, in standardised units (posterior sd ~ 1).  0.1 by default.
    optimizer : {'adam', 'adagrad', 'sgd'} or optax GradientTransformation
        Default 'adam': per-coordinate normalised steps with bias correction; the normalisation by the
        running gradient scale makes the step size insensitive to how steep the log-likelihood is (it
        grows with the number of observations), and the step shrinks as ``phi`` goes to zero.
        'adagrad' is the AdaGrad-with-momentum of Liu & Wang's reference code.  An optax transformation is
        used as is (``learning_rate`` ignored); under pmap it must be elementwise (most are).
    kernel : {'rbf'}
        Only the RBF kernel is implemented.
    bandwidth : float or 'median'
        RBF bandwidth ``h``, or the median heuristic ``med ||x_i - x_j||^2 / log(n + 1)`` (default),
        recomputed every step.  Both act on the standardised scale on which the particles move (see
        Notes), so a fixed ``h`` of order 1 suits any problem.
    parallel : {None, 'vmap', 'pmap', 'none'}
        'vmap': one device, all particles batched.  'pmap': particles sharded as
        ``(n_devices, n_particles / n_devices, d)``, gradients computed per device
        (``pmap(vmap(grad(log_p)), axis_name='batch')`` inside an explicit device mesh) and gathered for the
        Stein direction.  'none': a plain Python loop over particles (debugging).  ``None``: 'pmap' when more
        than one JAX device exists, else 'vmap'.  All modes give the same particles up to rounding.
    n_devices : int, optional
        Devices for 'pmap' (default: all).  More than exist is an error: set ``PTDALG_CPUS`` before JAX
        starts (or ``ptdalgorithms.devices.set_cpu_devices``).
    precompile : bool
        Compile the iteration once per (model, prior, data shape, particle count, mode, optimiser) and keep it
        in a module-level cache, so later SVGD objects reuse it; compilation happens in the constructor
        (vmap/none; under pmap on first use, inside the mesh).  False: compile privately on first ``fit``.
    transform : {'softplus', 'log', None}
        Map from the unconstrained ``z`` to ``theta``.  The Jacobian ``log |d theta/dz|`` is added to the
        log-density, so the prior stays a density of ``theta``.
    seed : int
        Seed of the initial particles.
    verbose : bool
        Print a start line and, after ``fit``, the posterior mean, std and summary table.
    progress : bool
        Show a tqdm bar (if tqdm is installed; otherwise print progress lines).
    log_prob : callable, optional
        Custom target: ``log_prob(theta (d,)) -> scalar``, JAX-traceable, instead of ``model``.
    history_every : int
        Record the particles every this many iterations (the iterations run in jitted chunks of this
        length).
    init : 'laplace' or array (n_particles, theta_dim)
        Initial particles.  'laplace' (default): ``z ~ N(m, diag(s^2))`` from the warm-up, i.e. around the
        MAP with the Laplace scale, so few iterations are needed.  An array: given on the constrained scale.

    Notes
    -----
    Warm-up: before the iterations, a MAP search (400 Adam steps on one point, in ``log theta`` for positive
    parameters, started at ``theta = 1``, then 4 diagonal Newton steps) and central differences of the
    gradient give the centre ``m`` and scale ``s`` of the standardisation ``u = (z - m) / s`` (see the module docstring).  The warm-up is not
    counted in ``n_iterations``.
    """

    def __init__(
        self,
        model: Callable | None = None,
        observed_data: Any = None,
        theta_dim: int | None = None,
        n_particles: int = 50,
        n_iterations: int = 200,
        prior: Callable | None = None,
        learning_rate: float = 0.1,
        optimizer: Any = "adam",
        kernel: str = "rbf",
        bandwidth: float | str = "median",
        parallel: str | None = None,
        n_devices: int | None = None,
        precompile: bool = True,
        transform: str | None = "softplus",
        seed: int = 0,
        verbose: bool = False,
        progress: bool = False,
        log_prob: Callable | None = None,
        history_every: int = 10,
        init: Any = "laplace",
    ) -> None:
        # ---- target
        if (model is None) == (log_prob is None):
            raise ValueError("give exactly one of model= (with observed_data=) or log_prob=")
        self.transform = get_transform(transform)
        if model is not None:
            if not callable(model):
                raise ValueError("model must be callable: model(theta, times) -> pdf values")
            if observed_data is None:
                raise ValueError("model= needs observed_data=")
            p_len = getattr(model, "param_length", None)
            if theta_dim is None:
                theta_dim = p_len
            if theta_dim is None:
                raise ValueError("theta_dim is required (the model has no param_length attribute)")
            if p_len is not None and int(p_len) != int(theta_dim):
                raise ValueError(
                    f"theta_dim={theta_dim} does not match the model's param_length={p_len}"
                )
            self.data = validate_data(observed_data, bool(getattr(model, "discrete", False)))
            self.prior = default_prior(self.transform) if prior is None else prior
        else:
            if not callable(log_prob):
                raise ValueError("log_prob must be callable: log_prob(theta) -> scalar")
            if theta_dim is None:
                raise ValueError("log_prob= needs theta_dim=")
            if observed_data is not None:
                raise ValueError("observed_data is only used with model=; fold it into log_prob")
            self.data = np.zeros(0)
            self.prior = prior
        if prior is not None and not callable(prior):
            raise ValueError("prior must be callable: prior(theta) -> log density")
        if not (isinstance(theta_dim, (int, np.integer)) and theta_dim >= 1):
            raise ValueError(f"theta_dim must be a positive integer, got {theta_dim!r}")
        self.model, self.log_prob, self.theta_dim = model, log_prob, int(theta_dim)

        # ---- sizes and options
        for name, val in (("n_particles", n_particles), ("n_iterations", n_iterations),
                          ("history_every", history_every)):
            if not (isinstance(val, (int, np.integer)) and val >= 1):
                raise ValueError(f"{name} must be a positive integer, got {val!r}")
        if n_particles < 2:
            raise ValueError("n_particles must be at least 2")
        if kernel != "rbf":
            raise ValueError(f"kernel must be 'rbf', got {kernel!r}")
        if not (bandwidth == "median" or (isinstance(bandwidth, (int, float)) and bandwidth > 0)):
            raise ValueError(f"bandwidth must be 'median' or a positive number, got {bandwidth!r}")
        self.bandwidth = None if bandwidth == "median" else float(bandwidth)
        self.optimizer, opt_key = resolve_optimizer(optimizer, learning_rate)
        self.learning_rate = learning_rate
        self.n_iterations, self.history_every = int(n_iterations), int(history_every)
        self.seed, self.verbose, self.progress = int(seed), bool(verbose), bool(progress)
        self.precompile = bool(precompile)

        # ---- parallel mode and devices
        self.parallel, self.n_devices = _resolve_parallel(parallel, n_devices)
        n = int(n_particles)
        if self.parallel == "pmap" and n % self.n_devices:
            n_up = -(-n // self.n_devices) * self.n_devices
            warnings.warn(
                f"n_particles={n} is not a multiple of n_devices={self.n_devices}; using {n_up} particles",
                stacklevel=2,
            )
            n = n_up
        self.n_particles = n

        # ---- initial particles (constrained scale), validated now
        if isinstance(init, str):
            if init != "laplace":
                raise ValueError(f"init must be 'laplace' or an array of particles, got {init!r}")
            self._init_theta = None
        else:
            th = np.asarray(init, dtype=np.float64)
            if th.shape != (self.n_particles, self.theta_dim):
                raise ValueError(
                    f"init has shape {th.shape}, expected ({self.n_particles}, {self.theta_dim})"
                )
            if not np.isfinite(th).all() or (self.transform.positive and (th <= 0).any()):
                raise ValueError("init particles must be finite (and > 0 for a positive transform)")
            self._init_theta = th

        # ---- compiled pieces
        log_density = make_log_density(self.transform, model=model, prior=self.prior, log_prob=log_prob)
        source = ("model", model) if model is not None else ("log_prob", log_prob)
        try:
            hash(self.prior)
            prior_hashable = True
        except TypeError:
            prior_hashable = False
        cacheable = self.precompile and opt_key is not None and prior_hashable
        key = (source, self.prior, self.transform.name, opt_key, self.data.shape, self.theta_dim,
               self.n_particles, self.parallel, self.n_devices, self.bandwidth)
        if cacheable:
            self._fns = _CACHE.setdefault(key, {})
        else:
            self._fns = {}
        self._log_density = log_density
        self._results: SVGDResult | None = None
        if self.precompile:
            self._compile_now()

        if self.verbose:
            where = (f"pmap over {self.n_devices} devices" if self.parallel == "pmap"
                     else self.parallel)
            print(f"SVGD: {self.n_particles} particles, {self.theta_dim} parameter(s), "
                  f"{self.n_iterations} iterations, parallel={where}, optimizer={opt_key[0] if opt_key else 'custom'}"
                  f", learning_rate={learning_rate}")

    # ------------------------------------------------------------------ compiled functions
    def _chunk_lengths(self) -> list[int]:
        full, rest = divmod(self.n_iterations, self.history_every)
        return [self.history_every] * full + ([rest] if rest else [])

    def _get(self, name: str, factory: Callable[[], Any]) -> Any:
        if name not in self._fns:
            self._fns[name] = factory()
        return self._fns[name]

    def _warmup_fn(self):
        return self._get("warmup", lambda: _make_warmup(self._log_density, self.transform))

    def _chunk_fn(self, length: int):
        return self._get(
            ("chunk", length),
            lambda: _make_chunk(self._log_density, self.optimizer, self.parallel, length, self.bandwidth),
        )

    def _to_theta_fn(self):
        tr = self.transform
        return self._get("to_theta", lambda: jax.jit(lambda u, m, s: tr.forward(m + s * u)))

    def _compile_now(self) -> None:
        """Compile the warm-up (all modes) and the iteration chunks (vmap) ahead of ``fit``.

        Under pmap only the warm-up (which runs outside pmap) is compiled ahead; the pmapped chunk is
        traced on first use inside the device mesh -- never an AOT-compiled gradient inside pmap.
        """
        data = jnp.asarray(self.data)
        w0 = jnp.zeros(self.theta_dim)
        if not isinstance(self._fns.get("warmup"), jax.stages.Compiled):
            # tracing errors (a log_prob that is not JAX-traceable, a model rejecting theta) surface here
            self._fns["warmup"] = self._warmup_fn().lower(data, w0).compile()
        if self.parallel == "pmap":
            return
        z = jnp.zeros((self.n_particles, self.theta_dim))
        one = jnp.ones(self.theta_dim)
        state = init(z, self.optimizer)
        if self.parallel == "vmap":
            for length in set(self._chunk_lengths()):
                fn = self._chunk_fn(length)
                if not isinstance(fn, jax.stages.Compiled):
                    self._fns[("chunk", length)] = fn.lower(state, data, one, one).compile()
        else:  # 'none'
            self._get("loop", lambda: _make_loop_pieces(self._log_density, self.optimizer, self.bandwidth))

    # ------------------------------------------------------------------ running
    def _initial_u(self, m: jax.Array, s: jax.Array) -> jax.Array:
        if self._init_theta is None:
            key = jax.random.PRNGKey(self.seed)
            return jax.random.normal(key, (self.n_particles, self.theta_dim), dtype=jnp.float64)
        z = self.transform.inverse(jnp.asarray(self._init_theta))
        return (z - m) / s

    def fit(self) -> SVGDResult:
        """Run the warm-up and ``n_iterations`` SVGD updates; return an :class:`SVGDResult`."""
        data = jnp.asarray(self.data)
        w0 = jnp.zeros(self.theta_dim)
        m, s = self._warmup_fn()(data, w0)
        if not (np.all(np.isfinite(np.asarray(m))) and np.all(np.isfinite(np.asarray(s)))):
            raise ValueError("the log-density is not finite at the start; check the model, data and prior")
        u0 = self._initial_u(m, s)
        to_theta_ms = self._to_theta_fn()
        to_theta = lambda u: to_theta_ms(jnp.asarray(u), m, s)  # noqa: E731

        bar = _Progress(self.n_iterations, self.progress)
        hist, hist_it = [np.asarray(to_theta(u0))], [0]
        t0 = time.perf_counter()
        if self.parallel == "pmap":
            u = self._run_pmap(u0, data, m, s, bar, hist, hist_it, to_theta)
        else:
            u = self._run_single(u0, data, m, s, bar, hist, hist_it, to_theta)
        seconds = time.perf_counter() - t0
        bar.close()

        if not np.all(np.isfinite(u)):
            raise FloatingPointError(
                "SVGD particles became non-finite; lower learning_rate or check the log-density"
            )
        z = np.asarray(m + s * u)
        theta = np.asarray(to_theta(jnp.asarray(u)))
        self._results = SVGDResult(
            particles=theta,
            particles_unconstrained=z,
            posterior_mean=theta.mean(axis=0),
            posterior_std=theta.std(axis=0, ddof=1),
            history=np.stack(hist),
            history_iterations=np.asarray(hist_it),
            n_iterations=self.n_iterations,
            seconds=seconds,
        )
        if self.verbose:
            print(f"Posterior mean: {np.array2string(self.posterior_mean, precision=6)}")
            print(f"Posterior std: {np.array2string(self.posterior_std, precision=6)}")
            self.summary()
        return self._results

    def _run_single(self, u0, data, m, s, bar, hist, hist_it, to_theta):
        state = init(u0, self.optimizer)
        it = 0
        if self.parallel == "vmap":
            for length in self._chunk_lengths():
                state = self._chunk_fn(length)(state, data, m, s)
                it += length
                hist.append(np.asarray(to_theta(state.particles)))
                hist_it.append(it)
                bar.update(length)
        else:  # 'none': plain loop
            _, step = self._get(
                "loop", lambda: _make_loop_pieces(self._log_density, self.optimizer, self.bandwidth))
            for length in self._chunk_lengths():
                for _ in range(length):
                    state = step(state, data, m, s)
                it += length
                hist.append(np.asarray(to_theta(state.particles)))
                hist_it.append(it)
                bar.update(length)
        return np.asarray(state.particles)

    def _run_pmap(self, u0, data, m, s, bar, hist, hist_it, to_theta):
        D = self.n_devices
        shard = lambda a: np.asarray(a).reshape(D, a.shape[0] // D, *a.shape[1:])  # noqa: E731
        unshard = lambda a: np.asarray(a).reshape(-1, a.shape[-1])  # noqa: E731
        with _device_mesh(D):
            state = jax.pmap(lambda x: init(x, self.optimizer), axis_name=AXIS_NAME)(shard(u0))
            it = 0
            for length in self._chunk_lengths():
                fn = self._chunk_fn(length)
                state = fn(state, data, m, s)
                it += length
                hist.append(np.asarray(to_theta(jnp.asarray(unshard(state.particles)))))
                hist_it.append(it)
                bar.update(length)
        return unshard(state.particles)

    # ------------------------------------------------------------------ results
    def _res(self) -> SVGDResult:
        if self._results is None:
            raise RuntimeError("call fit() first")
        return self._results

    @property
    def results(self) -> SVGDResult:
        return self._res()

    @property
    def particles(self) -> np.ndarray:
        """Final particles on the constrained scale, shape ``(n_particles, theta_dim)``."""
        return self._res().particles

    @property
    def posterior_mean(self) -> np.ndarray:
        return self._res().posterior_mean

    @property
    def posterior_std(self) -> np.ndarray:
        return self._res().posterior_std

    @property
    def history(self) -> np.ndarray:
        """Particles (constrained) at iterations 0, k, 2k, ..., ``n_iterations`` (``k = history_every``)."""
        return self._res().history

    def summary(self, prob: float = 0.95) -> dict[str, np.ndarray]:
        """Per-parameter mean, sd and ``prob`` highest density interval; printed as a table when verbose."""
        r = self._res()
        lo, hi = hdi(r.particles, prob)
        out = {"mean": r.posterior_mean, "sd": r.posterior_std, "hdi_low": lo, "hdi_high": hi}
        if self.verbose:
            pct = f"{100 * prob:g}%"
            print(f"{'param':>8} {'mean':>12} {'sd':>12} {pct + ' HDI low':>14} {pct + ' HDI high':>14}")
            for k in range(self.theta_dim):
                print(f"{'theta[' + str(k) + ']':>8} {out['mean'][k]:12.6g} {out['sd'][k]:12.6g} "
                      f"{lo[k]:14.6g} {hi[k]:14.6g}")
        return out


# ============================================================================== helpers
def _resolve_parallel(parallel: str | None, n_devices: int | None) -> tuple[str, int]:
    if isinstance(parallel, str):
        parallel = parallel.lower()
    if parallel not in _PARALLEL_MODES:
        raise ValueError(f"parallel must be None, 'vmap', 'pmap' or 'none', got {parallel!r}")
    available = len(jax.local_devices())
    if n_devices is not None:
        if not (isinstance(n_devices, (int, np.integer)) and n_devices >= 1):
            raise ValueError(f"n_devices must be a positive integer, got {n_devices!r}")
        if n_devices > available:
            raise ValueError(
                f"n_devices={n_devices} but JAX sees only {available} device(s); for CPU devices set the "
                f"environment variable PTDALG_CPUS={n_devices} before JAX is first used (or call "
                f"ptdalgorithms.devices.set_cpu_devices({n_devices}) first)"
            )
    if parallel is None:
        parallel = "pmap" if (n_devices or available) > 1 else "vmap"
    if parallel == "pmap":
        return parallel, int(n_devices or available)
    return parallel, 1


class _device_mesh:
    """Context: an explicit 1-D device mesh with axis 'batch' (``jax.set_mesh`` where it exists, Auto axis
    types; otherwise ``with mesh:``).  Entering it makes pmap run under one consistent mesh."""

    def __init__(self, n: int) -> None:
        from jax.experimental import mesh_utils
        from jax.sharding import Mesh

        devs = mesh_utils.create_device_mesh((n,), devices=jax.local_devices()[:n])
        axis_type = getattr(jax.sharding, "AxisType", None)
        if axis_type is not None:
            self.mesh = Mesh(devs, (AXIS_NAME,), axis_types=(axis_type.Auto,))
        else:  # pragma: no cover - older jax
            self.mesh = Mesh(devs, (AXIS_NAME,))
        self._ctx = None

    def __enter__(self):
        set_mesh = getattr(jax, "set_mesh", None)
        self._ctx = set_mesh(self.mesh) if set_mesh is not None else self.mesh
        self._ctx.__enter__()
        return self.mesh

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class _Progress:
    """tqdm bar if available and wanted, else printed lines, else nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.bar, self.enabled = total, 0, None, enabled
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="SVGD")
            except ImportError:
                self.bar = None

    def update(self, k: int) -> None:
        self.done += k
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(k)
        else:
            print(f"SVGD: iteration {self.done}/{self.total}", file=sys.stdout, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
