"""Replaying the elimination program for new theta: equal to a fresh graph with the same weights and to
the matrix formula; exact gradients against central differences; thread-count independence."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ptdalgorithms import Graph
from ptdalgorithms import _moments as M

from _graphs_moments import build, dph_matrix_moments, matrix_moments, random_edges

HERE = os.path.dirname(os.path.abspath(__file__))


def random_param_graph(rng, n_t, p, discrete=False, density=0.15):
    """Random cyclic graph where about half the edges (start edges included) are parameterised with
    non-negative base and coefficients, so every theta >= 0 is valid."""
    edges = random_edges(rng, n_t, n_abs=int(rng.integers(1, 4)), density=density, cyclic=True,
                         defect=True, discrete=discrete)
    param = {}
    for key, w in edges.items():
        if rng.random() < 0.5:
            coef = rng.uniform(0, 1, p) * (rng.random(p) < 0.7)
            base = w * rng.uniform(0, 1) if rng.random() < 0.7 else 0.0
            if discrete:  # keep out-probabilities <= 1 for theta in [0, 1]^p
                scale = w / (base + coef.sum() + 1e-12)
                base, coef = base * scale, coef * scale
            if base == 0 and not coef.any():
                base = w
            param[key] = (base, coef)
    n = max(max(k) for k in edges) + 1
    return build(n, edges, param), edges, param, n


def weights_at(edges, param, theta):
    out = {}
    for key, w in edges.items():
        if key in param:
            b, c = param[key]
            out[key] = b + np.dot(c, theta)
        else:
            out[key] = w
    return out


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b) / np.abs(b)))


@pytest.mark.parametrize("discrete", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_replay_equals_fresh_graph(seed, discrete):
    rng = np.random.default_rng(40 + seed + 100 * discrete)
    n_t = [6, 25, 80, 200][seed]
    p = int(rng.integers(1, 4))
    g, edges, param, n = random_param_graph(rng, n_t, p, discrete=discrete,
                                           density=0.2 if n_t < 50 else 0.03)
    thetas = rng.uniform(0.05, 1.0, (50, p))
    vals, grads = M.batch_moments(g, thetas, 3, discrete=discrete, gradient=False)
    assert grads is None
    worst = 0.0
    for i, th in enumerate(thetas):
        h = build(n, weights_at(edges, param, th))
        ref = M.moments(h, 3, discrete=discrete)
        worst = max(worst, rel(vals[i], ref))
        if i < 5:
            alpha, S, _ = h.as_matrices()
            mat = (dph_matrix_moments(alpha, np.eye(len(alpha)) + S, 3) if discrete
                   else matrix_moments(alpha, S, 3))
            assert rel(vals[i], mat) < 1e-10
    assert worst < 1e-12
    # the graph's own weights were not changed by replaying
    g.update_parameterized_weights(thetas[7])
    assert rel(M.moments(g, 3, discrete=discrete), vals[7]) < 1e-12


def test_replay_with_rewards_and_zero_weights():
    rng = np.random.default_rng(3)
    g, edges, param, n = random_param_graph(rng, 40, 2, density=0.1)
    r = rng.uniform(0, 2, n) * (rng.random(n) < 0.8)
    # theta with zeros: edges with zero base become weight-0 edges (structure kept, weight 0)
    thetas = np.array([[0.0, 0.5], [0.7, 0.0], [0.3, 0.9]])
    try:
        vals, _ = M.batch_moments(g, thetas, 2, rewards=r, gradient=False)
    except ValueError as err:  # a vertex may lose all its rate: must be a clean error naming a state
        assert "state" in str(err)
        return
    for i, th in enumerate(thetas):
        h = build(n, {k: w for k, w in weights_at(edges, param, th).items()})
        assert rel(vals[i], M.moments(h, 2, rewards=r)) < 1e-12


@pytest.mark.parametrize("discrete", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_gradients_central_differences(seed, discrete):
    rng = np.random.default_rng(70 + seed + 10 * discrete)
    p = 3
    g, edges, param, n = random_param_graph(rng, [8, 30, 120][seed], p, discrete=discrete,
                                           density=0.2 if seed < 2 else 0.03)
    r = rng.uniform(0.5, 2, n) if seed == 1 else None
    k = 4
    for th in rng.uniform(0.2, 0.8, (4, p)):
        vals, jac = M.moments_and_gradient(g, th, k, rewards=r, discrete=discrete)
        assert jac.shape == (k, p)
        fd = np.empty((k, p))
        for j in range(p):
            h = 1e-5
            tp, tm = th.copy(), th.copy()
            tp[j] += h
            tm[j] -= h
            vp, _ = M.batch_moments(g, tp[None], k, rewards=r, discrete=discrete, gradient=False)
            vm, _ = M.batch_moments(g, tm[None], k, rewards=r, discrete=discrete, gradient=False)
            fd[:, j] = (vp[0] - vm[0]) / (2 * h)
        scale = np.abs(jac).max(axis=1, keepdims=True)
        assert np.all(np.abs(jac - fd) <= 1e-6 * scale)


def test_gradient_of_start_distribution_closed_form():
    # start -> a (rate theta0), start -> b (rate 1), a exits at rate 2, b at rate 5:
    # E = (theta/2 + 1/5) / (theta + 1), dE/dtheta = (1/2 - 1/5) / (theta + 1)^2
    g = Graph(1)
    a, b, d = (g.find_or_create_vertex([i]) for i in (1, 2, 3))
    g.starting_vertex().add_edge_parameterized(a, 0.0, [1.0])
    g.starting_vertex().add_edge(b, 1.0)
    a.add_edge(d, 2.0)
    b.add_edge(d, 5.0)
    for t in (0.1, 1.0, 3.0):
        v, J = M.moments_and_gradient(g, [t], 1)
        assert abs(v[0] - (t / 2 + 0.2) / (t + 1)) < 1e-15
        assert abs(J[0, 0] - 0.3 / (t + 1) ** 2) < 1e-15


def test_kingman_scaled_rate_gradient():
    # one parameter scaling every coalescence rate: E[T^k] scales as theta^-k, so dE[T^k]/dtheta = -k E/theta
    from ptdalgorithms.examples.coalescent import kingman_graph
    g = kingman_graph(6, parameterized=True)
    for t in (0.5, 2.0):
        v, J = M.moments_and_gradient(g, [t], 3)
        ref = M.moments_and_gradient(g, [1.0], 3)[0] / t ** np.arange(1, 4)
        assert rel(v, ref) < 1e-12
        assert rel(J[:, 0], -np.arange(1, 4) * v / t) < 1e-12


def test_batch_without_parameters():
    rng = np.random.default_rng(5)
    edges = random_edges(rng, 30, density=0.1)
    g = build(33, edges)
    vals, grads = M.batch_moments(g, np.empty((4, 0)), 2)
    assert grads.shape == (4, 2, 0)
    assert np.array_equal(vals, np.tile(M.moments(g, 2), (4, 1)))


def test_batch_errors():
    rng = np.random.default_rng(8)
    g, edges, param, n = random_param_graph(rng, 10, 2)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        M.batch_moments(g, np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match="finite"):
        M.batch_moments(g, np.array([[np.nan, 1.0]]), 2)
    with pytest.raises(ValueError, match=r"theta row 1: .*non-negative"):
        M.batch_moments(g, np.array([[0.5, 0.5], [-50.0, -50.0]]), 2)
    with pytest.raises(ValueError, match="at least 1"):
        M.batch_moments(g, np.ones((3, 2)), 0)
    with pytest.raises(ValueError, match="length 3"):
        M.moments_and_gradient(g, [1.0, 2.0, 3.0], 2)


SCRIPT = textwrap.dedent("""
    import sys, hashlib
    import numpy as np
    sys.path.insert(0, {here!r})
    from test_replay import random_param_graph
    from ptdalgorithms import _moments as M
    rng = np.random.default_rng(11)
    g, *_ = random_param_graph(rng, 150, 3, density=0.03)
    th = rng.uniform(0.1, 1.0, (203, 3))
    v, G = M.batch_moments(g, th, 4)
    print(hashlib.sha256(v.tobytes() + G.tobytes()).hexdigest())
""")


def test_thread_count_does_not_change_results():
    out = {}
    for t in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=t)
        res = subprocess.run([sys.executable, "-c", SCRIPT.format(here=HERE)], env=env, capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        out[t] = res.stdout.strip()
    assert out["1"] == out["2"] and len(out["1"]) == 64
