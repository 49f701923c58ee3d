"""Parameter transforms, priors and the log-posterior SVGD samples from.

Positive parameters (rates) are sampled on an unconstrained scale ``z`` with ``theta = T(z)``.  Priors are
log-densities of ``theta`` on the *constrained* scale; the log-density of ``z`` is

    log p(z | data) = log L(T(z); data) + log prior(T(z)) + log |dT/dz|       (change of variables),

so the particles, mapped back with ``T``, are draws from the posterior of ``theta`` under the stated prior.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

__all__ = [
    "Transform",
    "get_transform",
    "gamma_prior",
    "lognormal_prior",
    "normal_prior",
    "default_prior",
    "validate_data",
    "make_log_density",
]

_TINY = 1e-300  # pdf values are floored here before the log (no -inf / NaN gradients)


class Transform(NamedTuple):
    """``theta = forward(z)``, ``z = inverse(theta)``, ``log_det(z) = sum log |d theta / d z|``."""

    name: str | None
    forward: Callable[[jax.Array], jax.Array]
    inverse: Callable[[jax.Array], jax.Array]
    log_det: Callable[[jax.Array], jax.Array]
    positive: bool


def _softplus_inverse(theta):
    # z = log(exp(theta) - 1) = theta + log(1 - exp(-theta)), stable for small and large theta
    return theta + jnp.log(-jnp.expm1(-theta))


_TRANSFORMS = {
    # softplus: theta = log(1 + e^z), d theta / dz = sigmoid(z), log sigmoid(z) = -softplus(-z)
    "softplus": Transform(
        "softplus",
        jax.nn.softplus,
        _softplus_inverse,
        lambda z: -jnp.sum(jax.nn.softplus(-z)),
        True,
    ),
    # log: theta = e^z, log |d theta / dz| = z
    "log": Transform("log", jnp.exp, jnp.log, lambda z: jnp.sum(z), True),
    None: Transform(None, lambda z: z, lambda t: t, lambda z: jnp.zeros((), z.dtype), False),
}


def get_transform(transform: str | None) -> Transform:
    """Look up ``'softplus'``, ``'log'`` or ``None`` (identity); ValueError otherwise."""
    key = transform.lower() if isinstance(transform, str) else transform
    if key not in _TRANSFORMS:
        raise ValueError(f"transform must be 'softplus', 'log' or None, got {transform!r}")
    return _TRANSFORMS[key]


# ---------------------------------------------------------------------------------------------- priors
class _Prior(NamedTuple):
    """A normalised log-density on the constrained scale, hashable (usable as a cache key)."""

    kind: str
    a: float
    b: float

    def __call__(self, theta: jax.Array) -> jax.Array:
        a, b = self.a, self.b
        if self.kind == "gamma":  # shape a, rate b
            return jnp.sum(a * jnp.log(b) - gammaln(a) + (a - 1.0) * jnp.log(theta) - b * theta)
        if self.kind == "lognormal":  # log theta ~ N(a, b^2)
            lt = jnp.log(theta)
            return jnp.sum(-0.5 * ((lt - a) / b) ** 2 - lt - jnp.log(b) - 0.5 * jnp.log(2 * jnp.pi))
        # normal
        return jnp.sum(-0.5 * ((theta - a) / b) ** 2 - jnp.log(b) - 0.5 * jnp.log(2 * jnp.pi))


def gamma_prior(shape: float, rate: float) -> Callable[[jax.Array], jax.Array]:
    """Independent Gamma(shape, rate) priors on every component of theta (constrained scale)."""
    if not (shape > 0 and rate > 0):
        raise ValueError(f"gamma_prior needs shape > 0 and rate > 0, got {shape}, {rate}")
    return _Prior("gamma", float(shape), float(rate))


def lognormal_prior(mu: float = 0.0, sigma: float = 2.0) -> Callable[[jax.Array], jax.Array]:
    """Independent log-normal priors, ``log theta_k ~ N(mu, sigma^2)`` (constrained scale)."""
    if not sigma > 0:
        raise ValueError(f"lognormal_prior needs sigma > 0, got {sigma}")
    return _Prior("lognormal", float(mu), float(sigma))


def normal_prior(mu: float = 0.0, sigma: float = 10.0) -> Callable[[jax.Array], jax.Array]:
    """Independent normal priors ``theta_k ~ N(mu, sigma^2)``."""
    if not sigma > 0:
        raise ValueError(f"normal_prior needs sigma > 0, got {sigma}")
    return _Prior("normal", float(mu), float(sigma))


def default_prior(transform: Transform) -> Callable[[jax.Array], jax.Array]:
    """The prior used when none is given.

    Positive parameters (``transform`` 'softplus' or 'log'): independent log-normal, ``log theta_k ~
    N(0, 2^2)`` -- proper, median 1, 95 % of its mass in (0.02, 50), i.e. weakly informative about rates of
    unknown magnitude.  Unconstrained parameters (``transform=None``): independent ``N(0, 10^2)``.
    """
    return lognormal_prior(0.0, 2.0) if transform.positive else normal_prior(0.0, 10.0)


# ---------------------------------------------------------------------------------------------- data
def validate_data(observed_data: Any, discrete: bool) -> np.ndarray:
    """Return the observations as a 1-D float64 array; ValueError for empty, NaN/inf, negative data
    (continuous models: times must be >= 0) or non-integer data (discrete models)."""
    try:
        data = np.asarray(observed_data, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"observed_data must be an array of numbers: {exc}") from None
    if data.size == 0:
        raise ValueError("observed_data is empty")
    bad = ~np.isfinite(data)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"observed_data contains {int(bad.sum())} NaN/inf value(s) (first at index {i}: {data[i]})"
        )
    if (data < 0).any():
        i = int(np.flatnonzero(data < 0)[0])
        kind = "discrete" if discrete else "continuous"
        raise ValueError(
            f"observed_data has negative values (first at index {i}: {data[i]}); "
            f"a {kind} phase-type model has support on [0, inf)"
        )
    if discrete and (data != np.round(data)).any():
        i = int(np.flatnonzero(data != np.round(data))[0])
        raise ValueError(f"discrete model but observed_data[{i}] = {data[i]} is not an integer")
    return data


# ---------------------------------------------------------------------------------------------- density
def make_log_density(
    transform: Transform,
    model: Callable | None = None,
    prior: Callable | None = None,
    log_prob: Callable | None = None,
) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """Build ``log_density(z, data)``: the unnormalised log-posterior of the unconstrained ``z (d,)``.

    With ``model``: ``sum_i log model(theta, data)_i + log prior(theta) + log |dT/dz|``.
    With ``log_prob``: ``log_prob(theta) [+ log prior(theta)] + log |dT/dz|`` (``data`` unused).
    """

    def log_density(z, data):
        theta = transform.forward(z)
        if log_prob is not None:
            lp = log_prob(theta)
        else:
            pdf = model(theta, data)
            lp = jnp.sum(jnp.log(jnp.maximum(pdf, _TINY)))
        if prior is not None:
            lp = lp + prior(theta)
        return jnp.asarray(lp, dtype=z.dtype) + transform.log_det(z)

    return log_density
