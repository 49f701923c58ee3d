"""JAX bridge: values and gradients against dense references, transformations, host-call counts, errors."""
import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from ptdalgorithms import jax_bridge as jb  # noqa: E402

import _jax_cases as cases  # noqa: E402
import _jax_stub as st  # noqa: E402

jax.config.update("jax_enable_x64", True)
TIMES = np.array([0.05, 0.3, 0.7, 1.0, 1.6, 2.5, 4.0])


@pytest.fixture
def calls(monkeypatch):
    """Record every evaluator call made by the bridge: (kind, gradient, n rows, thread id)."""
    log = []
    pdf, mom = jb._batch_pdf, jb._batch_moments

    def counted_pdf(graph, theta, times, **kw):
        log.append(("pdf", kw.get("gradient", True), np.shape(theta)[0], threading.get_ident()))
        return pdf(graph, theta, times, **kw)

    def counted_moments(graph, theta, k, **kw):
        log.append(("moments", kw.get("gradient", True), np.shape(theta)[0], threading.get_ident()))
        return mom(graph, theta, k, **kw)

    monkeypatch.setattr(jb, "_batch_pdf", counted_pdf)
    monkeypatch.setattr(jb, "_batch_moments", counted_moments)
    return log


def central_diff(f, theta, h=1e-6):
    theta = np.asarray(theta, dtype=float)
    cols = []
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        cols.append((f(theta + e) - f(theta - e)) / (2 * h))
    return np.stack(cols, axis=-1)


# ---------------------------------------------------------------------------------------------
# values and gradients

def test_seed_snippet_is_exponential():
    g, _ = cases.seed()
    model = jb.pmf_from_graph(g, discrete=False, param_length=1)
    out = model(jnp.array([2.0]), jnp.asarray(TIMES))
    assert out.dtype == jnp.float64 and out.shape == TIMES.shape
    np.testing.assert_allclose(np.asarray(out), 2.0 * np.exp(-2.0 * TIMES), rtol=1e-11, atol=1e-13)
    assert model.param_length == 1 and model.discrete is False


@pytest.mark.parametrize("theta", [[0.7, 1.3], [2.0, 0.1], [0.05, 3.0]])
def test_values_match_dense_reference_and_evaluator(theta):
    g, matrices = cases.two_param()
    model = jb.pmf_from_graph(g)
    got = np.asarray(model(jnp.array(theta), jnp.asarray(TIMES)))
    np.testing.assert_allclose(got, st.ref_pdf(matrices, theta, TIMES), rtol=0, atol=1e-10)
    direct, _ = jb._batch_pdf(g, np.array([theta]), TIMES, discrete=False, gradient=False)
    np.testing.assert_array_equal(got, direct[0])


def test_times_keep_their_shape():
    g, matrices = cases.two_param()
    model = jb.pmf_from_graph(g)
    t = TIMES[:6].reshape(2, 3)
    got = np.asarray(model(jnp.array([0.7, 1.3]), t))
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got.ravel(), st.ref_pdf(matrices, [0.7, 1.3], t.ravel()), atol=1e-10)


@pytest.mark.parametrize("theta", [[0.7, 1.3], [2.0, 0.1]])
def test_grad_is_exact_and_matches_central_differences(theta):
    g, matrices = cases.two_param()
    model = jb.pmf_from_graph(g)
    w = np.linspace(0.5, 2.0, len(TIMES))
    loglik = lambda th: jnp.sum(w * jnp.log(model(th, TIMES)))
    got = np.asarray(jax.grad(loglik)(jnp.array(theta)))
    # exact: the evaluator's own gradient contracted by hand
    vals, grads = jb._batch_pdf(g, np.array([theta]), TIMES, discrete=False, gradient=True)
    exact = (w / vals[0]) @ grads[0]
    np.testing.assert_allclose(got, exact, rtol=1e-13, atol=1e-14)
    # independent: central differences of the dense reference
    ref = central_diff(lambda th: np.sum(w * np.log(st.ref_pdf(matrices, th, TIMES))), theta)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)


