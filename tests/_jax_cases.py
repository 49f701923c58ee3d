"""Test graphs for the JAX bridge, with their dense-matrix references.

The references come from ``Graph.as_matrices`` at each theta (dense formulas in ``_jax_stub``), so
they are independent of the compiled evaluators the bridge calls.
"""
import numpy as np

import _jax_stub as st

from ptdalgorithms import Graph
from ptdalgorithms.examples.coalescent import kingman_graph
from ptdalgorithms.examples.exponential import exponential_graph


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
    """The seed snippet: pdf theta exp(-theta t) (``examples.exponential``; theta not set)."""
    g = exponential_graph()
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
    return kingman_graph(n, parameterized=True)
