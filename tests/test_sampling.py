"""Sampling against closed-form means and variances (within 4 standard errors)."""
import numpy as np
import pytest

from ptdalgorithms import Graph
from ptdalgorithms.examples.coalescent import kingman_graph

N = 200_000


def within(samples, mean, var, z=4.0):
    m, v = samples.mean(), samples.var(ddof=1)
    n = samples.size
    se_mean = np.sqrt(var / n)
    # standard error of the sample variance, from the fourth central moment estimate
    m4 = np.mean((samples - m) ** 4)
    se_var = np.sqrt(max(m4 - v**2, 1e-300) / n)
    assert abs(m - mean) < z * se_mean, (m, mean, se_mean)
    assert abs(v - var) < z * se_var, (v, var, se_var)


def chain(rates, state_length=1):
    g = Graph(state_length)
    vs = [g.find_or_create_vertex([k + 1]) for k in range(len(rates))]
    z = g.find_or_create_vertex([0])
    g.starting_vertex().add_edge(vs[0], 1.0)
    for k, r in enumerate(rates):
        vs[k].add_edge(vs[k + 1] if k + 1 < len(rates) else z, r)
    return g


def test_exponential():
    within(chain([2.5]).sample(N, seed=1), 1 / 2.5, 1 / 2.5**2)


def test_erlang():
    within(chain([2.0, 2.0, 2.0]).sample(N, seed=2), 1.5, 0.75)


def test_hyperexponential():
    g = Graph.from_matrices([0.4, 0.6], [[-1.0, 0.0], [0.0, -5.0]])
    mean = 0.4 / 1 + 0.6 / 5
    second = 2 * (0.4 / 1 + 0.6 / 25)
    within(g.sample(N, seed=3), mean, second - mean**2)


def test_kingman_tmrca():
    n = 5
    g = kingman_graph(n)
    var = sum((2 / (k * (k - 1))) ** 2 for k in range(2, n + 1))
    within(g.sample(N, seed=4), 2 * (1 - 1 / n), var)


def test_kingman_total_branch_length_reward():
    n = 5
    g = kingman_graph(n)
    rewards = g.states().sum(axis=1).astype(float)  # number of lineages
    s = g.sample(N, rewards=rewards, seed=5)
    mean = 2 * sum(1 / i for i in range(1, n))
    var = 4 * sum(1 / i**2 for i in range(1, n))
    within(s, mean, var)


def test_reward_matrix_sfs():
    n = 4
    g = kingman_graph(n)
    R = g.states().astype(float)  # column i: number of lineages subtending i+1 genes
    s = g.sample(N, rewards=R, seed=6)
    assert s.shape == (N, n)
    for i in range(1, n):
        se = s[:, i - 1].std() / np.sqrt(N)
        assert abs(s[:, i - 1].mean() - 2 / i) < 4 * se
    assert np.all(s[:, n - 1] == 0)
    # Cov(T1, T2) = -2/9 for n = 4
    c = np.cov(s[:, 0], s[:, 1])[0, 1]
    assert abs(c - (-2 / 9)) < 0.02


def test_zero_reward_gives_zero_and_scaling():
    g = chain([1.0, 3.0])
    r = np.array([0.0, 2.0, 0.0, 0.0])
    s = g.sample(N, rewards=r, seed=7)
    within(s, 2.0, 4.0)
    t1 = g.sample(1000, seed=8)
    t2 = g.sample(1000, rewards=np.array([0, 3.0, 3.0, 0]), seed=8)
    np.testing.assert_allclose(t2, 3 * t1, rtol=1e-12)


def test_same_seed_same_samples():
    g = kingman_graph(6)
    np.testing.assert_array_equal(g.sample(100, seed=42), g.sample(100, seed=42))
    assert not np.array_equal(g.sample(100, seed=42), g.sample(100, seed=43))


def test_discrete_geometric():
    p = 0.3
    g = Graph(1)
    v, z = g.find_or_create_vertex([1]), g.find_or_create_vertex([0])
    g.starting_vertex().add_edge(v, 1.0)
    v.add_edge(z, p)
    s = g.sample(N, discrete=True, seed=9)
    assert np.all(s == np.round(s)) and s.min() == 1
    within(s, 1 / p, (1 - p) / p**2)


def test_discrete_two_steps_with_rewards():
    g = Graph(1)
    a, b, z = (g.find_or_create_vertex([k]) for k in (1, 2, 0))
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 0.5)
    b.add_edge(z, 0.25)
    s = g.sample(N, rewards=np.array([0, 1.0, 10.0, 0]), discrete=True, seed=10)
    # steps in a ~ Geom(0.5) (mean 2, var 2), in b ~ Geom(0.25) (mean 4, var 12)
    within(s, 2 + 40, 2 + 100 * 12)


def test_sampling_errors():
    g = chain([1.0])
    with pytest.raises(ValueError, match="rewards must have shape"):
        g.sample(10, rewards=[1.0])
    with pytest.raises(ValueError, match="non-negative"):
        g.sample(10, rewards=[0, -1.0, 0])
    with pytest.raises(ValueError, match="finite"):
        g.sample(10, rewards=[0, np.nan, 0])
    with pytest.raises(ValueError, match="n must be"):
        g.sample(-1)
    with pytest.raises(ValueError, match="seed"):
        g.sample(1, seed=-3)
    d = chain([1.5])
    with pytest.raises(ValueError, match="sum to"):
        d.sample(1, discrete=True)


def test_overflowing_holding_time_raises():
    g = chain([1e-308])
    with pytest.raises(ValueError, match=r"state \[1\].*overflows"):
        g.sample(10, seed=1)
