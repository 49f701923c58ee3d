"""Exact theta-gradients of pdf/cdf/pmf (tangent propagation) and the batch evaluator."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ptdalgorithms import Graph
from ptdalgorithms import _distribution as D

P = 3


def random_param_graph(rng, n_t, discrete=False, n_abs=2):
    """Random cyclic graph with parameterised edges (weight = base + coef . theta, coef >= 0), including
    parameterised start edges (alpha depends on theta) and a defect.  For discrete graphs the
    out-probabilities stay below 1 for theta in [0, 2]^P."""
    g = Graph(1)
    tr = [g.find_or_create_vertex([i + 1]) for i in range(n_t)]
    ab = [g.find_or_create_vertex([-(i + 1)]) for i in range(n_abs)]
    start = g.starting_vertex()
    start.add_edge_parameterized(tr[0], 0.5, rng.uniform(0, 1, P))
    start.add_edge(tr[min(1, n_t - 1)], 0.3)
    start.add_edge_parameterized(ab[0], 0.05, [0.0, 0.1, 0.0])
    for i, v in enumerate(tr):
        targets = sorted(set(rng.choice(n_t, size=3)) - {i}) + [i + 1 if i + 1 < n_t else None]
        outs = [tr[j] for j in targets if j is not None] + [ab[rng.integers(n_abs)]]
        outs = list(dict.fromkeys(outs))
        scale = (0.9 / len(outs)) / (1 + 2 * P * 0.5) if discrete else 1.0
        for to in outs:
            coef = rng.uniform(0, 1, P) * (rng.uniform(size=P) < 0.5)
            base = rng.uniform(0.1, 1.0) if not discrete else rng.uniform(0.2, 1.0)
            v.add_edge_parameterized(to, base * scale, coef * scale * (1.0 if discrete else 2.0))
    return g


def values_at(g, theta, fn, t, **kw):
    """Values by updating the graph's weights and calling the plain function (independent path)."""
    g.update_parameterized_weights(theta)
    return fn(g, t, **kw)


def central_difference(g, theta, fn, t, h=1e-5, **kw):
    out = []
    for j in range(len(theta)):
        e = np.zeros(len(theta))
        e[j] = h
        out.append((values_at(g, theta + e, fn, t, **kw) - values_at(g, theta - e, fn, t, **kw)) / (2 * h))
    return np.stack(out, axis=-1)


def assert_grad_close(g_exact, g_fd, rtol=1e-6):
    err = np.abs(g_exact - g_fd)
    scale = np.maximum(np.abs(g_fd), 1e-3)
    assert (err <= rtol * scale).all(), f"max relative error {(err / scale).max():.2e}"


@pytest.mark.parametrize("seed,n_t", [(1, 4), (2, 15), (3, 40)])
def test_pdf_and_cdf_gradients_against_central_differences(seed, n_t):
    rng = np.random.default_rng(seed)
    g = random_param_graph(rng, n_t)
    theta = rng.uniform(0.5, 1.5, P)
    t = np.array([0.0, 0.05, 0.3, 1.0, 2.5, 6.0])
    vals, grads = D.pdf_and_gradient(g, theta, t, tol=1e-15)
    assert grads.shape == (len(t), P)
    np.testing.assert_allclose(vals, values_at(g, theta, D.pdf, t), rtol=0, atol=1e-13)
    assert_grad_close(grads, central_difference(g, theta, D.pdf, t, tol=1e-15))
    cv, cg = D.cdf_and_gradient(g, theta, t, tol=1e-15)
    np.testing.assert_allclose(cv, values_at(g, theta, D.cdf, t), rtol=0, atol=1e-13)
    assert_grad_close(cg, central_difference(g, theta, D.cdf, t, tol=1e-15))
    # the gradient at t = 0 carries the dependence of alpha and of the exit rates on theta
    assert np.abs(grads[0]).max() > 1e-3 and np.abs(cg[0]).max() > 1e-3


def test_pmf_gradients_against_central_differences():
    rng = np.random.default_rng(7)
    g = random_param_graph(rng, 12, discrete=True)
    theta = rng.uniform(0.5, 1.5, P)
    k = np.array([0, 1, 2, 5, 17, 60])
    vals, grads = D.pdf_and_gradient(g, theta, k, discrete=True, tol=1e-15)
    np.testing.assert_allclose(vals, values_at(g, theta, D.pmf, k), rtol=0, atol=1e-14)
    assert_grad_close(grads, central_difference(g, theta, D.pmf, k, tol=1e-15))
    cv, cg = D.cdf_and_gradient(g, theta, k, discrete=True, tol=1e-15)
    assert_grad_close(cg, central_difference(g, theta, D.cdf, k, discrete=True, tol=1e-15))


def test_derivative_of_cdf_in_time_is_pdf():
    g = random_param_graph(np.random.default_rng(4), 10)
    t = np.array([0.2, 0.9, 3.0])
    h = 1e-5
    dF = (D.cdf(g, t + h, tol=1e-15) - D.cdf(g, t - h, tol=1e-15)) / (2 * h)
    np.testing.assert_allclose(dF, D.pdf(g, t), rtol=1e-8, atol=1e-10)


