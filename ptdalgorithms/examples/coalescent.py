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


def kingman_graph(n: int, vectorized: bool = False) -> Graph:
    """Kingman coalescent for a sample of ``n`` genes (``n`` >= 2)."""
    if n < 2:
        raise ValueError("n must be at least 2")
    initial = np.zeros(n, dtype=np.int32)
    initial[0] = n
    cb = kingman_vectorized if vectorized else kingman_callback
    return Graph.from_callback(cb, initial, vectorized=vectorized)


def main(argv: list[str] | None = None) -> None:
    n = int((argv or sys.argv[1:] or ["10"])[0])
    g = kingman_graph(n)
    tmrca_exact = 2 * (1 - 1 / n)
    samples = g.sample(20000, seed=1)
    print(f"Kingman coalescent, n = {n}: {len(g)} vertices (incl. start), {g.n_edges} edges")
    print(f"E[T_MRCA] exact 2(1-1/n) = {tmrca_exact:.6f}; sample mean of 20000 draws = "
          f"{samples.mean():.6f} +- {samples.std() / np.sqrt(samples.size):.6f}")
    for name in ("expectation", "variance"):
        if hasattr(g, name):
            print(f"{name} (elimination): {getattr(g, name)():.12f}")


if __name__ == "__main__":
    main()
