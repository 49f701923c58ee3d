"""SVGD seconds per iteration after compilation, vmap vs pmap over 2 CPU devices.

    python benchmarks/bench_svgd.py            (sets PTDALG_CPUS=2 unless already set)

(a) the seed model (S -> v2 -> v1, rate theta out of v2: pdf theta e^{-theta t}), 100 observations,
    24 and 100 particles;                                          target <= 2 ms per iteration
(b) Kingman coalescent n = 10 with one parameter scaling every coalescence rate, 200 observations of
    T_MRCA, 100 particles;                                         target <= 20 ms per iteration

Timing: each configuration is fitted once (compiles the warm-up and the iteration chunks, which the
module-level cache keeps), then a fresh SVGD object with the same settings is fitted ``REPEATS`` times and
the best ``results.seconds / n_iterations`` is printed (the iteration loop only, warm-up excluded).
"""
from __future__ import annotations

import os
import time

os.environ.setdefault("PTDALG_CPUS", "2")

import ptdalgorithms  # noqa: E402,F401  (applies PTDALG_CPUS before JAX starts)
import jax  # noqa: E402
import numpy as np  # noqa: E402

from ptdalgorithms import Graph  # noqa: E402
from ptdalgorithms.examples.coalescent import kingman_graph  # noqa: E402
from ptdalgorithms.examples.exponential import exponential_graph  # noqa: E402
from ptdalgorithms.svgd import SVGD  # noqa: E402

REPEATS = 3
N_ITER = 100


def find_bridge():
    pmf = getattr(Graph, "pmf_from_graph", None)
    if pmf is None:
        try:
            from ptdalgorithms.jax_bridge import pmf_from_graph as pmf
        except ImportError:
            pmf = None
    return pmf


def observations(g: Graph, theta, n: int, seed: int) -> np.ndarray:
    gt = g.clone()
    gt.update_parameterized_weights(list(theta))
    return np.asarray(gt.sample(n, seed=seed))


def seconds_per_iteration(model, data, n_particles, parallel, n_devices=None):
    kw = dict(model=model, observed_data=data, theta_dim=1, n_particles=n_particles, n_iterations=N_ITER,
              parallel=parallel, n_devices=n_devices)
    SVGD(**kw).fit()  # compile (kept in the module-level cache)
    best, mean = np.inf, None
    for _ in range(REPEATS):
        s = SVGD(**kw)
        r = s.fit()
        best = min(best, r.seconds / N_ITER)
        mean, parts = r.posterior_mean, r.particles
    return best, mean, parts


def grad_call_seconds(model, data, particles) -> float:
    """One jitted vmap(grad(log-likelihood)) over the particles: the model's share of an SVGD step."""
    import jax.numpy as jnp

    t = jnp.asarray(data)
    f = jax.jit(jax.vmap(jax.grad(lambda th: jnp.sum(jnp.log(model(th, t))))))
    th = jnp.asarray(particles)  # the fitted particles: the same rates an SVGD step evaluates
    f(th).block_until_ready()
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        f(th).block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    n_dev = jax.device_count()
    pmf_from_graph = find_bridge()
    print(f"jax {jax.__version__}, {n_dev} CPU devices, {N_ITER} iterations, best of {REPEATS}")
    cases = []
    g = exponential_graph()
    data_a = observations(g, [2.0], 100, seed=1)
    if pmf_from_graph is not None:
        model_a = pmf_from_graph(g, discrete=False, param_length=1)
        label_a = "seed model (bridge)"
    else:
        import jax.numpy as jnp

        def model_a(theta, t):
            return theta[0] * jnp.exp(-theta[0] * t)

        model_a.param_length = 1
        label_a = "seed model (pure-JAX stand-in: JAX bridge not available)"
    cases += [(label_a, model_a, data_a, 24, 2e-3), (label_a, model_a, data_a, 100, 2e-3)]
    if pmf_from_graph is not None:
        gk = kingman_graph(10, parameterized=True)
        data_b = observations(gk, [1.0], 200, seed=2)
        model_b = pmf_from_graph(gk, discrete=False, param_length=1)
        cases.append((f"Kingman n=10 ({len(gk)} vertices), 200 T_MRCA obs", model_b, data_b, 100, 20e-3))
    else:
        print("(b) Kingman n=10: skipped, needs the JAX bridge (ptdalgorithms.jax_bridge.pmf_from_graph)")

    modes = [("vmap", None)] + ([("pmap", 2)] if n_dev >= 2 else [])
    print(f"{'case':58} {'particles':>9} {'mode':>8} {'ms/iter':>9} {'target':>7} {'post. mean':>11}")
    for label, model, data, n_particles, target in cases:
        res = {}
        for mode, nd in modes:
            spi, mean, parts = seconds_per_iteration(model, data, n_particles, mode, nd)
            res[mode] = spi
            ok = "ok" if spi <= target else "MISS"
            print(f"{label:58} {n_particles:9d} {mode + (str(nd) if nd else ''):>8} {1e3 * spi:9.3f} "
                  f"{1e3 * target:5.0f}{ok:>4} {mean[0]:11.5f}")
        gsec = grad_call_seconds(model, data, parts)
        print(f"{'':58} {'':9} {'':>8} model gradient alone {1e3 * gsec:.3f} ms "
              f"({100 * gsec / res['vmap']:.0f} % of a vmap step)")
        if "pmap" in res:
            print(f"{'':58} {'':9} {'':>8} pmap2/vmap time ratio = {res['pmap'] / res['vmap']:.2f}")


if __name__ == "__main__":
    main()
