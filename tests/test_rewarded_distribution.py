"""Distribution of an accumulated reward: Graph.pdf/cdf/pmf with rewards= against independent references."""
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.linalg import expm

from ptdalgorithms import Graph
from ptdalgorithms.examples.coalescent import kingman_graph


def cyclic_graph():
    g = Graph(1)
    a, b, c, z = (g.find_or_create_vertex([k]) for k in (1, 2, 3, 0))
    g.starting_vertex().add_edge(a, 0.7)
    g.starting_vertex().add_edge(c, 0.3)
    a.add_edge(b, 2.0)
    a.add_edge(z, 0.5)
    b.add_edge(c, 1.5)
    b.add_edge(a, 1.0)
    c.add_edge(a, 0.25)
    c.add_edge(z, 3.0)
    return g


def test_positive_rewards_match_rescaled_matrix_exponential():
    g = cyclic_graph()
    r = np.array([0.0, 2.0, 0.5, 4.0, 0.0])
    alpha, S, _ = g.as_matrices()
    Sr = S / r[1:4, None]  # Y's sub-intensity: rates of vertex v divided by r(v)
    s = -Sr.sum(axis=1)
    for t in (0.1, 0.7, 2.0, 5.0):
        E = expm(Sr * t)
        assert abs(g.pdf(t, rewards=r) - alpha @ E @ s) < 1e-12
        assert abs(g.cdf(t, rewards=r) - (1 - alpha @ E @ np.ones(3))) < 1e-12


def test_zero_reward_pdf_equals_transform_and_integrates_to_cdf():
    g = kingman_graph(4)
    r = g.states()[:, 0].astype(float)  # singleton branches: T_1, zero on the last state
    t = np.linspace(0.0, 6.0, 13)
    h = g.reward_transform(r)
    np.testing.assert_array_equal(g.pdf(t, rewards=r), h.pdf(t))
    F0 = g.cdf(0.0, rewards=r)
    for x in (0.5, 2.0, 5.0):
        integral, _ = quad(lambda u: g.pdf(u, rewards=r), 0.0, x, epsabs=1e-13, epsrel=1e-12)
        assert abs(F0 + integral - g.cdf(x, rewards=r)) < 1e-9
    # mean of T_1 is 2 for every n: the density's first moment agrees
    m, _ = quad(lambda u: u * g.pdf(u, rewards=r), 0.0, 80.0, epsabs=1e-12, limit=200)
    assert abs(m - 2.0) < 1e-8


def test_discrete_rewards_pmf_matches_brute_force():
    # geometric jump chain with reward 2 per step: Y = 2 * tau takes only even values
    g = Graph(1)
    a, z = g.find_or_create_vertex([1]), g.find_or_create_vertex([0])
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(z, 0.3)
    r = np.array([0, 2, 0])
    k = np.arange(0, 12)
    expected = np.where((k > 0) & (k % 2 == 0), 0.3 * 0.7 ** (k / 2 - 1), 0.0)
    np.testing.assert_allclose(g.pmf(k, rewards=r), expected, atol=1e-14)
    np.testing.assert_allclose(g.cdf(k, discrete=True, rewards=r), np.cumsum(expected), atol=1e-14)


def test_bad_rewards_raise():
    g = cyclic_graph()
    with pytest.raises(ValueError, match="rewards"):
        g.pdf(1.0, rewards=[1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative|negative"):
        g.cdf(1.0, rewards=[0, -1.0, 1, 1, 0])