def test_jacobian_against_reference():
    g, matrices = cases.two_param()
    model = jb.pmf_from_graph(g)
    theta = np.array([0.9, 0.6])
    jac = np.asarray(jax.jacrev(lambda th: model(th, TIMES))(jnp.asarray(theta)))
    ref = central_diff(lambda th: st.ref_pdf(matrices, th, TIMES), theta)
    np.testing.assert_allclose(jac, ref, rtol=1e-6, atol=1e-8)


def test_discrete_pmf_and_gradient():
    g, matrices = cases.discrete_seed()
    model = jb.pmf_from_graph(g, discrete=True)
    k = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    theta = np.array([0.5])
    got = np.asarray(model(jnp.asarray(theta), k))
    np.testing.assert_allclose(got, st.ref_pdf(matrices, theta, k, discrete=True), atol=1e-12)
    grad = np.asarray(jax.jacrev(lambda th: model(th, k))(jnp.asarray(theta)))
    ref = central_diff(lambda th: st.ref_pdf(matrices, th, k, discrete=True), theta)
    np.testing.assert_allclose(grad, ref, rtol=1e-6, atol=1e-9)


def test_graph_without_parameters_takes_only_times():
    # Erlang(3, rate 2): f(1.5) = 0.4480836 (DESIGN section 8)
    edges = [(0, 1, 1.0, []), (1, 2, 2.0, []), (2, 3, 2.0, []), (3, 4, 2.0, [])]
    g = cases.Graph(state_length=1)
    v = [g.starting_vertex()] + [g.find_or_create_vertex([i]) for i in range(1, 5)]
    for u, w, b, _ in edges:
        v[u].add_edge(v[w], b)
    model = jb.pmf_from_graph(g)
    np.testing.assert_allclose(float(model(jnp.array([1.5]))[0]), 0.4480836, atol=5e-8)
    np.testing.assert_allclose(float(jax.jit(model)(1.5)), 0.4480836, atol=5e-8)


def test_model_holds_a_snapshot_of_the_graph():
    g, _ = cases.seed()
    model = jb.pmf_from_graph(g)
    before = np.asarray(model(jnp.array([2.0]), TIMES))
    # make the absorbing vertex [1] transient: the distribution of the user's graph changes
    g.find_vertex([1]).add_edge(g.find_or_create_vertex([3]), 5.0)
    after = np.asarray(model(jnp.array([2.0]), TIMES))
    np.testing.assert_array_equal(before, after)
    np.testing.assert_allclose(after, 2.0 * np.exp(-2.0 * TIMES), rtol=1e-11)
    assert not np.allclose(np.asarray(jb.pmf_from_graph(g)(jnp.array([2.0]), TIMES)), after)


# ---------------------------------------------------------------------------------------------
# transformations

def _particles(n=12):
    rng = np.random.default_rng(3)
    return rng.uniform(0.3, 2.0, size=(n, 2))


def test_transformations_agree():
    g, _ = cases.two_param()
    model = jb.pmf_from_graph(g)
    loglik = lambda th: jnp.sum(jnp.log(model(th, TIMES)))
    P = _particles()
    loop_val = np.array([float(loglik(jnp.asarray(th))) for th in P])
    loop_grad = np.stack([np.asarray(jax.grad(loglik)(jnp.asarray(th))) for th in P])
    np.testing.assert_array_equal(np.asarray(jax.jit(loglik)(P[0])), loop_val[0])
    np.testing.assert_array_equal(np.asarray(jax.vmap(loglik)(P)), loop_val)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(loglik))(P)), loop_val)
    np.testing.assert_array_equal(np.asarray(jax.vmap(jax.grad(loglik))(P)), loop_grad)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(jax.grad(loglik)))(P)), loop_grad)
    nested = jax.vmap(jax.vmap(jax.grad(loglik)))(P.reshape(3, 4, 2))
    np.testing.assert_array_equal(np.asarray(nested).reshape(-1, 2), loop_grad)
    vg = jax.jit(jax.vmap(jax.value_and_grad(loglik)))(P)
    np.testing.assert_array_equal(np.asarray(vg[0]), loop_val)
    np.testing.assert_array_equal(np.asarray(vg[1]), loop_grad)


