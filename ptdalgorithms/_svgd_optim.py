"""Small gradient transformations for SVGD, with the optax calling convention.

An optimiser is a pair ``(init(params) -> state, update(grads, state, params=None) -> (updates, state))``;
``params + updates`` is the new position, and ``grads`` are gradients of a quantity to *minimise*.  SVGD
passes ``-phi`` (the negated Stein direction), so any optax ``GradientTransformation`` works unchanged
(optax is optional and never imported here).

All transformations here are elementwise, so running them on a shard of the particles (``pmap``) gives
the same result as on all particles.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["Transformation", "adam", "adagrad", "sgd", "resolve_optimizer"]


class Transformation(NamedTuple):
    """``(init, update)`` pair, structurally identical to ``optax.GradientTransformation``."""

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class AdamState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any


def adam(learning_rate: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Transformation:
    """Adam (Kingma & Ba 2015) with bias correction; ``updates = -lr * m_hat / (sqrt(v_hat) + eps)``."""

    def init(params):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return AdamState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update(grads, state, params=None):
        count = state.count + 1
        mu = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        nu = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grads)
        c1 = 1 - b1 ** count.astype(jnp.float64)
        c2 = 1 - b2 ** count.astype(jnp.float64)
        upd = jax.tree_util.tree_map(
            lambda m, v: -learning_rate * (m / c1) / (jnp.sqrt(v / c2) + eps), mu, nu
        )
        return upd, AdamState(count, mu, nu)

    return Transformation(init, update)


class AdagradState(NamedTuple):
    count: jax.Array
    hist: Any


def adagrad(learning_rate: float, alpha: float = 0.9, eps: float = 1e-6) -> Transformation:
    """AdaGrad with momentum on the squared gradient, as in Liu & Wang's (2016) reference SVGD code.

    ``hist = g^2`` at the first step, then ``hist = alpha hist + (1 - alpha) g^2``;
    ``updates = -lr * g / (eps + sqrt(hist))``.
    """

    def init(params):
        return AdagradState(jnp.zeros([], jnp.int32), jax.tree_util.tree_map(jnp.zeros_like, params))

    def update(grads, state, params=None):
        first = state.count == 0
        hist = jax.tree_util.tree_map(
            lambda s, g: jnp.where(first, g * g, alpha * s + (1 - alpha) * g * g), state.hist, grads
        )
        upd = jax.tree_util.tree_map(lambda g, s: -learning_rate * g / (eps + jnp.sqrt(s)), grads, hist)
        return upd, AdagradState(state.count + 1, hist)

    return Transformation(init, update)


def sgd(learning_rate: float) -> Transformation:
    """Plain step ``updates = -lr * g`` (the SVGD update of the paper with a constant step size)."""

    def init(params):
        return jnp.zeros([], jnp.int32)

    def update(grads, state, params=None):
        return jax.tree_util.tree_map(lambda g: -learning_rate * g, grads), state + 1

    return Transformation(init, update)


_BUILTIN = {"adam": adam, "adagrad": adagrad, "sgd": sgd}


def resolve_optimizer(optimizer: Any, learning_rate: float) -> tuple[Any, Any]:
    """Return ``(transformation, cache_key)`` for a name or an optax-like object.

    Names: ``'adam'``, ``'adagrad'``, ``'sgd'`` (combined with ``learning_rate``).  Any object with
    callable ``init`` and ``update`` attributes (an optax ``GradientTransformation``) is used as is and
    ``learning_rate`` is ignored.
    """
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in _BUILTIN:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; use one of {sorted(_BUILTIN)} "
                "or an optax GradientTransformation"
            )
        if not (learning_rate > 0 and jnp.isfinite(learning_rate)):
            raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
        return _BUILTIN[key](float(learning_rate)), (key, float(learning_rate))
    if callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None)):
        try:
            hash(optimizer)
            key = ("custom", optimizer)  # the cache keeps the object alive, so keys never collide
        except TypeError:
            key = None  # unhashable: not cached
        return optimizer, key
    raise ValueError(
        f"optimizer must be 'adam', 'adagrad', 'sgd' or an optax GradientTransformation, got {optimizer!r}"
    )
