"""Continuous distribution functions by uniformisation, against closed forms and scipy.linalg.expm."""
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

from ptdalgorithms import Graph
from ptdalgorithms import _distribution as D
from ptdalgorithms.examples.coalescent import kingman_graph

from _dense import full_generator


# ------------------------------------------------------------------------------ model builders

def erlang(k, rate):
    g = Graph(1)
    vs = [g.find_or_create_vertex([i]) for i in range(1, k + 2)]
    g.starting_vertex().add_edge(vs[0], 1.0)
    for a, b in zip(vs[:-1], vs[1:]):
        a.add_edge(b, rate)
    return g


def hyperexponential(alpha, rates):
    g = Graph(1)
    absorb = g.find_or_create_vertex([0])
    for i, (a, r) in enumerate(zip(alpha, rates)):
        v = g.find_or_create_vertex([i + 1])
        g.starting_vertex().add_edge(v, a)
        v.add_edge(absorb, r)
    return g


def random_graph(rng, n_t, n_abs=2, density=0.15, defect=True, rate_range=(0.2, 3.0), chain_rate=0.05):
    """Random cyclic graph: n_t transient states, n_abs absorbing states, optional defect."""
    g = Graph(1)
    tr = [g.find_or_create_vertex([i + 1]) for i in range(n_t)]
    ab = [g.find_or_create_vertex([-(i + 1)]) for i in range(n_abs)]
    lo, hi = np.log(rate_range[0]), np.log(rate_range[1])
    start = g.starting_vertex()
    for i in rng.choice(n_t, size=min(n_t, 3), replace=False):
        start.add_edge(tr[i], rng.uniform(0.2, 1.0))
    if defect:
        start.add_edge(ab[0], 0.15)
    for i, v in enumerate(tr):
        targets = set(rng.choice(n_t, size=max(1, int(density * n_t)), replace=True)) - {i}
        for j in targets:
            v.add_edge(tr[j], float(np.exp(rng.uniform(lo, hi))))
        if rng.uniform() < 0.3 or not targets:
            v.add_edge(ab[rng.integers(n_abs)], float(np.exp(rng.uniform(lo, hi))))
    # make sure absorption is reachable from everywhere: a chain to absorption
    for i in range(n_t):
        if rng.uniform() < 0.2:
            tr[i].add_edge(ab[-1], float(np.exp(rng.uniform(lo, hi))))
    tr[-1].add_edge(ab[-1], 1.0)
    for i in range(n_t - 1):
        tr[i].add_edge(tr[i + 1], chain_rate)
    return g


def expm_reference(g, times):
    """pdf, cdf and stop probabilities from scipy.linalg.expm on the matrix form.

    Sorted times are reached by increments, p(t_i) = p(t_{i-1}) expm(Q (t_i - t_{i-1})), with one
    expm per distinct increment (equally spaced times need one)."""
    alpha, S, _ = g.as_matrices()
    s = -S.sum(axis=1)
    p0, Q = full_generator(g)
    order = np.argsort(times, kind="stable")
    cache = {}

    def E(M, dt):
        key = (id(M), round(float(dt), 12))
        if key not in cache:
            cache[key] = scipy.linalg.expm(M * dt)
        return cache[key]

    a, p, prev = alpha.copy(), p0.copy(), 0.0
    pdf, cdf, stop = np.empty(len(times)), np.empty(len(times)), np.empty((len(times), len(p0) + 1))
    for i in order:
        t = times[i]
        if t > prev:
            a, p, prev = a @ E(S, t - prev), p @ E(Q, t - prev), t
        pdf[i] = a @ s
        cdf[i] = 1 - a.sum()
        stop[i] = np.concatenate([[0.0], p])
    return pdf, cdf, stop


# ------------------------------------------------------------------------------ reference values

def test_erlang_reference_values():
    g = erlang(3, 2.0)
    assert abs(D.pdf(g, 1.5) - 0.4480836) < 1e-7
    assert abs(D.cdf(g, 1.5) - 0.5768099) < 1e-7
    t = np.linspace(0, 8, 33)
    f = 2 ** 3 * t ** 2 * np.exp(-2 * t) / 2
    F = 1 - np.exp(-2 * t) * (1 + 2 * t + (2 * t) ** 2 / 2)
    np.testing.assert_allclose(D.pdf(g, t), f, rtol=0, atol=1e-12)
    np.testing.assert_allclose(D.cdf(g, t), F, rtol=0, atol=1e-12)


def test_hyperexponential_reference_values():
    g = hyperexponential([0.4, 0.6], [1.0, 5.0])
    assert abs(D.pdf(g, 0.7) - 0.2892263) < 1e-7
    t = np.linspace(0, 10, 41)
    f = 0.4 * np.exp(-t) + 0.6 * 5 * np.exp(-5 * t)
    np.testing.assert_allclose(D.pdf(g, t), f, rtol=0, atol=1e-12)
    np.testing.assert_allclose(D.cdf(g, t), 1 - 0.4 * np.exp(-t) - 0.6 * np.exp(-5 * t), atol=1e-12)