def test_vmap_over_times_and_over_both():
    g, matrices = cases.two_param()
    model = jb.pmf_from_graph(g)
    T = np.stack([TIMES, TIMES + 0.5, 2 * TIMES])
    th = np.array([0.7, 1.3])
    got = np.asarray(jax.vmap(lambda t: model(th, t))(T))
    ref = np.stack([st.ref_pdf(matrices, th, t) for t in T])
    np.testing.assert_allclose(got, ref, atol=1e-10)
    P = _particles(3)
    both = np.asarray(jax.vmap(model)(P, T))
    ref = np.stack([st.ref_pdf(matrices, p, t) for p, t in zip(P, T)])
    np.testing.assert_allclose(both, ref, atol=1e-10)
    # theta batched on the outside, times on the inside
    outer = np.asarray(jax.vmap(lambda p: jax.vmap(lambda t: model(p, t))(T))(P))
    ref = np.stack([[st.ref_pdf(matrices, p, t) for t in T] for p in P])
    np.testing.assert_allclose(outer, ref, atol=1e-10)


def test_one_host_call_per_batch(calls):
    g, _ = cases.two_param()
    model = jb.pmf_from_graph(g)
    loglik = lambda th: jnp.sum(jnp.log(model(th, TIMES)))
    P = _particles(64)
    jax.jit(jax.vmap(jax.grad(loglik)))(P).block_until_ready()
    assert [(k, grad, n) for k, grad, n, _ in calls] == [("pdf", True, 64)]
    calls.clear()
    jax.jit(jax.vmap(jax.vmap(jax.grad(loglik))))(P.reshape(8, 8, 2)).block_until_ready()
    assert [(k, grad, n) for k, grad, n, _ in calls] == [("pdf", True, 64)]
    calls.clear()
    jax.vmap(loglik)(P).block_until_ready()  # values only: no gradient work
    assert [(k, grad, n) for k, grad, n, _ in calls] == [("pdf", False, 64)]
    calls.clear()
    T = np.stack([TIMES] * 5)
    jax.vmap(lambda t: model(P[0], t))(T).block_until_ready()  # shared theta, 5 data sets
    assert [(k, grad, n) for k, grad, n, _ in calls] == [("pdf", False, 1)]


PMAP_SCRIPT = textwrap.dedent("""
    import json, sys, threading
    import numpy as np
    from ptdalgorithms import devices
    devices.apply_env()
    import jax, jax.numpy as jnp
    from jax.experimental import mesh_utils
    from jax.sharding import Mesh, NamedSharding, PartitionSpec
    from ptdalgorithms import jax_bridge as jb
    import _jax_cases as cases
    log = []
    pdf = jb._batch_pdf
    def counted(graph, theta, times, **kw):
        log.append([kw.get("gradient", True), int(np.shape(theta)[0]), threading.get_ident()])
        return pdf(graph, theta, times, **kw)
    jb._batch_pdf = counted
    g, _ = cases.two_param()
    model = jb.pmf_from_graph(g)
    times = np.array(%s)
    loglik = lambda th: jnp.sum(jnp.log(model(th, times)))
    P = np.random.default_rng(3).uniform(0.3, 2.0, size=(16, 2))
    ref = np.asarray(jax.jit(jax.vmap(jax.grad(loglik)))(P))
    log.clear()
    mesh = Mesh(mesh_utils.create_device_mesh((2,)), ("batch",))
    f = jax.pmap(jax.vmap(jax.grad(loglik)), axis_name="batch", devices=list(mesh.devices.flat))
    if hasattr(jax, "set_mesh"):
        x = jax.device_put(P.reshape(2, 8, 2), NamedSharding(mesh, PartitionSpec("batch")))
        with jax.set_mesh(mesh):
            out = np.asarray(f(x))
    else:
        with mesh:
            out = np.asarray(f(P.reshape(2, 8, 2)))
    print(json.dumps({"n_devices": jax.device_count(), "calls": log,
                      "max_diff": float(np.max(np.abs(out.reshape(16, 2) - ref)))}))
""")


