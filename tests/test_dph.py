"""Discrete phase-type (DPH) pmf, cdf and stop probabilities against numpy matrix powers."""
import numpy as np
import pytest

from ptdalgorithms import Graph
from ptdalgorithms import _distribution as D


def random_dph(rng, n_t, n_abs=2, defect=True):
    """Random cyclic DPH: per vertex a few out-probabilities summing to < 1 (rest: self-transition)."""
    g = Graph(1)
    tr = [g.find_or_create_vertex([i + 1]) for i in range(n_t)]
    ab = [g.find_or_create_vertex([-(i + 1)]) for i in range(n_abs)]
    start = g.starting_vertex()
    for i in rng.choice(n_t, size=min(n_t, 3), replace=False):
        start.add_edge(tr[i], rng.uniform(0.2, 1.0))
    if defect:
        start.add_edge(ab[0], 0.1)
    for i, v in enumerate(tr):
        targets = sorted(set(rng.choice(n_t, size=3)) - {i})
        outs = [(tr[j], 1.0) for j in targets] + [(ab[rng.integers(n_abs)], 0.5)]
        total = rng.uniform(0.3, 1.0)  # out-mass; the rest stays
        ws = rng.uniform(0.1, 1.0, len(outs))
        ws *= total / ws.sum()
        for (to, _), w in zip(outs, ws):
            v.add_edge(to, float(w))
    return g


def matrix_reference(g, ks):
    """pmf, cdf and stop probabilities from alpha T^k with numpy, T = I + S (graph's matrix form),
    plus the full transition matrix over all non-start vertices built from the edges."""
    alpha, S, _ = g.as_matrices()
    T = np.eye(len(alpha)) + S
    t = 1 - T.sum(axis=1)
    n = len(g)
    F = np.zeros((n - 1, n - 1))
    for v in g.vertices()[1:]:
        es = v.edges()
        if not es:
            F[v.index - 1, v.index - 1] = 1
            continue
        for e in es:
            F[v.index - 1, e.to.index - 1] += e.weight
        F[v.index - 1, v.index - 1] += 1 - sum(e.weight for e in es)
    p0 = np.zeros(n - 1)
    es = g.starting_vertex().edges()
    for e in es:
        p0[e.to.index - 1] += e.weight / sum(x.weight for x in es)
    # alpha T^k and p0 F^k for k = 0..max(ks) by repeated vector-matrix products
    a_pows, p_pows = [alpha], [p0]
    for _ in range(int(max(ks))):
        a_pows.append(a_pows[-1] @ T)
        p_pows.append(p_pows[-1] @ F)
    pmf, cdf, stop = [], [], []
    for k in ks:
        k = int(k)
        pmf.append(1 - alpha.sum() if k == 0 else a_pows[k - 1] @ t)
        cdf.append(1 - a_pows[k].sum())
        stop.append(np.concatenate([[0.0], p_pows[k]]))
    return np.array(pmf), np.array(cdf), np.array(stop)


def test_geometric():
    g = Graph(1)
    a = g.find_or_create_vertex([1])
    b = g.find_or_create_vertex([2])
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 0.3)
    k = np.arange(0, 60)
    ref = np.where(k >= 1, 0.3 * 0.7 ** (k - 1.0), 0.0)
    np.testing.assert_allclose(D.pmf(g, k), ref, rtol=0, atol=1e-15)
    np.testing.assert_allclose(D.cdf(g, k, discrete=True), 1 - 0.7 ** k, rtol=0, atol=1e-15)
    assert isinstance(D.pmf(g, 3), float)
    # mean from the pmf: 1/p
    kk = np.arange(0, 400)
    assert abs((kk * D.pmf(g, kk)).sum() - 1 / 0.3) < 1e-9


@pytest.mark.parametrize("seed,n_t", [(1, 4), (2, 25), (3, 120)])
def test_random_dph_against_matrix_powers(seed, n_t):
    g = random_dph(np.random.default_rng(seed), n_t)
    ks = np.arange(0, 201)
    pmf, cdf, stop = matrix_reference(g, ks)
    np.testing.assert_allclose(D.pmf(g, ks), pmf, rtol=0, atol=1e-12)
    np.testing.assert_allclose(D.cdf(g, ks, discrete=True), cdf, rtol=0, atol=1e-12)
    np.testing.assert_allclose(D.sf(g, ks, discrete=True), 1 - cdf, rtol=0, atol=1e-12)
    np.testing.assert_allclose(D.stop_probability(g, ks, discrete=True), stop, rtol=0, atol=1e-12)
    # unsorted, repeated counts
    sel = np.array([7, 0, 200, 7, 3])
    np.testing.assert_allclose(D.pmf(g, sel), pmf[sel], rtol=0, atol=1e-12)
    # cdf is the cumulative pmf (defect included at 0)
    np.testing.assert_allclose(np.cumsum(D.pmf(g, ks)), D.cdf(g, ks, discrete=True), atol=1e-12)


def test_pmf_zero_is_defect():
    g = random_dph(np.random.default_rng(9), 6, defect=True)
    alpha, _, _ = g.as_matrices()
    assert abs(D.pmf(g, 0) - (1 - alpha.sum())) < 1e-15
    assert D.pmf(g, 0) > 0.01


def test_probabilities_over_one_are_rejected_naming_the_state():
    g = Graph(2)
    a = g.find_or_create_vertex([4, 2])
    b = g.find_or_create_vertex([0, 1])
    c = g.find_or_create_vertex([0, 2])
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 0.7)
    a.add_edge(c, 0.6)
    with pytest.raises(ValueError, match=r"\[4, 2\].*more than 1"):
        D.pmf(g, 3)
    # as a continuous graph the same weights are rates and fine
    assert D.pdf(g, 1.0) > 0


@pytest.mark.parametrize("bad,fragment", [(1.5, "integer"), (-1, "non-negative"), (np.nan, "non-negative"),
                                          ([1, 2, 2.25], "index 2")])
def test_invalid_jump_counts(bad, fragment):
    g = random_dph(np.random.default_rng(1), 3)
    with pytest.raises(ValueError, match=fragment):
        D.pmf(g, bad)
    with pytest.raises(ValueError, match=fragment):
        D.cdf(g, bad, discrete=True)
    with pytest.raises(ValueError, match=fragment):
        D.stop_probability(g, bad, discrete=True)


def test_large_jump_count_stops_early():
    """Huge k is answered from the early stop (transient mass < tol) without stepping to k."""
    g = random_dph(np.random.default_rng(4), 10)
    assert abs(D.cdf(g, 10 ** 12, discrete=True) - 1) < 1e-12
    assert D.pmf(g, 10 ** 12) == 0.0