def test_gradient_for_stiff_times_in_the_tail():
    rng = np.random.default_rng(5)
    g = random_param_graph(rng, 8)
    theta = rng.uniform(0.5, 1.5, P)
    t = np.array([15.0, 40.0])
    _, grads = D.pdf_and_gradient(g, theta, t, tol=1e-15)
    fd = central_difference(g, theta, D.pdf, t, tol=1e-15)
    np.testing.assert_allclose(grads, fd, rtol=1e-5, atol=1e-12)


# ------------------------------------------------------------------------------ batch

def test_batch_equals_single_evaluations():
    rng = np.random.default_rng(11)
    g = random_param_graph(rng, 20)
    thetas = rng.uniform(0.3, 2.0, (7, P))
    times = np.array([2.0, 0.0, 0.5, 9.0, 0.5])
    vals, grads = D.batch_pdf(g, thetas, times)
    assert vals.shape == (7, 5) and grads.shape == (7, 5, P)
    cvals, cgrads = D.batch_cdf(g, thetas, times)
    for i, th in enumerate(thetas):
        v, gr = D.pdf_and_gradient(g, th, times)
        np.testing.assert_array_equal(vals[i], v)
        np.testing.assert_array_equal(grads[i], gr)
        cv, cg = D.cdf_and_gradient(g, th, times)
        np.testing.assert_array_equal(cvals[i], cv)
        np.testing.assert_array_equal(cgrads[i], cg)
        np.testing.assert_allclose(v, values_at(g, th, D.pdf, times), rtol=0, atol=1e-12)
    v2, none = D.batch_pdf(g, thetas, times, gradient=False)
    assert none is None
    # with gradients the sweep runs until the tangents are negligible too: same values within tol
    np.testing.assert_allclose(v2, vals, rtol=0, atol=1e-12)


def test_batch_discrete_returns_pmf():
    rng = np.random.default_rng(12)
    g = random_param_graph(rng, 9, discrete=True)
    thetas = rng.uniform(0.3, 1.8, (4, P))
    k = np.array([0.0, 1.0, 3.0, 10.0])
    vals, grads = D.batch_pdf(g, thetas, k, discrete=True)
    for i, th in enumerate(thetas):
        np.testing.assert_allclose(vals[i], values_at(g, th, D.pmf, k), rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="integer"):
        D.batch_pdf(g, thetas, [0.5], discrete=True)


def test_batch_without_parameters_evaluates_current_weights():
    g = Graph(1)
    a = g.find_or_create_vertex([1])
    b = g.find_or_create_vertex([2])
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 2.0)
    vals, grads = D.batch_pdf(g, np.zeros((3, 0)), [0.0, 1.0])
    np.testing.assert_allclose(vals, [[2.0, 2 * np.exp(-2)]] * 3, rtol=0, atol=1e-12)
    assert grads.shape == (3, 2, 0)


_SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_dist_gradients import random_param_graph, P
    from ptdalgorithms import _distribution as D
    rng = np.random.default_rng(3)
    g = random_param_graph(rng, 30)
    thetas = rng.uniform(0.3, 2.0, (41, P))
    times = np.linspace(0, 8, 25)
    v, gr = D.batch_pdf(g, thetas, times)
    c, cg = D.batch_cdf(g, thetas, times)
    h = hashlib.sha256()
    for a in (v, gr, c, cg):
        h.update(np.ascontiguousarray(a).tobytes())
    print(h.hexdigest())
""")


def test_batch_bitwise_identical_with_one_and_two_threads():
    script = _SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__)))
    digests = []
    for nthreads in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=nthreads)
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        digests.append(out.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1]


# ------------------------------------------------------------------------------ errors

def test_wrong_theta_length():
    g = random_param_graph(np.random.default_rng(1), 5)
    with pytest.raises(ValueError, match="3 parameters"):
        D.pdf_and_gradient(g, [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="shape"):
        D.batch_pdf(g, np.ones((4, 2)), [1.0])
    with pytest.raises(ValueError, match="shape"):
        D.batch_pdf(g, np.ones(3), [1.0])


def test_theta_giving_negative_weight_names_the_problem():
    g = random_param_graph(np.random.default_rng(2), 5)
    thetas = np.ones((5, P))
    thetas[3] = -50.0
    with pytest.raises(ValueError, match="negative"):
        D.batch_pdf(g, thetas, [1.0])
    with pytest.raises(ValueError, match="negative"):
        D.pdf_and_gradient(g, thetas[3], [1.0])


def test_batch_invalid_times():
    g = random_param_graph(np.random.default_rng(2), 5)
    with pytest.raises(ValueError, match="non-negative"):
        D.batch_pdf(g, np.ones((2, P)), [1.0, -2.0])
    with pytest.raises(ValueError, match="one-dimensional"):
        D.batch_pdf(g, np.ones((2, P)), [[1.0]])
