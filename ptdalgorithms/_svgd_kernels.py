"""RBF kernel, median-heuristic bandwidth and the Stein variational direction.

Pure JAX functions, no state.  Notation follows Liu & Wang (2016), "Stein Variational Gradient Descent:
A General Purpose Bayesian Inference Algorithm", eq. (8):

    phi(x_i) = (1/n) sum_j [ k(x_j, x_i) grad log p(x_j) + grad_{x_j} k(x_j, x_i) ].

With the RBF kernel k(x, y) = exp(-||x - y||^2 / h),

    grad_{x_j} k(x_j, x_i) = 2 (x_i - x_j) k(x_j, x_i) / h,

which points from x_j towards x_i: summed over j it pushes x_i *away* from its neighbours (repulsion).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["rbf_kernel", "rbf_kernel_grad", "sq_distances", "median_bandwidth", "stein_direction"]

# Smallest bandwidth used when all particles coincide (then the repulsive term is exactly zero anyway).
_MIN_BANDWIDTH = 1e-12


def rbf_kernel(x: jax.Array, y: jax.Array, h: float | jax.Array) -> jax.Array:
    """RBF kernel ``k(x, y) = exp(-||x - y||^2 / h)`` for two points of shape ``(d,)``."""
    return jnp.exp(-jnp.sum((x - y) ** 2) / h)


def rbf_kernel_grad(xj: jax.Array, xi: jax.Array, h: float | jax.Array) -> jax.Array:
    """Gradient of ``k(xj, xi)`` with respect to its first argument: ``2 (xi - xj) k(xj, xi) / h``."""
    return 2.0 * (xi - xj) * rbf_kernel(xj, xi, h) / h


def sq_distances(x: jax.Array, y: jax.Array) -> jax.Array:
    """Matrix of squared Euclidean distances ``D[j, i] = ||x_j - y_i||^2`` for ``x (n, d)``, ``y (m, d)``."""
    diff = x[:, None, :] - y[None, :, :]
    return jnp.sum(diff * diff, axis=-1)


def _median_nonnegative(v: jax.Array) -> jax.Array:
    """Median of a 1-D array of non-negative floats.

    Sorts the IEEE bit patterns as integers (for non-negative floats they order exactly like the values):
    XLA's integer sort on CPU is ~4x faster than its float sort, which dominated an SVGD step at n = 100.
    """
    m = v.shape[0]
    bits = jax.lax.bitcast_convert_type(v, jnp.int64 if v.dtype == jnp.float64 else jnp.int32)
    s = jax.lax.bitcast_convert_type(jnp.sort(bits), v.dtype)
    return s[m // 2] if m % 2 else 0.5 * (s[m // 2 - 1] + s[m // 2])


def median_bandwidth(x: jax.Array) -> jax.Array:
    """Median heuristic ``h = med_{i<j} ||x_i - x_j||^2 / log(n + 1)`` for particles ``x (n, d)``.

    With this choice ``sum_j k(x_j, x_i) ~ n * n^{-1/2}``-ish balances the driving and repulsive terms
    (Liu & Wang 2016, section 5).  The median runs over the ``n (n - 1) / 2`` distinct pairs.  If all
    particles coincide, ``h`` is floored at 1e-12 (the repulsive term is then zero, not NaN).
    """
    n = x.shape[0]
    if n < 2:
        return jnp.asarray(1.0, dtype=x.dtype)
    d2 = sq_distances(x, x)
    iu, ju = jnp.triu_indices(n, k=1)
    med = _median_nonnegative(d2[iu, ju])
    return jnp.maximum(med / jnp.log(n + 1.0), _MIN_BANDWIDTH)


def stein_direction(
    x_query: jax.Array, x_all: jax.Array, grad_all: jax.Array, h: float | jax.Array
) -> jax.Array:
    """Stein variational direction at the points ``x_query (m, d)`` given all particles.

    Parameters
    ----------
    x_query : (m, d) array
        Points ``x_i`` at which ``phi`` is evaluated (all particles, or one device's shard of them).
    x_all : (n, d) array
        All particles ``x_j``.
    grad_all : (n, d) array
        ``grad log p(x_j)`` for every particle.
    h : float
        RBF bandwidth.

    Returns
    -------
    (m, d) array
        ``phi(x_i) = (1/n) sum_j [k(x_j, x_i) grad_all[j] + 2 (x_i - x_j) k(x_j, x_i) / h]``.
    """
    n = x_all.shape[0]
    k = jnp.exp(-sq_distances(x_all, x_query) / h)  # k[j, i] = k(x_j, x_i)
    drive = k.T @ grad_all  # sum_j k(x_j, x_i) grad_j
    ksum = jnp.sum(k, axis=0)  # sum_j k(x_j, x_i)
    # sum_j 2 (x_i - x_j) k_ji / h = (2/h) (x_i sum_j k_ji - sum_j k_ji x_j)
    repulse = (2.0 / h) * (x_query * ksum[:, None] - k.T @ x_all)
    return (drive + repulse) / n