def _subprocess_env(**extra):
    env = dict(os.environ, **extra)
    here = os.path.dirname(os.path.abspath(__file__))
    # tests/ for the shared cases; never an empty entry (it would put the source tree on sys.path)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [here, env.get("PYTHONPATH")] if p)
    return env


def test_pmap_vmap_grad_in_device_mesh_one_call_per_device():
    script = PMAP_SCRIPT % repr(TIMES.tolist())
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=_subprocess_env(PTDALG_CPUS="2"), timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["n_devices"] == 2
    assert out["max_diff"] == 0.0
    assert sorted((grad, n) for grad, n, _ in out["calls"]) == [(True, 8), (True, 8)]


# ---------------------------------------------------------------------------------------------
# moments

def test_moments_values_gradients_and_one_call(calls):
    g, matrices = cases.two_param()
    mom = jb.moments_from_graph(g, nr_moments=3)
    theta = np.array([0.8, 1.1])
    got = np.asarray(mom(jnp.asarray(theta)))
    np.testing.assert_allclose(got, st.ref_moments(matrices, theta, 3), rtol=1e-10)
    jac = np.asarray(jax.jacrev(mom)(jnp.asarray(theta)))
    np.testing.assert_allclose(jac, central_diff(lambda th: st.ref_moments(matrices, th, 3), theta),
                               rtol=1e-6, atol=1e-8)
    calls.clear()
    P = _particles(10)
    out = jax.jit(jax.vmap(jax.grad(lambda th: mom(th)[1])))(P)
    assert [(k, grad, n) for k, grad, n, _ in calls] == [("moments", True, 10)]
    np.testing.assert_allclose(
        np.asarray(out), np.stack([central_diff(lambda th: st.ref_moments(matrices, th, 2)[1], p)
                                   for p in P]), rtol=1e-6, atol=1e-8)


def test_moments_with_rewards():
    g, matrices = cases.two_param()
    r = np.array([0.0, 2.0, 0.5, 1.0, 0.0])
    mom = jb.moments_from_graph(g, nr_moments=2, rewards=r)
    theta = np.array([0.8, 1.1])
    np.testing.assert_allclose(np.asarray(mom(jnp.asarray(theta))),
                               st.ref_moments(matrices, theta, 2, rewards=r), rtol=1e-10)


def test_pmf_and_moments_together(calls):
    g, matrices = cases.two_param()
    model = jb.pmf_and_moments_from_graph(g, nr_moments=2)
    theta = np.array([0.8, 1.1])
    pdf, mom = model(jnp.asarray(theta), TIMES)
    np.testing.assert_allclose(np.asarray(pdf), st.ref_pdf(matrices, theta, TIMES), atol=1e-10)
    np.testing.assert_allclose(np.asarray(mom), st.ref_moments(matrices, theta, 2), rtol=1e-10)

    def objective(th):
        pdf, mom = model(th, TIMES)
        return jnp.sum(jnp.log(pdf)) - (mom[0] - 1.0) ** 2

    def ref_objective(th):
        return np.sum(np.log(st.ref_pdf(matrices, th, TIMES))) - (st.ref_moments(matrices, th, 1)[0] - 1) ** 2

    np.testing.assert_allclose(np.asarray(jax.grad(objective)(jnp.asarray(theta))),
                               central_diff(ref_objective, theta), rtol=1e-6, atol=1e-8)
    # only the pdf used: the moments' cotangent is a symbolic zero
    np.testing.assert_allclose(
        np.asarray(jax.grad(lambda th: jnp.sum(model(th, TIMES)[0]))(jnp.asarray(theta))),
        central_diff(lambda th: np.sum(st.ref_pdf(matrices, th, TIMES)), theta), rtol=1e-6, atol=1e-9)
    calls.clear()
    jax.jit(jax.vmap(jax.grad(objective)))(_particles(20)).block_until_ready()
    assert sorted((k, grad, n) for k, grad, n, _ in calls) == [("moments", True, 20), ("pdf", True, 20)]


