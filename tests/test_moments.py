"""Moments, covariances and DPH moments from the elimination program against closed forms (DESIGN §8)
and dense-matrix formulas on random graphs."""
import math

import numpy as np
import pytest

from ptdalgorithms import Graph
from ptdalgorithms import _moments as M
from ptdalgorithms.examples.coalescent import kingman_graph

from _graphs_moments import (build, dph_brute_moments, dph_matrix_moments, matrix_cross, matrix_moments,
                             random_edges, random_graph, transient_index)


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def relv(a, b):
    """Norm-wise relative error of a vector (entries that are exactly 0 in theory may be ~1e-17)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ------------------------------------------------------------------ DESIGN §8 reference values

def chain_graph():
    g = Graph(1)
    v1, v2, ab = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
    g.starting_vertex().add_edge(v1, 1.0)
    v1.add_edge(v2, 4.0)
    v2.add_edge(ab, 10.0)
    return g


def test_chain_values():
    g = chain_graph()
    w = M.expected_waiting_time(g)
    assert rel(w[:3], [0.35, 0.35, 0.1]) < 1e-12 and w[3] == 0
    assert rel(M.moments(g, 3), [0.35, 0.195, 0.15225]) < 1e-12
    assert rel(M.variance(g), 0.0725) < 1e-12
    r = [0, 2, 1, 0]
    assert rel(M.expectation(g, r), 0.6) < 1e-12
    assert rel(M.moments(g, 2, r), [0.6, 0.62]) < 1e-12
    assert rel(M.variance(g, r), 0.26) < 1e-12
    assert rel(M.covariance(g, r, [0, 5, 2, 0]), 0.645) < 1e-12


def test_rewards_on_start_and_absorbing_ignored():
    g = chain_graph()
    assert rel(M.moments(g, 2, [7, 2, 1, 9]), [0.6, 0.62]) < 1e-12


def fig3_graph():
    g = Graph(1)
    A, B, C, D = (g.find_or_create_vertex([i]) for i in (1, 2, 3, 4))
    g.starting_vertex().add_edge(A, 1.0)
    A.add_edge(B, 0.6)
    A.add_edge(D, 0.4)
    B.add_edge(C, 0.5)
    B.add_edge(D, 0.5)
    C.add_edge(A, 1.0)
    return g


@pytest.mark.parametrize("discrete", [False, True])
def test_cyclic_paper_figure3(discrete):
    # rates summing to 1 per vertex: continuous and discrete expectations coincide
    g = fig3_graph()
    w = M.expected_waiting_time(g, [0, 5, 2, 5, 0], discrete=discrete)
    assert rel(w[1:4], [11, 10, 16]) < 1e-12
    assert w[4] == 0 and rel(w[0], 11) < 1e-12


def test_kingman_tmrca_and_total_length():
    for n in (2, 3, 4, 6, 10):
        g = kingman_graph(n)
        e = M.expectation(g)
        v = M.variance(g)
        assert rel(e, 2 * (1 - 1 / n)) < 1e-12
        assert rel(v, sum((2 / (k * (k - 1))) ** 2 for k in range(2, n + 1))) < 1e-12
        S = g.states()
        total = S.sum(axis=1).astype(float)  # number of lineages
        assert rel(M.expectation(g, total), 2 * sum(1 / i for i in range(1, n))) < 1e-12
        assert rel(M.variance(g, total), 4 * sum(1 / i ** 2 for i in range(1, n))) < 1e-12


def test_kingman_sfs():
    n = 4
    g = kingman_graph(n)
    S = g.states().astype(float)
    for i in range(1, n):
        assert rel(M.expectation(g, S[:, i - 1]), 2 / i) < 1e-12
    assert rel(M.variance(g, S[:, 0]), 16 / 9) < 1e-12
    assert rel(M.covariance(g, S[:, 0], S[:, 1]), -2 / 9) < 1e-12
    C = M.covariance_matrix(g, S[:, :3])
    assert rel(C[0, 0], 16 / 9) < 1e-12 and rel(C[0, 1], -2 / 9) < 1e-12 and C[1, 0] == C[0, 1]


def test_kingman_vertex_counts():
    assert len(kingman_graph(20, vectorized=True)) == 628


def test_hyperexponential_and_erlang():
    g = Graph.from_matrices(np.array([0.4, 0.6]), np.diag([-1.0, -5.0]))
    assert rel(M.moments(g, 2), [0.52, 0.848]) < 1e-12
    g = Graph.from_matrices(np.array([1.0, 0, 0]), np.array([[-2.0, 2, 0], [0, -2, 2], [0, 0, -2]]))
    # Erlang(3, 2): E = 3/2, E[T^2] = k(k+1)/lambda^2 = 3, E[T^3] = 3*4*5/8
    assert rel(M.moments(g, 3), [1.5, 3.0, 7.5]) < 1e-12


def test_geometric_dph():
    g = Graph(1)
    v, a = g.find_or_create_vertex([1]), g.find_or_create_vertex([2])
    g.starting_vertex().add_edge(v, 1.0)
    v.add_edge(a, 0.3)
    assert rel(M.expectation(g, discrete=True), 10 / 3) < 1e-12
    assert rel(M.variance(g, discrete=True), 0.7 / 0.09) < 1e-12
    assert abs(M.expectation(g, discrete=True) - 3.3333333) < 1e-7
    assert abs(M.variance(g, discrete=True) - 7.7777778) < 1e-7
    # rewards: Y = 2 tau
    assert rel(M.moments(g, 2, [0, 2, 0], discrete=True), [20 / 3, 4 * (0.7 / 0.09 + 100 / 9)]) < 1e-12


def test_defect():
    g = chain_graph()
    ab = g.find_vertex([3])
    g.starting_vertex().add_edge(ab, 3.0)   # alpha = 1/4 to v1, defect 3/4
    assert rel(M.defect(g), 0.75) < 1e-15
    assert rel(M.moments(g, 3), np.array([0.35, 0.195, 0.15225]) / 4) < 1e-12


def test_normalize_is_jump_chain():
    g = fig3_graph()
    # scale the rates: the jump chain does not change
    h = Graph(1)
    A, B, C, D = (h.find_or_create_vertex([i]) for i in (1, 2, 3, 4))
    h.starting_vertex().add_edge(A, 2.0)
    A.add_edge(B, 6.0)
    A.add_edge(D, 4.0)
    B.add_edge(C, 0.25)
    B.add_edge(D, 0.25)
    C.add_edge(A, 7.0)
    n = M.normalize(h)
    assert np.array_equal(n.states(), h.states())
    assert rel(M.expected_waiting_time(n, [0, 5, 2, 5, 0], discrete=True)[1:4], [11, 10, 16]) < 1e-12
    assert rel(M.moments(n, 3, discrete=True), M.moments(g, 3, discrete=True)) < 1e-12


# ------------------------------------------------------------------ random graphs vs matrix formulas

SIZES = [5, 8, 20, 60, 150, 300]


@pytest.mark.parametrize("cyclic", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_random_moments_and_covariances(seed, cyclic):
    rng = np.random.default_rng(100 + seed + 1000 * cyclic)
    n_t = SIZES[seed % len(SIZES)] if seed < 6 else int(rng.integers(5, 300))
    density = float(rng.choice([0.02, 0.1, 0.3])) if n_t < 100 else float(rng.choice([0.01, 0.03]))
    g, edges, n_t = random_graph(rng, n_t, density=density, cyclic=cyclic, defect=bool(seed % 2))
    alpha, S, _ = g.as_matrices()
    idx = transient_index(g)
    assert rel(M.moments(g, 5), matrix_moments(alpha, S, 5)) < 1e-10
    # rewards with zeros
    r = rng.uniform(0, 3, len(g)) * (rng.random(len(g)) < 0.7)
    assert rel(M.moments(g, 4, r), matrix_moments(alpha, S, 4, r[idx])) < 1e-10
    U = np.linalg.inv(-S)
    ewt = M.expected_waiting_time(g, r)
    assert relv(ewt[idx], U @ r[idx]) < 1e-10
    r2 = rng.uniform(0, 2, len(g))
    R = np.column_stack([r, r2, np.ones(len(g))])
    C = M.covariance_matrix(g, R)
    for a in range(3):
        for b in range(3):
            ea = alpha @ U @ R[idx, a]
            eb = alpha @ U @ R[idx, b]
            ref = matrix_cross(alpha, S, R[idx, a], R[idx, b]) - ea * eb
            scale = math.sqrt(abs(C[a, a] * C[b, b])) if a != b else abs(ref)
            assert abs(C[a, b] - ref) <= 1e-10 * scale
    assert rel(M.covariance(g, r, r2), C[0, 1]) < 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_random_dph_moments(seed):
    rng = np.random.default_rng(500 + seed)
    n_t = [5, 10, 30, 80, 200, 300][seed]
    edges = random_edges(rng, n_t, n_abs=2, density=0.05 if n_t > 50 else 0.2, cyclic=True, discrete=True,
                         defect=bool(seed % 2))
    g = build(n_t + 3, edges)
    alpha, S, _ = g.as_matrices()
    idx = transient_index(g)
    T = np.eye(len(alpha)) + S
    # the builder's own transition matrix agrees with as_matrices
    T2 = np.zeros((n_t + 3, n_t + 3))
    for (u, v), w in edges.items():
        T2[u, v] = w
    assert np.allclose(T2[np.ix_(idx, idx)], T - np.diag(np.diag(T)), rtol=0, atol=1e-15)
    assert rel(M.moments(g, 5, discrete=True), dph_matrix_moments(alpha, T, 5)) < 1e-10
    # unit-reward expectation per vertex
    U = np.linalg.inv(np.eye(len(alpha)) - T)
    assert relv(M.expected_waiting_time(g, discrete=True)[idx], U @ np.ones(len(alpha))) < 1e-10


@pytest.mark.parametrize("seed", range(4))
def test_dph_rewards_brute_force(seed):
    rng = np.random.default_rng(900 + seed)
    n_t = [4, 6, 8, 12][seed]
    edges = random_edges(rng, n_t, n_abs=2, density=0.3, cyclic=True, discrete=True, defect=bool(seed % 2))
    g = build(n_t + 3, edges)
    alpha, S, _ = g.as_matrices()
    T = np.eye(len(alpha)) + S
    idx = transient_index(g)
    r = rng.integers(0, 4, len(g)).astype(float)
    ref = dph_brute_moments(alpha, T, r[idx], 3)
    assert rel(M.moments(g, 3, r, discrete=True), ref) < 1e-10
    # covariance through Var(Y1 + Y2) = Var Y1 + Var Y2 + 2 Cov, variances by brute force
    r2 = rng.integers(1, 3, len(g)).astype(float)
    m1 = dph_brute_moments(alpha, T, r[idx], 2)
    m2 = dph_brute_moments(alpha, T, r2[idx], 2)
    m12 = dph_brute_moments(alpha, T, (r + r2)[idx], 2)
    var = lambda m: m[1] - m[0] ** 2  # noqa: E731
    cov_ref = (var(m12) - var(m1) - var(m2)) / 2
    C = M.covariance_matrix(g, np.column_stack([r, r2]), discrete=True)
    assert var(m2) > 0
    assert abs(C[0, 1] - cov_ref) <= 1e-9 * math.sqrt(var(m12) * var(m2))
    assert abs(C[0, 0] - var(m1)) <= 1e-10 * var(m12)


def test_discrete_unit_rewards_match_tau_formula():
    # E[tau] = alpha (I-T)^-1 e, E[tau(tau-1)] = 2 alpha (I-T)^-2 T e
    rng = np.random.default_rng(7)
    edges = random_edges(rng, 25, n_abs=2, density=0.2, discrete=True)
    g = build(28, edges)
    alpha, S, _ = g.as_matrices()
    T = np.eye(len(alpha)) + S
    U = np.linalg.inv(np.eye(len(alpha)) - T)
    e = np.ones(len(alpha))
    m = M.moments(g, 2, discrete=True)
    assert rel(m[0], alpha @ U @ e) < 1e-12
    assert rel(m[1] - m[0], 2 * alpha @ U @ U @ T @ e) < 1e-10


def test_birth_death_chain_linear_program():
    # a long cyclic chain: program size must grow linearly with its length
    sizes = []
    for L in (200, 400, 800):
        g = Graph(1)
        vs = [g.find_or_create_vertex([i]) for i in range(1, L + 1)]
        ab = g.find_or_create_vertex([0])
        g.starting_vertex().add_edge(vs[L // 2], 1.0)
        for i, v in enumerate(vs):
            if i + 1 < L:
                v.add_edge(vs[i + 1], 1.0)
            if i > 0:
                v.add_edge(vs[i - 1], 1.5)
            v.add_edge(ab, 0.01)
        sz = M._program_size(g)
        sizes.append(sz["register_ops"] + sz["solve_ops"])
        alpha, S, _ = g.as_matrices()
        assert rel(M.moments(g, 2), matrix_moments(alpha, S, 2)) < 1e-10
    assert sizes[2] / sizes[0] < 4.5


def test_nearly_closed_cycle_keeps_digits():
    # 2-cycle with tiny exit: E = (1/eps) scale; GTH keeps full relative accuracy
    for eps in (1e-6, 1e-10, 1e-14):
        g = Graph(1)
        a, b, d = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
        g.starting_vertex().add_edge(a, 1.0)
        a.add_edge(b, 1.0)
        b.add_edge(a, 1.0)
        b.add_edge(d, eps)
        # exact: E from a = (2 + eps) / eps  (time 1 in a, 1/(1+eps) in b per visit; visits (1+eps)/eps)
        assert rel(M.expectation(g), (2 + eps) / eps) < 1e-13


# ------------------------------------------------------------------ errors

def test_error_messages():
    g = chain_graph()
    with pytest.raises(ValueError, match="shape"):
        M.moments(g, 2, [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        M.moments(g, 2, [0, -1, 1, 0])
    with pytest.raises(ValueError, match="finite"):
        M.expectation(g, [0, np.nan, 1, 0])
    with pytest.raises(ValueError, match="at least 1"):
        M.moments(g, 0)
    with pytest.raises(ValueError, match="shape"):
        M.covariance_matrix(g, np.ones((3, 2)))
    # a cycle without exit, reachable from the start
    h = Graph(1)
    a, b, c, d = (h.find_or_create_vertex([i]) for i in (1, 2, 3, 4))
    h.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 1.0)
    a.add_edge(d, 1.0)
    b.add_edge(c, 1.0)
    c.add_edge(b, 2.0)
    with pytest.raises(ValueError, match=r"cannot reach an absorbing vertex"):
        M.expectation(h)
    with pytest.raises(ValueError, match=r"state \[[23]\]"):
        M.expected_waiting_time(h)
    # zero total rate through a parameterised edge
    k = Graph(1)
    a, d = k.find_or_create_vertex([5]), k.find_or_create_vertex([6])
    k.starting_vertex().add_edge(a, 1.0)
    a.add_edge_parameterized(d, 0.0, [1.0])
    with pytest.raises(ValueError, match=r"zero total rate"):
        M.batch_moments(k, np.array([[0.0]]), 1)
    with pytest.raises(ValueError, match=r"\[5\]"):
        M.moments_and_gradient(k, [0.0], 1)
    # discrete with out-probabilities > 1
    q = chain_graph()
    with pytest.raises(ValueError, match="sum to"):
        M.expectation(q, discrete=True)
    # start without edges
    e = Graph(1)
    e.find_or_create_vertex([1])
    with pytest.raises(ValueError, match="starting vertex"):
        M.expectation(e)
