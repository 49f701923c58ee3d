"""SVGD: kernel and Stein direction against naive references, posterior checks against closed forms and
quadrature, modes agreeing, bad inputs.  (Multi-device runs are in test_svgd_parallel.py.)"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.distance import pdist

from _svgd_helpers import exponential_lognormal_posterior, exponential_model
from ptdalgorithms import svgd as S
from ptdalgorithms._svgd_kernels import rbf_kernel_grad, sq_distances
from ptdalgorithms._svgd_model import get_transform
from ptdalgorithms.svgd import SVGD, gamma_prior, lognormal_prior


def std_normal(theta):
    return -0.5 * jnp.sum(theta**2)


# ------------------------------------------------------------------------------------------- kernel
def test_kernel_symmetric_and_one_on_diagonal():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.normal(size=(2, 3))
        h = rng.uniform(0.1, 5)
        assert float(S.rbf_kernel(x, y, h)) == pytest.approx(float(S.rbf_kernel(y, x, h)), rel=1e-15)
        assert float(S.rbf_kernel(x, x, h)) == 1.0
        assert float(S.rbf_kernel(x, y, h)) == pytest.approx(math.exp(-np.sum((x - y) ** 2) / h), rel=1e-14)


def test_kernel_gradient_formula_and_repulsive_sign():
    rng = np.random.default_rng(1)
    for _ in range(10):
        xj, xi = rng.normal(size=(2, 2))
        h = 0.7
        auto = jax.grad(S.rbf_kernel, argnums=0)(xj, xi, h)  # d/dx_j k(x_j, x_i)
        np.testing.assert_allclose(rbf_kernel_grad(xj, xi, h), auto, rtol=1e-13, atol=1e-15)
        # it points from x_j towards x_i: summed into phi(x_i) it moves x_i away from x_j
        assert float(np.dot(np.asarray(rbf_kernel_grad(xj, xi, h)), xi - xj)) > 0
    # two particles, flat target: the left one moves left, the right one right, symmetrically
    x = jnp.array([[-1.0], [1.0]])
    phi = S.stein_direction(x, x, jnp.zeros_like(x), 1.0)
    assert phi[0, 0] < 0 < phi[1, 0]
    assert float(phi[0, 0]) == pytest.approx(-float(phi[1, 0]), rel=1e-15)
    # value: (1/2) * 2 (x_1 - x_0) k / h = 2 e^{-4}
    assert float(phi[1, 0]) == pytest.approx(2 * math.exp(-4.0), rel=1e-14)


def test_stein_direction_matches_naive_double_loop():
    rng = np.random.default_rng(2)
    n, d, h = 7, 3, 1.3
    x = rng.normal(size=(n, d))
    g = rng.normal(size=(n, d))
    naive = np.zeros((n, d))
    for i, j in itertools.product(range(n), range(n)):
        k = math.exp(-np.sum((x[j] - x[i]) ** 2) / h)
        naive[i] += (k * g[j] + 2 * (x[i] - x[j]) * k / h) / n
    np.testing.assert_allclose(S.stein_direction(x, x, g, h), naive, rtol=1e-12, atol=1e-15)
    # a shard of query points gives the same rows as all of them (what each pmap device computes)
    np.testing.assert_allclose(S.stein_direction(x[2:5], x, g, h), naive[2:5], rtol=1e-12, atol=1e-15)


def test_median_bandwidth_against_scipy():
    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 24, 101):
        x = rng.normal(size=(n, 2))
        ref = np.median(pdist(x, "sqeuclidean")) / math.log(n + 1)
        assert float(S.median_bandwidth(jnp.asarray(x))) == pytest.approx(ref, rel=1e-13)
    np.testing.assert_allclose(sq_distances(x, x[:3]), ((x[:, None] - x[None, :3]) ** 2).sum(-1), rtol=1e-13)
    # all particles equal: finite bandwidth, zero repulsion
    same = jnp.ones((5, 2))
    h = S.median_bandwidth(same)
    assert h > 0
    assert np.all(np.asarray(S.stein_direction(same, same, jnp.zeros_like(same), h)) == 0)


# ------------------------------------------------------------------------------------------- transforms
@pytest.mark.parametrize("name", ["softplus", "log"])
def test_transform_jacobian_and_inverse(name):
    t = get_transform(name)
    for z in (-3.0, -0.2, 0.0, 1.5, 8.0):
        zz = jnp.array([z])
        deriv = jax.grad(lambda a: t.forward(a)[0])(zz)[0]
        assert float(t.log_det(zz)) == pytest.approx(math.log(float(deriv)), rel=1e-12, abs=1e-14)
        assert float(t.inverse(t.forward(zz))[0]) == pytest.approx(z, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("transform", ["softplus", "log"])
def test_target_on_constrained_scale_with_jacobian(transform):
    # log_prob is a Gamma(3, rate 2) density of theta: mean 1.5, sd sqrt(3)/2.  Without the Jacobian the
    # particles would follow a different law (for 'log': a Gamma(2, 2), mean 1.0).
    a, b = 3.0, 2.0
    svgd = SVGD(log_prob=gamma_prior(a, b), theta_dim=1, transform=transform, n_particles=200,
                n_iterations=400, parallel="vmap", seed=4)
    svgd.fit()
    mean, sd = a / b, math.sqrt(a) / b
    assert abs(svgd.posterior_mean[0] - mean) < 0.1 * sd
    assert abs(svgd.posterior_std[0] / sd - 1) < 0.1


# ------------------------------------------------------------------------------------------- posteriors
def test_repulsion_standard_normal():
    # start all particles in a tight clump away from the mode; only the repulsive term can spread them
    rng = np.random.default_rng(5)
    init = 3.0 + 0.1 * rng.standard_normal((100, 1))
    svgd = SVGD(log_prob=std_normal, theta_dim=1, transform=None, n_particles=100, n_iterations=500,
                parallel="vmap", init=init)
    svgd.fit()
    assert abs(svgd.particles.mean() - 0.0) < 0.1
    assert abs(svgd.particles.std() - 1.0) < 0.1
    # the clump really started narrow and off-centre
    assert svgd.history[0].std() < 0.15 and svgd.history[0].mean() > 2.9


@pytest.mark.parametrize("h", [0.5, 2.0])
def test_fixed_bandwidth_standard_normal(h):
    rng = np.random.default_rng(5)
    init = 3.0 + 0.1 * rng.standard_normal((100, 1))
    svgd = SVGD(log_prob=std_normal, theta_dim=1, transform=None, n_particles=100, n_iterations=500,
                parallel="vmap", init=init, bandwidth=h)
    svgd.fit()
    assert abs(svgd.particles.mean()) < 0.1
    assert abs(svgd.particles.std() - 1.0) < 0.1


def test_build_step_uses_the_fixed_bandwidth():
    from ptdalgorithms.svgd import build_step, init as svgd_init
    from ptdalgorithms._svgd_kernels import stein_direction
    from ptdalgorithms._svgd_optim import sgd

    x = jnp.asarray(np.random.default_rng(2).standard_normal((6, 2)))
    grad = jax.vmap(jax.grad(lambda z: -0.5 * jnp.sum(z**2)))
    step = build_step(grad, sgd(1.0), bandwidth=0.7)
    new = step(svgd_init(x, sgd(1.0))).particles
    np.testing.assert_allclose(new - x, stein_direction(x, x, grad(x), 0.7), rtol=1e-12, atol=1e-14)


def _exp_data(n=100, rate=2.0, seed=11):
    return np.random.default_rng(seed).exponential(1 / rate, n)


@pytest.mark.parametrize("n_particles", [24, 100])
def test_conjugate_gamma_exponential(n_particles):
    data = _exp_data()
    a0, b0 = 2.0, 1.0
    svgd = SVGD(model=exponential_model, observed_data=data, n_particles=n_particles, n_iterations=200,
                prior=gamma_prior(a0, b0), parallel="vmap")
    svgd.fit()
    a, b = a0 + len(data), b0 + data.sum()  # Gamma(a, rate b) posterior
    mean, sd = a / b, math.sqrt(a) / b
    assert abs(svgd.posterior_mean[0] - mean) < 0.1 * sd
    assert abs(svgd.posterior_std[0] / sd - 1) < 0.1


def test_seed_example_defaults_in_process():
    # the seed example's settings (100 iterations, default step size and prior), one device
    data = _exp_data(seed=7)
    svgd = SVGD(model=exponential_model, observed_data=data, theta_dim=1, n_particles=24,
                n_iterations=100, parallel="vmap")
    svgd.fit()
    mean, sd = exponential_lognormal_posterior(data)
    assert abs(svgd.posterior_mean[0] - mean) < 0.2 * sd
    assert abs(svgd.posterior_std[0] / sd - 1) < 0.2


@pytest.mark.parametrize("rate", [0.01, 500.0])
def test_defaults_work_for_rates_far_from_one(rate):
    # the warm-up (MAP in log theta + Newton + Laplace scale) finds rates 100x-500x away from the prior median
    data = _exp_data(rate=rate, seed=4)
    svgd = SVGD(model=exponential_model, observed_data=data, n_particles=24, n_iterations=100, parallel="vmap")
    svgd.fit()
    mean, sd = exponential_lognormal_posterior(data)
    assert abs(svgd.posterior_mean[0] - mean) < 0.2 * sd
    assert abs(svgd.posterior_std[0] / sd - 1) < 0.2


def test_two_dimensional_gaussian_with_correlation():
    # N(mu, Sigma) with correlation 0.6: SVGD recovers means, sds within 10 %
    mu = jnp.array([1.0, -2.0])
    cov = jnp.array([[1.0, 0.6 * 0.5], [0.6 * 0.5, 0.25]])
    prec = jnp.linalg.inv(cov)
    lp = lambda t: -0.5 * (t - mu) @ prec @ (t - mu)  # noqa: E731
    svgd = SVGD(log_prob=lp, theta_dim=2, transform=None, n_particles=200, n_iterations=300, parallel="vmap")
    svgd.fit()
    sd = np.sqrt(np.diag(np.asarray(cov)))
    assert np.all(np.abs(svgd.posterior_mean - np.asarray(mu)) < 0.1 * sd)
    assert np.all(np.abs(svgd.posterior_std / sd - 1) < 0.1)


# ------------------------------------------------------------------------------------------- modes, cache
def test_vmap_and_none_give_same_particles():
    data = _exp_data(n=30, seed=3)
    out = {}
    for mode in ("vmap", "none"):
        s = SVGD(model=exponential_model, observed_data=data, n_particles=8, n_iterations=20, parallel=mode,
                 seed=9, history_every=7)
        s.fit()
        out[mode] = s
    np.testing.assert_allclose(out["vmap"].particles, out["none"].particles, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["vmap"].history, out["none"].history, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(out["vmap"].results.history_iterations, [0, 7, 14, 20])


def test_precompiled_step_is_reused_across_objects():
    d1, d2 = _exp_data(n=50, seed=1), _exp_data(n=50, rate=5.0, seed=2)
    s1 = SVGD(model=exponential_model, observed_data=d1, n_particles=16, n_iterations=40, parallel="vmap",
              prior=gamma_prior(1.0, 0.5))
    compiled = s1._fns[("chunk", 10)]
    assert isinstance(compiled, jax.stages.Compiled)
    s1.fit()
    # same model, shapes and mode, other data: the very same compiled object, and a correct answer
    s2 = SVGD(model=exponential_model, observed_data=d2, n_particles=16, n_iterations=40, parallel="vmap",
              prior=gamma_prior(1.0, 0.5))
    assert s2._fns[("chunk", 10)] is compiled
    s2.fit()
    a, b = 1.0 + 50, 0.5 + d2.sum()
    assert abs(s2.posterior_mean[0] - a / b) < 0.2 * math.sqrt(a) / b
    # precompile=False keeps a private cache
    s3 = SVGD(model=exponential_model, observed_data=d2, n_particles=16, n_iterations=40, parallel="vmap",
              prior=gamma_prior(1.0, 0.5), precompile=False)
    assert ("chunk", 10) not in s3._fns
    s3.fit()
    np.testing.assert_allclose(s3.particles, s2.particles, rtol=1e-12)


def test_custom_optax_like_optimizer_and_adagrad():
    # any object with init/update (optax convention) is accepted; here the package's own sgd and adagrad
    for opt in (S.sgd(0.5), "adagrad"):
        s = SVGD(log_prob=std_normal, theta_dim=1, transform=None, n_particles=50, n_iterations=300,
                 parallel="vmap", optimizer=opt)
        s.fit()
        assert abs(s.posterior_mean[0]) < 0.1 and abs(s.posterior_std[0] - 1) < 0.1


def test_optax_gradient_transformation_if_installed():
    optax = pytest.importorskip("optax")
    s = SVGD(log_prob=std_normal, theta_dim=1, transform=None, n_particles=50, n_iterations=300,
             parallel="vmap", optimizer=optax.adam(0.1))
    s.fit()
    assert abs(s.posterior_mean[0]) < 0.1 and abs(s.posterior_std[0] - 1) < 0.1


# ------------------------------------------------------------------------------------------- results, output
def test_summary_hdi_and_verbose_output(capsys):
    data = _exp_data(seed=2)
    s = SVGD(model=exponential_model, observed_data=data, n_particles=24, n_iterations=50, parallel="vmap",
             verbose=True, progress=True, history_every=25)
    s.fit()
    out = capsys.readouterr().out
    assert "Posterior mean: [" in out and "Posterior std: [" in out and "HDI" in out
    summ = s.summary()
    # HDI: shortest window holding ceil(0.95 n) sorted particles, by brute force
    x = np.sort(s.particles[:, 0])
    k = math.ceil(0.95 * len(x))
    i = min(range(len(x) - k + 1), key=lambda i: x[i + k - 1] - x[i])
    assert summ["hdi_low"][0] == x[i] and summ["hdi_high"][0] == x[i + k - 1]
    np.testing.assert_allclose(summ["mean"], s.particles.mean(0))
    np.testing.assert_allclose(summ["sd"], s.particles.std(0, ddof=1))
    assert s.history.shape == (3, 24, 1)
    np.testing.assert_allclose(s.history[-1], s.particles)


def test_results_before_fit_raise():
    s = SVGD(log_prob=std_normal, theta_dim=1, transform=None, parallel="vmap", n_particles=4)
    with pytest.raises(RuntimeError, match="fit"):
        s.particles


# ------------------------------------------------------------------------------------------- bad inputs
def _mk(**kw):
    base = dict(model=exponential_model, observed_data=_exp_data(n=10), n_particles=4, n_iterations=2,
                parallel="vmap")
    base.update(kw)
    return SVGD(**base)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(observed_data=[0.5, -1.0, 2.0]), "negative"),
        (dict(observed_data=[0.5, np.nan, 2.0]), "NaN"),
        (dict(observed_data=[]), "empty"),
        (dict(theta_dim=2), "param_length"),
        (dict(parallel="threads"), "parallel"),
        (dict(transform="exp"), "transform"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(n_particles=0), "n_particles"),
        (dict(kernel="imq"), "kernel"),
        (dict(bandwidth=-1.0), "bandwidth"),
        (dict(bandwidth="scott"), "bandwidth"),
        (dict(observed_data=None), "observed_data"),
        (dict(log_prob=std_normal), "exactly one"),
        (dict(parallel="pmap", n_devices=10_000), "PTDALG_CPUS"),
        (dict(init=np.ones((3, 1))), "shape"),
    ],
)
def test_bad_inputs(kw, match):
    with pytest.raises(ValueError, match=match):
        _mk(**kw)


def test_bad_inputs_log_prob_path():
    with pytest.raises(ValueError, match="theta_dim"):
        SVGD(log_prob=std_normal)
    with pytest.raises(ValueError, match="observed_data"):
        SVGD(log_prob=std_normal, theta_dim=1, observed_data=[1.0])

    def no_param_length(theta, t):
        return theta[0] * jnp.exp(-theta[0] * t)

    with pytest.raises(ValueError, match="theta_dim"):
        SVGD(model=no_param_length, observed_data=[1.0])


def test_discrete_model_requires_integer_data():
    def pmf(theta, k):
        return theta[0] * (1 - theta[0]) ** (k - 1)

    pmf.param_length, pmf.discrete = 1, True
    with pytest.raises(ValueError, match="integer"):
        SVGD(model=pmf, observed_data=[1.0, 2.5], transform=None, parallel="vmap")


def test_lognormal_prior_is_normalised():
    from scipy import integrate

    p = lognormal_prior(0.3, 1.2)
    total = integrate.quad(lambda t: math.exp(float(p(jnp.array([t])))), 0, np.inf, limit=200)[0]
    assert total == pytest.approx(1.0, rel=1e-8)


# ------------------------------------------------------------------------------------------- the real bridge
@pytest.fixture(scope="module")
def seed_graph():
    from ptdalgorithms.examples.exponential import exponential_graph

    return exponential_graph()


def test_bridge_model_conjugate_and_modes_agree(seed_graph):
    from ptdalgorithms import Graph

    model = Graph.pmf_from_graph(seed_graph, discrete=False, param_length=1)
    g_true = seed_graph.clone()
    g_true.update_parameterized_weights([2.0])
    data = np.asarray(g_true.sample(100, seed=99))
    out = {}
    for mode in ("vmap", "none"):
        s = SVGD(model=model, observed_data=data, theta_dim=1, n_particles=24, n_iterations=100,
                 prior=gamma_prior(2.0, 1.0), parallel=mode)
        s.fit()
        out[mode] = s
    a, b = 2.0 + len(data), 1.0 + data.sum()
    mean, sd = a / b, math.sqrt(a) / b
    assert abs(out["vmap"].posterior_mean[0] - mean) < 0.1 * sd
    assert abs(out["vmap"].posterior_std[0] / sd - 1) < 0.1
    np.testing.assert_allclose(out["none"].particles, out["vmap"].particles, rtol=1e-9)
    # the pure-JAX stand-in used elsewhere in these tests gives the same particles
    ref = SVGD(model=exponential_model, observed_data=data, theta_dim=1, n_particles=24, n_iterations=100,
               prior=gamma_prior(2.0, 1.0), parallel="vmap")
    ref.fit()
    np.testing.assert_allclose(out["vmap"].particles, ref.particles, rtol=1e-7)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(theta_dim=2), "param_length|shape"),
        (dict(observed_data=[0.5, -1.0]), "negative"),
        (dict(observed_data=[0.5, np.nan]), "NaN"),
    ],
)
def test_bridge_model_bad_inputs(seed_graph, kw, match):
    from ptdalgorithms import Graph

    model = Graph.pmf_from_graph(seed_graph, discrete=False, param_length=1)
    args = dict(model=model, observed_data=[0.5, 1.0], theta_dim=1, n_particles=4, n_iterations=2,
                parallel="vmap")
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        SVGD(**args)