def test_rewards_change_the_distribution():
    g, matrices = cases.two_param()
    r = np.array([1.0, 2.0, 0.5, 1.5, 1.0])  # positive everywhere (start and absorbing ignored)
    theta = np.array([0.8, 1.1])
    model = jb.pmf_and_moments_from_graph(g, nr_moments=2, rewards=r)
    pdf, mom = model(jnp.asarray(theta), TIMES)

    def rewarded(th):  # time-scaled chain: rates divided by the reward of the vertex left
        a, S, trans = matrices(th)
        return a, S / r[trans][:, None], trans

    np.testing.assert_allclose(np.asarray(pdf), st.ref_pdf(rewarded, theta, TIMES), atol=1e-10)
    np.testing.assert_allclose(np.asarray(mom), st.ref_moments(matrices, theta, 2, rewards=r),
                               rtol=1e-10)
    np.testing.assert_allclose(np.asarray(mom), st.ref_moments(rewarded, theta, 2), rtol=1e-10)
    pdf_only = jb.pmf_from_graph(g, rewards=r)
    np.testing.assert_array_equal(np.asarray(pdf_only(jnp.asarray(theta), TIMES)), np.asarray(pdf))


# ---------------------------------------------------------------------------------------------
# bad input

def test_bad_inputs_raise_clear_errors():
    g, _ = cases.seed()
    model = jb.pmf_from_graph(g)
    with pytest.raises(ValueError, match="param_length"):
        jb.pmf_from_graph(g, param_length=2)
    with pytest.raises(ValueError, match=r"shape \(1,\)"):
        model(jnp.array([1.0, 2.0]), TIMES)
    with pytest.raises(ValueError, match=r"shape \(1,\)"):
        jax.jit(model)(jnp.array([1.0, 2.0]), TIMES)  # shapes are checked at trace time
    with pytest.raises(ValueError, match="non-negative"):
        model(jnp.array([1.0]), -TIMES)
    with pytest.raises(ValueError, match="finite"):
        model(jnp.array([np.nan]), TIMES)
    with pytest.raises(NotImplementedError, match="times"):
        jax.grad(lambda t: jnp.sum(model(jnp.array([1.0]), t)))(jnp.asarray(TIMES))
    with pytest.raises(ValueError, match="nr_moments"):
        jb.moments_from_graph(g, nr_moments=0)
    dg, _ = cases.discrete_seed()
    with pytest.raises(ValueError, match="integer"):
        jb.pmf_from_graph(dg, discrete=True)(jnp.array([0.5]), [1.5])


def test_invalid_values_under_jit_raise_with_the_evaluator_message():
    g, _ = cases.seed()
    model = jax.jit(jb.pmf_from_graph(g))
    for theta, times in [([-1.0], TIMES), ([np.nan], TIMES), ([1.0], -TIMES)]:
        with pytest.raises(jax.errors.JaxRuntimeError) as info:
            model(jnp.array(theta), jnp.asarray(times)).block_until_ready()
        assert "ValueError" in str(info.value)


def test_graph_without_start_edges_is_rejected_when_the_model_is_built():
    g = cases.Graph(state_length=1)
    g.find_or_create_vertex([1])
    for factory in (jb.pmf_from_graph, jb.moments_from_graph, jb.pmf_and_moments_from_graph):
        with pytest.raises(ValueError, match="starting vertex has no out-edges"):
            factory(g)
