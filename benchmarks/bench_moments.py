"""Benchmark of the elimination program: moments by elimination vs dense linear algebra, replay for new
theta vs rebuilding, and a large cyclic model.  Prints timings and ratios measured in this run (no
asserts).  Run: ``python benchmarks/bench_moments.py`` (about a minute).

Models
------
* Kingman coalescent, block-counting states, pair coalescence rate 1 (n = 30: 5,605 vertices).
* Parameterised Kingman n = 30: one parameter theta scaling every coalescence rate (weight = theta * pairs).
* Two-island rabbits: state (left, right) = number of rabbits on each island, starting with all 1000 on
  the left, (1000, 0).  From each non-empty island one rabbit jumps to the other island at rate 1; the
  left island floods at rate 2 and the right at rate 4, killing all rabbits on it.  Absorbing state
  (0, 0).  Jumps keep left + right fixed and floods lower it, so every total N is one strongly connected
  component, a birth-death chain of N + 1 states: 501,501 states, cyclic.
"""
from __future__ import annotations

import time

import numpy as np

from ptdalgorithms import Graph
from ptdalgorithms import _moments as M
from ptdalgorithms.examples.coalescent import kingman_graph


def kingman_scaled(n, theta):
    """The parameterised Kingman coalescent rebuilt from scratch with its weights set at ``theta``."""
    g = kingman_graph(n, vectorized=True, parameterized=True)
    g.update_parameterized_weights([theta])
    return g


def timed(f, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def rabbits_vectorized(states):
    left = states[:, 0].astype(np.int64)
    right = states[:, 1].astype(np.int64)
    rows, children, weights = [], [], []

    def add(mask, child, rate):
        idx = np.flatnonzero(mask)
        rows.append(idx)
        children.append(child[idx].astype(np.int32))
        weights.append(np.full(idx.size, rate))
    add(left > 0, np.column_stack([left - 1, right + 1]), 1.0)     # a rabbit jumps left -> right
    add(right > 0, np.column_stack([left + 1, right - 1]), 1.0)    # a rabbit jumps right -> left
    add(left > 0, np.column_stack([np.zeros_like(left), right]), 2.0)   # left island floods
    add(right > 0, np.column_stack([left, np.zeros_like(right)]), 4.0)  # right island floods
    return np.concatenate(rows), np.concatenate(children), np.concatenate(weights)


def main():
    print("== Kingman coalescent: first expectation (compiles the program) and repeats")
    for n in (30, 50):
        tb, g = timed(lambda: kingman_graph(n, vectorized=True))
        t1, e = timed(lambda: M.expectation(g))
        tr, _ = timed(lambda: M.expectation(g), repeat=20)
        size = M._program_size(g)
        print(f"n = {n}: {len(g):,} vertices, build {tb:.3f} s; first expectation {t1 * 1e3:.2f} ms, "
              f"repeat {tr * 1e3:.3f} ms (E = {e:.12f}, exact {2 * (1 - 1 / n):.12f}); program "
              f"{size['register_ops']:,} register ops + {size['solve_ops']:,} solve ops")
        if n == 30:
            g30, t1_30, tr_30 = g, t1, tr

    alpha, S, _ = g30.as_matrices()
    td, x = timed(lambda: alpha @ np.linalg.solve(-S, np.ones(len(alpha))))
    print(f"n = 30 dense numpy.linalg.solve on the {len(alpha)}x{len(alpha)} matrix: {td:.3f} s "
          f"(E = {x:.12f}); elimination is {td / t1_30:,.0f}x faster on the first call, "
          f"{td / tr_30:,.0f}x on repeats (target >= 300x)")

    print("\n== Replay: Kingman n = 30, one parameter scaling all coalescence rates")
    gp = kingman_graph(30, vectorized=True, parameterized=True)
    thetas = np.linspace(0.5, 2.0, 400)[:, None]
    M.batch_moments(gp, thetas[:1], 1, gradient=False)  # compile once
    tv, (vals, _) = timed(lambda: M.batch_moments(gp, thetas, 1, gradient=False))
    tg, (vals2, grads) = timed(lambda: M.batch_moments(gp, thetas, 2, gradient=True))
    per = tv / len(thetas)
    nre = 5
    tre, _ = timed(lambda: [M.expectation(kingman_scaled(30, t)) for t in thetas[:nre, 0]])
    per_re = tre / nre
    err = np.max(np.abs(vals[:, 0] - 2 * (1 - 1 / 30) / thetas[:, 0]) / vals[:, 0])
    print(f"replay: {per * 1e6:.1f} us per theta (batch of {len(thetas)}, max rel. error vs exact "
          f"{err:.1e}); rebuild + re-eliminate: {per_re * 1e3:.1f} ms per theta; ratio {per_re / per:,.0f}x "
          f"(target >= 20x)")
    print(f"two moments + exact gradients: {tg / len(thetas) * 1e6:.1f} us per theta")

    print("\n== Two-island rabbits, 1000 rabbits starting on the left")
    t0 = time.perf_counter()
    g = Graph.from_callback(rabbits_vectorized, [1000, 0], vectorized=True)
    tb = time.perf_counter() - t0
    t1, e = timed(lambda: M.expectation(g))
    tr, _ = timed(lambda: M.expectation(g), repeat=3)
    size = M._program_size(g)
    print(f"{len(g):,} vertices, {g.n_edges:,} edges; build {tb:.2f} s, first expectation {t1:.2f} s, "
          f"repeat {tr:.3f} s; build + expectation {tb + t1:.2f} s (target <= 20 s); E = {e:.10f}; "
          f"program {size['register_ops']:,} + {size['solve_ops']:,} ops")


if __name__ == "__main__":
    main()
