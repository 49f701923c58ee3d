"""Kingman coalescent with block-counting states, built with :meth:`Graph.from_callback`.

State: ``s[i]`` = number of lineages that subtend ``i + 1`` of the ``n`` sampled genes.  Any two
lineages coalesce at rate 1.  Run ``python -m ptdalgorithms.examples.coalescent`` for a summary.
"""
from __future__ import annotations

import sys

import numpy as np

from ptdalgorithms import Graph


def kingman_callback(state: np.ndarray) -> list:
    """Transitions out of a block-counting state: every pair of lineages merges at rate 1."""
    n = len(state)
    out = []
    for i in range(n):
        if state[i] == 0:
            continue
        for j in range(i, n):
            pairs = state[i] * (state[i] - 1) // 2 if i == j else state[i] * state[j]
            if pairs == 0 or i + j + 2 > n:
                continue
            child = state.copy()
            child[i] -= 1
            child[j] -= 1
            child[i + j + 1] += 1
            out.append((child, float(pairs)))
    return out


def kingman_vectorized(states: np.ndarray):
    """The same transitions for a batch of states (for ``from_callback(..., vectorized=True)``)."""
    b, n = states.shape
    counts = states.astype(np.int64)
    rows, children, weights = [], [], []
    for i in range(n):
        si = counts[:, i]
        if not si.any():
            continue
        for j in range(i, n - i - 1):
            pairs = si * (si - 1) // 2 if i == j else si * counts[:, j]
            idx = np.flatnonzero(pairs)
            if idx.size == 0:
                continue
            child = states[idx]
            child[:, i] -= 1
            child[:, j] -= 1
            child[:, i + j + 1] += 1
            rows.append(idx)
            children.append(child)
            weights.append(pairs[idx].astype(np.float64))
    if not rows:
        return np.empty(0, np.int64), np.empty((0, n), np.int32), np.empty(0)
    return np.concatenate(rows), np.concatenate(children), np.concatenate(weights)


def _kingman_parameterized(state: np.ndarray) -> list:
    """:func:`kingman_callback` with every rate ``pairs`` turned into ``0 + pairs * theta``."""
    return [(child, 0.0, [pairs]) for child, pairs in kingman_callback(state)]


def _kingman_vectorized_parameterized(states: np.ndarray):
    """:func:`kingman_vectorized` returning ``(rows, children, bases, coefficients)``."""
    rows, children, pairs = kingman_vectorized(states)
    return rows, children, np.zeros_like(pairs), pairs[:, None]


def kingman_graph(n: int, vectorized: bool = False, parameterized: bool = False) -> Graph:
    """Kingman coalescent for a sample of ``n`` genes, in block-counting states.

    Parameters
    ----------
    n : int
        Number of sampled genes (at least 2).  The graph has one transient state per partition of
        ``n`` into at least two blocks, plus the starting and absorbing vertices.
    vectorized : bool, default False
        Build with :func:`kingman_vectorized` (a batch of states per call) instead of
        :func:`kingman_callback`.  The graph is the same; the vectorised build is faster for large ``n``.
    parameterized : bool, default False
        If True, one parameter ``theta`` scales every coalescence rate: each edge has base 0 and
        coefficient ``pairs`` (the number of lineage pairs that merge along it), so its weight is
        ``pairs * theta`` and ``E[T_MRCA] = 2 (1 - 1/n) / theta``.  The weights are set with
        ``update_parameterized_weights([1.0])``, so until ``theta`` is changed the graph equals the
        plain coalescent.

    Returns
    -------
    Graph
        The coalescent; ``param_length`` is 1 if ``parameterized`` else 0.

    Examples
    --------
    >>> g = kingman_graph(4, parameterized=True)
    >>> g.update_parameterized_weights([2.0])
    >>> round(g.expectation(), 12)  # 2 (1 - 1/4) / 2
    0.75
    """
    if n < 2:
        raise ValueError("n must be at least 2")
    initial = np.zeros(n, dtype=np.int32)
    initial[0] = n
    if parameterized:
        cb = _kingman_vectorized_parameterized if vectorized else _kingman_parameterized
    else:
        cb = kingman_vectorized if vectorized else kingman_callback
    g = Graph.from_callback(cb, initial, vectorized=vectorized)
    if parameterized:
        g.update_parameterized_weights([1.0])
    return g


def main(argv: list[str] | None = None) -> None:
    """Print exact summaries of the Kingman coalescent for ``n`` (default 10) genes."""
    n = int((argv or sys.argv[1:] or ["10"])[0])
    g = kingman_graph(n)
    print(f"Kingman coalescent, n = {n}: {len(g)} vertices (incl. start), {g.n_edges} edges")
    var_exact = sum((2 / (k * (k - 1))) ** 2 for k in range(2, n + 1))
    print(f"T_MRCA  mean {g.expectation():.12f}  (closed form 2(1-1/n) = {2 * (1 - 1 / n):.12f})")
    print(f"        var  {g.variance():.12f}  (closed form {var_exact:.12f})")
    lineages = g.states().sum(axis=1).astype(float)
    print(f"total branch length mean {g.expectation(lineages):.12f}  "
          f"(closed form 2 H(n-1) = {2 * sum(1 / i for i in range(1, n)):.12f})")
    sfs = [g.expectation(g.states()[:, i].astype(float)) for i in range(n - 1)]
    print("site frequency spectrum E[T_i] (closed form 2/i):",
          " ".join(f"{x:.6f}" for x in sfs))
    t = np.array([0.5, 1.0, 2.0, 4.0])
    print("T_MRCA pdf at", t.tolist(), ":", np.array2string(g.pdf(t), precision=10))
    print("T_MRCA cdf at", t.tolist(), ":", np.array2string(g.cdf(t), precision=10))
    samples = g.sample(20000, seed=1)
    print(f"20000 samples: mean {samples.mean():.4f} +- {samples.std() / np.sqrt(samples.size):.4f}")


if __name__ == "__main__":
    main()
