"""Random graph builders and dense-matrix reference formulas shared by the moment tests.

The references here are independent of the elimination code: they use numpy.linalg on the matrix
form (either from ``Graph.as_matrices`` or from the builder's own edge list).
"""
from __future__ import annotations

import math

import numpy as np

from ptdalgorithms import Graph


def random_edges(rng, n_t, n_abs=2, density=0.15, cyclic=True, defect=True, discrete=False):
    """Random edge list over vertices 1..n_t (transient) and n_t+1..n_t+n_abs (absorbing).

    Every transient vertex gets an edge "forward" in a random order or to an absorbing vertex, so all
    vertices reach absorption; extra random edges (backward ones only if ``cyclic``) make it sparse or
    dense.  Returns a dict {(u, v): weight}; u = 0 is the start.  Discrete: each transient vertex's
    out-probabilities sum to a random number in (0.3, 1] (the rest is the self-transition).
    """
    order = rng.permutation(n_t) + 1
    rank = np.empty(n_t + 1, dtype=int)
    rank[order] = np.arange(n_t)
    absorbing = list(range(n_t + 1, n_t + n_abs + 1))
    edges = {}
    for pos, u in enumerate(order):
        if pos + 1 < n_t and rng.random() < 0.8:
            v = int(order[rng.integers(pos + 1, n_t)])
        else:
            v = int(rng.choice(absorbing))
        edges[(int(u), v)] = rng.uniform(0.1, 2.0)
        n_extra = rng.binomial(n_t, density)
        for v in rng.choice(n_t + n_abs, size=min(n_extra, n_t + n_abs), replace=False) + 1:
            v = int(v)
            if v == u:
                continue
            if not cyclic and v <= n_t and rank[v] < rank[u]:
                continue
            edges[(int(u), v)] = rng.uniform(0.05, 3.0)
    n_start = max(1, rng.binomial(n_t, 0.2))
    for v in rng.choice(n_t, size=n_start, replace=False) + 1:
        edges[(0, int(v))] = rng.uniform(0.1, 1.0)
    if defect:
        edges[(0, absorbing[0])] = rng.uniform(0.05, 0.5)
    if discrete:
        for u in range(1, n_t + 1):
            keys = [k for k in edges if k[0] == u]
            tot = sum(edges[k] for k in keys)
            target = rng.uniform(0.3, 1.0)
            for k in keys:
                edges[k] *= target / tot
    return edges


def build(n_vertices, edges, param=None):
    """Graph with states [i] for vertex i (in index order) and the given edges.

    ``param``: optional {(u, v): (base, coefs)}, overriding ``edges`` with parameterised edges.
    """
    g = Graph(1)
    vs = [g.starting_vertex()] + [g.find_or_create_vertex([i]) for i in range(1, n_vertices)]
    for (u, v), w in edges.items():
        if param is not None and (u, v) in param:
            b, c = param[(u, v)]
            vs[u].add_edge_parameterized(vs[v], b, c)
        else:
            vs[u].add_edge(vs[v], w)
    return g


def random_graph(rng, n_t, **kw):
    n_abs = kw.pop("n_abs", int(rng.integers(1, 4)))
    edges = random_edges(rng, n_t, n_abs=n_abs, **kw)
    return build(n_t + n_abs + 1, edges), edges, n_t


def transient_index(g):
    return np.array([v.index for v in g.vertices()[1:] if v.edges()], dtype=int)


def matrix_moments(alpha, S, k, r=None):
    """E[Y^i], i = 1..k: i! alpha (U diag(r))^i e, U = (-S)^{-1} (continuous)."""
    m = len(alpha)
    r = np.ones(m) if r is None else r
    U = np.linalg.inv(-S)
    v = np.ones(m)
    out = []
    for i in range(1, k + 1):
        v = U @ (r * v)
        out.append(math.factorial(i) * alpha @ v)
    return np.array(out)


def matrix_cross(alpha, S, r1, r2):
    """E[Y_1 Y_2] = alpha U D(r1) U r2 + alpha U D(r2) U r1 (Bladt & Nielsen)."""
    U = np.linalg.inv(-S)
    return alpha @ U @ (r1 * (U @ r2)) + alpha @ U @ (r2 * (U @ r1))


def stirling2(k, j):
    return sum((-1) ** (j - i) * math.comb(j, i) * i ** k for i in range(j + 1)) // math.factorial(j)


def dph_matrix_moments(alpha, T, k):
    """Raw moments of tau for a DPH: factorial moments E[tau (tau-1) ... (tau-j+1)] =
    j! alpha (I-T)^{-j} T^{j-1} e, converted with Stirling numbers of the second kind."""
    m = len(alpha)
    U = np.linalg.inv(np.eye(m) - T)
    fact = []
    for j in range(1, k + 1):
        v = np.linalg.matrix_power(T, j - 1) @ np.ones(m)
        for _ in range(j):
            v = U @ v
        fact.append(math.factorial(j) * alpha @ v)
    return np.array([sum(stirling2(i, j) * fact[j - 1] for j in range(1, i + 1)) for i in range(1, k + 1)])


def dph_brute_moments(alpha, T, r, k, tol=1e-17, max_steps=20000):
    """Moments of Y = sum_{n<tau} r(X_n) for integer rewards by summing the distribution of
    (X_n, accumulated reward) step by step until the surviving mass is below tol."""
    r = np.asarray(r, dtype=int)
    m = len(alpha)
    ymax = 64
    P = np.zeros((m, ymax))
    P[:, 0] = alpha
    exitp = 1 - T.sum(axis=1)
    mom = np.zeros(k)
    for _ in range(max_steps):
        # one step: reward of the current vertex is added, then the jump
        Q = np.zeros_like(P)
        for v in range(m):
            if r[v]:
                Q[v, r[v]:] = P[v, :-r[v]]
            else:
                Q[v] = P[v]
        if Q[:, -1].sum() > 0 or np.any(Q[:, -max(r.max(), 1) - 1:].sum() > 0):
            P = np.pad(P, ((0, 0), (0, ymax)))
            ymax *= 2
            continue
        ys = np.arange(ymax, dtype=float)
        done = exitp @ Q
        mom += np.array([(done * ys ** i).sum() for i in range(1, k + 1)])
        P = T.T @ Q
        if P.sum() < tol:
            return mom
    raise RuntimeError("brute force did not converge")
