"""Test graphs for the JAX bridge, with their dense-matrix references.

The references come from ``Graph.as_matrices`` at each theta (dense formulas in ``_jax_stub``), so
they are independent of the compiled evaluators the bridge calls.
"""
import numpy as np

import _jax_stub as st

from ptdalgorithms import Graph


def graph_matrices(g):
    """``matrices(theta) -> (alpha, S, transient vertex indices)`` for a real Graph, via a clone."""
    def matrices(theta):
        h = g.clone()
        if g.param_length:
            h.update_parameterized_weights(np.asarray(theta, dtype=float))
        alpha, S, states = h.as_matrices()
        trans = [h.find_vertex(list(s)).index for s in np.atleast_2d(states)]
        return np.asarray(alpha, float), np.asarray(S, float), trans
    return matrices


def seed():
    """The seed snippet: pdf theta exp(-theta t)."""
    g = Graph(state_length=1)
    start = g.starting_vertex()
    v2 = g.find_or_create_vertex([2])
    v1 = g.find_or_create_vertex([1])
    start.add_edge(v2, 1.0)
    v2.add_edge_parameterized(v1, 0.0, [1.0])
    return g, graph_matrices(g)


def two_param():
    """A cyclic graph with two parameters, theta entering the initial distribution too."""
    g = Graph(state_length=1)
    v = [g.starting_vertex()] + [g.find_or_create_vertex([i]) for i in range(1, 5)]
    for u, w, base, coef in st.TWO_PARAM_EDGES:
        if len(coef):
            v[u].add_edge_parameterized(v[w], base, list(coef))
        else:
            v[u].add_edge(v[w], base)
    return g, graph_matrices(g)


def discrete_seed():
    """DPH: start -> a; a -> b with probability theta0, a -> absorb with 0.2; b -> absorb 1."""
    edges = [(0, 1, 1.0, []), (1, 2, 0.0, [1.0]), (1, 3, 0.2, []), (2, 3, 1.0, [])]
    g = Graph(state_length=1)
    v = [g.starting_vertex()] + [g.find_or_create_vertex([i]) for i in range(1, 4)]
    for u, w, base, coef in edges:
        if len(coef):
            v[u].add_edge_parameterized(v[w], base, list(coef))
        else:
            v[u].add_edge(v[w], base)
    return g, graph_matrices(g)


def kingman(n):
    """Kingman coalescent, block-counting states, one parameter scaling all coalescence rates."""

    def cb(state):
        out = []
        for i in range(n):
            for j in range(i, n):
                a, b = i + 1, j + 1
                if i == j:
                    if state[i] < 2:
                        continue
                    rate = state[i] * (state[i] - 1) / 2
                else:
                    if state[i] < 1 or state[j] < 1:
                        continue
                    rate = state[i] * state[j]
                if a + b > n:
                    continue
                child = list(state)
                child[i] -= 1
                child[j] -= 1
                child[a + b - 1] += 1
                out.append((child, 0.0, [rate]))
        return out

    init = [n] + [0] * (n - 1)
    return Graph.from_callback(cb, init)
