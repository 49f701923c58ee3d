"""Reward transformation: the transformed graph's absorption time has the moments of the accumulated
reward of the original (continuous: matrix formula with rewards; discrete: brute force / moments)."""
import numpy as np
import pytest

from ptdalgorithms import Graph
from ptdalgorithms import _moments as M
from ptdalgorithms.examples.coalescent import kingman_graph

from _graphs_moments import (build, dph_brute_moments, matrix_moments, random_edges, random_graph,
                             transient_index)


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b) / np.abs(b)))


@pytest.mark.parametrize("seed", range(8))
def test_continuous_transform_random(seed):
    rng = np.random.default_rng(300 + seed)
    n_t = [5, 10, 20, 40, 80, 150, 30, 60][seed]
    g, edges, _ = random_graph(rng, n_t, density=0.2 if n_t < 50 else 0.05, cyclic=seed % 4 != 0,
                               defect=bool(seed % 2))
    alpha, S, _ = g.as_matrices()
    idx = transient_index(g)
    # rewards with many zeros (cycles among zero-reward vertices included)
    r = rng.uniform(0.2, 3, len(g)) * (rng.random(len(g)) < 0.6)
    r[idx[0]] = 1.0   # at least one positive reward
    h = M.reward_transform(g, r)
    assert h.state_length == g.state_length
    ref = matrix_moments(alpha, S, 4, r[idx])
    assert rel(M.moments(h, 4), ref) < 1e-10
    assert rel(M.moments(g, 4, r), ref) < 1e-10
    # kept vertices keep their states, in order
    kept = [v for v in range(1, len(g)) if not (v in set(idx) and r[v] == 0)]
    assert np.array_equal(h.states()[1:], g.states()[kept])


def test_transform_all_positive_is_rate_scaling():
    rng = np.random.default_rng(1)
    g, edges, _ = random_graph(rng, 20, density=0.2)
    r = rng.uniform(0.5, 2, len(g))
    h = M.reward_transform(g, r)
    assert len(h) == len(g)
    for v in range(1, len(g)):
        ev = {e.to.index: e.weight for e in g.vertex_at(v).edges()}
        eh = {e.to.index: e.weight for e in h.vertex_at(v).edges()}
        assert ev.keys() == eh.keys()
        for t in ev:
            assert eh[t] == ev[t] / r[v]


def test_transform_kingman_sfs_singletons():
    # T_1 (total length of singleton branches), n = 4: E = 2, Var = 16/9
    g = kingman_graph(4)
    r = g.states()[:, 0].astype(float)
    h = M.reward_transform(g, r)
    assert rel(M.expectation(h), 2.0) < 1e-12
    assert rel(M.variance(h), 16 / 9) < 1e-12
    # zero-reward vertices were removed
    assert len(h) < len(g)


def test_transform_keeps_parameterisation():
    g = Graph(1)
    a, b, d = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge_parameterized(b, 0.5, [1.0, 0.0])
    b.add_edge_parameterized(d, 0.0, [0.0, 2.0])
    b.add_edge(a, 0.3)
    r = np.array([0, 2.0, 0.5, 0])
    h = M.reward_transform(g, r)
    assert h.param_length == 2
    for th in ([0.3, 0.7], [1.5, 0.2]):
        v1, J1 = M.moments_and_gradient(g, th, 3, rewards=r)
        v2, J2 = M.moments_and_gradient(h, th, 3)
        assert rel(v2, v1) < 1e-12
        assert np.allclose(J2, J1, rtol=1e-12, atol=0)


def test_transform_zero_reward_on_parameterised_graph_is_an_error():
    g = Graph(1)
    a, b, d = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge_parameterized(b, 0.5, [1.0])
    b.add_edge(d, 1.0)
    with pytest.raises(ValueError, match=r"positive reward.*state \[1\]"):
        M.reward_transform(g, [0, 0, 1, 0])


def test_transform_errors():
    g = kingman_graph(3)
    with pytest.raises(ValueError, match="shape"):
        M.reward_transform(g, [1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        M.reward_transform(g, -np.ones(len(g)))
    with pytest.raises(ValueError, match="integer"):
        M.reward_transform(g, np.full(len(g), 0.5), discrete=True)
    # a zero-reward cycle without exit
    h = Graph(1)
    a, b, c, d = (h.find_or_create_vertex([i]) for i in (1, 2, 3, 4))
    h.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 1.0)
    a.add_edge(d, 1.0)
    b.add_edge(c, 1.0)
    c.add_edge(b, 1.0)
    with pytest.raises(ValueError, match="cannot reach an absorbing vertex"):
        M.reward_transform(h, [0, 1, 0, 0, 0])


@pytest.mark.parametrize("seed", range(6))
def test_discrete_transform_random(seed):
    rng = np.random.default_rng(600 + seed)
    n_t = [4, 6, 10, 15, 30, 60][seed]
    edges = random_edges(rng, n_t, n_abs=2, density=0.3 if n_t < 20 else 0.08, cyclic=True, discrete=True,
                         defect=bool(seed % 2))
    g = build(n_t + 3, edges)
    idx = transient_index(g)
    r = rng.integers(0, 4, len(g)).astype(float)
    r[idx[0]] = 2.0
    h = M.reward_transform(g, r, discrete=True)
    assert h.state_length == 2
    ref = M.moments(g, 3, r, discrete=True)
    assert rel(M.moments(h, 3, discrete=True), ref) < 1e-10
    if n_t <= 10:
        alpha, S, _ = g.as_matrices()
        brute = dph_brute_moments(alpha, np.eye(len(alpha)) + S, r[idx], 3)
        assert rel(M.moments(h, 3, discrete=True), brute) < 1e-10
    # chain vertices: trailing counter 1..k-1 after each kept vertex
    st = h.states()
    for v in idx:
        if r[v] >= 2:
            base = g.vertex_at(v).state.tolist()
            for j in range(int(r[v])):
                assert h.find_vertex(base + [j]) is not None


def test_discrete_transform_geometric():
    # tau geometric(0.3), reward 3 per step: Y = 3 tau, E = 10, Var = 9 * 7.777...
    g = Graph(1)
    v, a = g.find_or_create_vertex([1]), g.find_or_create_vertex([2])
    g.starting_vertex().add_edge(v, 1.0)
    v.add_edge(a, 0.3)
    h = M.reward_transform(g, [0, 3, 0], discrete=True)
    assert len(h) == 5
    assert rel(M.expectation(h, discrete=True), 10.0) < 1e-12
    assert rel(M.variance(h, discrete=True), 9 * 0.7 / 0.09) < 1e-12


def test_discrete_transform_parameterised():
    g = Graph(1)
    v, a = g.find_or_create_vertex([1]), g.find_or_create_vertex([2])
    g.starting_vertex().add_edge(v, 1.0)
    v.add_edge_parameterized(a, 0.1, [0.5])
    h = M.reward_transform(g, [0, 2, 0], discrete=True)
    assert h.param_length == 1
    for t in (0.2, 0.8):
        p = 0.1 + 0.5 * t
        vals, J = M.moments_and_gradient(h, [t], 1, discrete=True)
        assert rel(vals[0], 2 / p) < 1e-12
        assert rel(J[0, 0], -2 * 0.5 / p ** 2) < 1e-12