def test_kingman_reference_values():
    g3, g4 = kingman_graph(3), kingman_graph(4)
    assert abs(D.pdf(g3, 1.0) - 1.5 * (np.exp(-1) - np.exp(-3))) < 1e-12
    assert abs(D.pdf(g3, 1.0) - 0.4771386) < 1e-7
    assert abs(D.cdf(g3, 1.0) - 0.4730744) < 1e-7
    assert abs(D.cdf(g4, 1.0) - 0.3871083) < 1e-7
    assert abs(D.pdf(g4, 1.0) - 0.5157963) < 1e-7
    # exact closed forms for n = 3 (rates 3 then 1): hypoexponential
    t = np.linspace(0, 10, 21)
    F3 = 1 - (3 * np.exp(-t) - np.exp(-3 * t)) / 2
    np.testing.assert_allclose(D.cdf(g3, t), F3, atol=1e-12)


def test_return_shapes_follow_t():
    g = erlang(2, 1.0)
    assert isinstance(D.pdf(g, 1.0), float)
    assert D.pdf(g, [[0.5, 1.0], [1.5, 2.0]]).shape == (2, 2)
    np.testing.assert_allclose(D.pdf(g, [[0.5, 1.0]])[0], [0.5 * np.exp(-0.5), np.exp(-1)], atol=1e-13)
    assert D.stop_probability(g, 1.0).shape == (len(g),)
    assert D.stop_probability(g, [1.0, 2.0, 3.0]).shape == (3, len(g))
    assert D.pdf(g, np.array([])).shape == (0,)


def test_time_zero_and_defect():
    g = random_graph(np.random.default_rng(3), 12, defect=True)
    alpha, S, _ = g.as_matrices()
    defect = 1 - alpha.sum()
    assert defect > 0.01
    assert abs(D.cdf(g, 0.0) - defect) < 1e-15
    assert abs(D.pdf(g, 0.0) - alpha @ (-S.sum(axis=1))) < 1e-13
    assert abs(D.sf(g, 0.0) - alpha.sum()) < 1e-15


# ------------------------------------------------------------------------------ random graphs vs expm

@pytest.mark.parametrize("seed,n_t", [(1, 5), (2, 30), (3, 80), (4, 200)])
def test_random_graphs_against_expm(seed, n_t):
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_t, n_abs=3)
    alpha, S, _ = g.as_matrices()
    mean = alpha @ np.linalg.solve(-S, np.ones(len(alpha)))
    times = np.linspace(0, 5 * mean, 50)
    pdf, cdf, stop = expm_reference(g, times)
    np.testing.assert_allclose(D.pdf(g, times), pdf, rtol=0, atol=1e-10)
    np.testing.assert_allclose(D.cdf(g, times), cdf, rtol=0, atol=1e-10)
    np.testing.assert_allclose(D.sf(g, times), 1 - cdf, rtol=0, atol=1e-10)
    st = D.stop_probability(g, times)
    np.testing.assert_allclose(st, stop, rtol=0, atol=1e-10)
    # rows sum to one; absorbing columns sum to the cdf
    np.testing.assert_allclose(st.sum(axis=1), 1, atol=1e-10)
    absorbing = [v.index for v in g.vertices()[1:] if not v.edges()]
    assert len(absorbing) >= 2
    np.testing.assert_allclose(st[:, absorbing].sum(axis=1), cdf, atol=1e-10)


def test_unsorted_and_repeated_times_equal_single_evaluations():
    g = random_graph(np.random.default_rng(11), 25)
    times = np.array([3.0, 0.1, 7.5, 0.1, 0.0, 2.2, 40.0])
    batch = D.pdf(g, times)
    single = np.array([D.pdf(g, t) for t in times])
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-14)
    pdf, _, _ = expm_reference(g, times)
    np.testing.assert_allclose(batch, pdf, atol=1e-10)


def test_integrated_pdf_equals_cdf():
    g = random_graph(np.random.default_rng(5), 15)
    defect = D.cdf(g, 0.0)
    for t in [0.3, 1.7, 4.0]:
        integral, err = scipy.integrate.quad(lambda s: D.pdf(g, s), 0, t, epsabs=1e-13, epsrel=1e-13,
                                             limit=200)
        assert abs(defect + integral - D.cdf(g, t)) < 1e-10


