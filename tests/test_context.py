"""DistributionContext: step-by-step evolution for time-inhomogeneous (piecewise-constant) models."""
import numpy as np
import pytest
import scipy.linalg

from ptdalgorithms import Graph
from ptdalgorithms import _distribution as D

from _dense import full_generator


def epoch_graph():
    """Three transient states in a cycle with parameterised rates (theta scales all rates) and two
    absorbing states; a defect of 0.1."""
    g = Graph(1)
    a, b, c = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
    x, y = g.find_or_create_vertex([8]), g.find_or_create_vertex([9])
    s = g.starting_vertex()
    s.add_edge(a, 0.6)
    s.add_edge(b, 0.3)
    s.add_edge(x, 0.1)
    a.add_edge_parameterized(b, 0.5, [1.0, 0.0])
    a.add_edge_parameterized(x, 0.0, [0.0, 0.7])
    b.add_edge_parameterized(c, 0.2, [2.0, 0.0])
    b.add_edge_parameterized(a, 0.1, [0.0, 0.3])
    c.add_edge_parameterized(a, 0.3, [0.0, 1.5])
    c.add_edge_parameterized(y, 0.1, [0.5, 0.0])
    return g


def test_two_epochs_against_expm():
    g = epoch_graph()
    th1, th2, t1 = np.array([1.0, 0.5]), np.array([0.2, 3.0]), 0.8
    g.update_parameterized_weights(th1)
    p0, Q1 = full_generator(g)
    g.update_parameterized_weights(th2)
    _, Q2 = full_generator(g)
    absorbing = [v.index for v in g.vertices()[1:] if not v.edges()]
    transient = [v.index for v in g.vertices()[1:] if v.edges()]

    g.update_parameterized_weights(th1)
    ctx = D.distribution_context(g)
    np.testing.assert_allclose(ctx.stop_probabilities, np.concatenate([[0], p0]), atol=1e-15)
    assert abs(ctx.cdf - 0.1) < 1e-15
    ctx.step(t1)
    ctx.update_parameterized_weights(th2)
    times = t1 + np.array([0.0, 0.1, 0.35, 1.0, 2.5, 7.0])
    prev = t1
    for t in times:
        ctx.step(t - prev)
        prev = t
        p = p0 @ scipy.linalg.expm(Q1 * t1) @ scipy.linalg.expm(Q2 * (t - t1))
        ref = np.concatenate([[0.0], p])
        assert abs(ctx.time - t) < 1e-14
        np.testing.assert_allclose(ctx.stop_probabilities, ref, rtol=0, atol=1e-11)
        assert abs(ctx.cdf - ref[absorbing].sum()) < 1e-11
        # density with the current (epoch-2) rates: p(t) . s2
        s2 = Q2[:, [i - 1 for i in absorbing]].sum(axis=1)  # exit rates into absorbing states
        assert abs(ctx.pdf - p @ s2) < 1e-11
        assert abs(ctx.sf - ref[transient].sum()) < 1e-11


def test_accumulated_visiting_time_over_epochs():
    g = epoch_graph()
    th1, th2, t1, t = np.array([1.0, 0.5]), np.array([0.2, 3.0]), 0.8, 2.0
    g.update_parameterized_weights(th1)
    p0, Q1 = full_generator(g)
    g.update_parameterized_weights(th2)
    _, Q2 = full_generator(g)
    k = Q1.shape[0]

    def integral(Q, s):
        A = np.zeros((2 * k, 2 * k))
        A[:k, :k], A[:k, k:] = Q, np.eye(k)
        return scipy.linalg.expm(A * s)[:k, k:]

    ref = p0 @ integral(Q1, t1) + p0 @ scipy.linalg.expm(Q1 * t1) @ integral(Q2, t - t1)
    g.update_parameterized_weights(th1)
    ctx = D.distribution_context(g)
    ctx.step(t1)
    g.update_parameterized_weights(th2)  # changes on the graph are picked up as well
    ctx.step(t - t1)
    np.testing.assert_allclose(ctx.accumulated_visiting_time[1:], ref, rtol=0, atol=1e-11)


def test_constant_weights_match_the_direct_functions():
    g = epoch_graph()
    g.update_parameterized_weights([0.7, 1.1])
    ctx = D.distribution_context(g)
    ts = np.array([0.3, 0.9, 2.0, 5.0])
    prev = 0.0
    for t in ts:
        ctx.step(t - prev)
        prev = t
        assert abs(ctx.pdf - D.pdf(g, t)) < 1e-11
        assert abs(ctx.cdf - D.cdf(g, t)) < 1e-11
        np.testing.assert_allclose(ctx.stop_probabilities, D.stop_probability(g, t), atol=1e-11)


def test_discrete_context_against_matrix_powers():
    g = Graph(1)
    a, b, c = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge_parameterized(b, 0.1, [0.5])
    b.add_edge_parameterized(a, 0.05, [0.2])
    b.add_edge_parameterized(c, 0.1, [0.3])
    g.update_parameterized_weights([0.4])
    T1 = np.array([[1 - 0.3, 0.3, 0.0], [0.13, 1 - 0.13 - 0.22, 0.22], [0, 0, 1]])
    g.update_parameterized_weights([1.2])
    T2 = np.array([[1 - 0.7, 0.7, 0.0], [0.29, 1 - 0.29 - 0.46, 0.46], [0, 0, 1]])
    g.update_parameterized_weights([0.4])
    ctx = D.distribution_context(g, discrete=True)
    assert ctx.pdf == 0.0 and ctx.time == 0
    p = np.array([1.0, 0.0, 0.0])
    for k in range(1, 30):
        if k == 6:
            ctx.update_parameterized_weights([1.2])
        T = T1 if k < 6 else T2
        pmf = p[:2] @ T[:2, 2]
        p = p @ T
        ctx.step()
        assert ctx.time == k
        assert abs(ctx.pdf - pmf) < 1e-15
        assert abs(ctx.cdf - p[2]) < 1e-15
        np.testing.assert_allclose(ctx.stop_probabilities[1:], p, atol=1e-15)


def test_structural_change_is_an_error():
    g = epoch_graph()
    ctx = D.distribution_context(g)
    ctx.step(0.5)
    g.find_or_create_vertex([42])
    with pytest.raises(ValueError, match="structure changed"):
        ctx.step(0.5)
    with pytest.raises(ValueError, match="structure changed"):
        ctx.update_parameterized_weights([1.0, 1.0])


def test_step_argument_errors():
    g = epoch_graph()
    ctx = D.distribution_context(g)
    with pytest.raises(ValueError, match="non-negative"):
        ctx.step(-1.0)
    with pytest.raises(ValueError, match="needs a time step"):
        ctx.step()
    dctx = D.distribution_context(epoch_graph(), discrete=False)
    with pytest.raises(ValueError, match="non-negative"):
        dctx.step(float("nan"))