def test_accumulated_visiting_time_against_augmented_expm():
    g = random_graph(np.random.default_rng(8), 20, n_abs=2)
    p0, Q = full_generator(g)
    k = Q.shape[0]
    times = np.array([0.0, 0.4, 2.5, 9.0, 60.0])
    vis = D.accumulated_visiting_time(g, times)
    for t, row in zip(times, vis):
        # integral_0^t e^{Qs} ds = top-right block of expm([[Q, I], [0, 0]] t)
        A = np.zeros((2 * k, 2 * k))
        A[:k, :k] = Q
        A[:k, k:] = np.eye(k)
        ref = p0 @ scipy.linalg.expm(A * t)[:k, k:]
        np.testing.assert_allclose(row[1:], ref, rtol=1e-10, atol=1e-10 * max(t, 1))
        assert row[0] == 0
        assert abs(row.sum() - t) < 1e-9 * max(t, 1)
    # long run: transient columns equal expected time in each state, alpha (-S)^{-1}
    alpha, S, states = g.as_matrices()
    occ = alpha @ np.linalg.inv(-S)
    idx = [g.find_vertex(s).index for s in states]
    far = D.accumulated_visiting_time(g, 1e4)
    np.testing.assert_allclose(far[idx], occ, rtol=1e-9, atol=1e-11)
    assert abs(far.sum() - 1e4) < 1e-7
    # after the early stop, absorbing columns hold the absorption probabilities (defect included)
    p0, Q = full_generator(g)
    absorbing = [v.index for v in g.vertices()[1:] if not v.edges()]
    B = np.linalg.solve(-S, Q[np.ix_([i - 1 for i in idx], [a - 1 for a in absorbing])])
    ref = alpha @ B + p0[[a - 1 for a in absorbing]]
    np.testing.assert_allclose(D.stop_probability(g, 1e4)[absorbing], ref, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------ stiff models

def stiff_graph(rng, n_t=12):
    """Edge rates log-uniform in [1e-3, 1e3]; one state is slow (total rate 1e-3)."""
    g = random_graph(rng, n_t, n_abs=2, density=0.3, rate_range=(1e-3, 1e3), chain_rate=1e-3)
    slow = g.find_or_create_vertex([n_t + 1])
    g.find_vertex([1]).add_edge(slow, 1.0)
    slow.add_edge(g.find_vertex([-1]), 1e-3)
    return g


def test_stiff_against_expm():
    rng = np.random.default_rng(21)
    g = stiff_graph(rng)
    alpha, S, _ = g.as_matrices()
    rates = -np.diag(S)
    assert rates.max() / rates.min() > 1e3
    mean = alpha @ np.linalg.solve(-S, np.ones(len(alpha)))
    times = np.linspace(0, 5 * mean, 31)
    pdf, cdf, stop = expm_reference(g, times)
    np.testing.assert_allclose(D.pdf(g, times), pdf, rtol=0, atol=1e-9)
    np.testing.assert_allclose(D.cdf(g, times), cdf, rtol=0, atol=1e-9)
    np.testing.assert_allclose(D.stop_probability(g, times), stop, rtol=0, atol=1e-9)


def test_stiff_far_tail_finishes_and_is_right():
    """Times up to 1e3 E[T]: the sweep stops once the transient mass is negligible."""
    g = stiff_graph(np.random.default_rng(22), n_t=8)
    alpha, S, _ = g.as_matrices()
    mean = alpha @ np.linalg.solve(-S, np.ones(len(alpha)))
    times = mean * np.array([0.5, 1, 10, 100, 1000])
    pdf, cdf, _ = expm_reference(g, times)
    np.testing.assert_allclose(D.pdf(g, times), pdf, rtol=0, atol=1e-9)
    np.testing.assert_allclose(D.cdf(g, times), cdf, rtol=0, atol=1e-9)


# ------------------------------------------------------------------------------ errors

@pytest.mark.parametrize("bad,fragment", [(-1.0, "non-negative"), (np.nan, "non-negative"),
                                          (np.inf, "finite"), ([0.5, -0.1], "index 1")])
def test_invalid_times(bad, fragment):
    g = erlang(2, 1.0)
    for fn in (D.pdf, D.cdf, D.sf, D.stop_probability, D.accumulated_visiting_time):
        with pytest.raises(ValueError, match=fragment):
            fn(g, bad)


def test_invalid_tol_and_start():
    g = erlang(2, 1.0)
    with pytest.raises(ValueError, match="tol"):
        D.pdf(g, 1.0, tol=0.0)
    h = Graph(1)
    h.find_or_create_vertex([1])
    with pytest.raises(ValueError, match="starting vertex"):
        D.pdf(h, 1.0)


def test_zero_rate_vertex_is_named():
    g = Graph(1)
    a = g.find_or_create_vertex([7])
    b = g.find_or_create_vertex([8])
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 0.0)
    with pytest.raises(ValueError, match=r"\[7\].*zero total weight"):
        D.cdf(g, 1.0)


def test_trapped_mass_is_allowed():
    """A closed class that never absorbs: F(infinity) < 1, matching expm."""
    g = Graph(1)
    a, b, c, d = (g.find_or_create_vertex([i]) for i in (1, 2, 3, 4))
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 1.0)
    a.add_edge(d, 2.0)
    b.add_edge(c, 1.0)
    c.add_edge(b, 3.0)
    times = np.array([0.5, 2.0, 20.0])
    pdf, cdf, _ = expm_reference(g, times)
    np.testing.assert_allclose(D.cdf(g, times), cdf, atol=1e-12)
    np.testing.assert_allclose(D.pdf(g, times), pdf, atol=1e-12)
    assert abs(D.cdf(g, 20.0) - 2 / 3) < 1e-9
