"""Cost of the JAX bridge: jit(vmap(grad(loglik))) against the batch evaluator called directly.

For 100 particles and 100 data points, on the seed model (pdf theta exp(-theta t)) and on a
parameterised Kingman coalescent (n = 10, one parameter scaling every coalescence rate), prints the
microseconds per particle through the bridge and directly (batch_pdf with gradients + the same log-
likelihood gradient contraction in numpy), and the bridge overhead (bridge / direct - 1).

    python benchmarks/bench_jax.py [--particles 100] [--data 100] [--repeats 30]
    PTDALG_CPUS=2 python benchmarks/bench_jax.py     # also times pmap over 2 CPU devices
"""
import argparse
import time

import numpy as np

from ptdalgorithms import devices

devices.apply_env()  # PTDALG_CPUS (also done by import ptdalgorithms once wired into __init__)
import jax  # noqa: E402
import jax.numpy as jnp
from ptdalgorithms import jax_bridge
from ptdalgorithms._distribution import batch_pdf
from ptdalgorithms.examples.coalescent import kingman_graph
from ptdalgorithms.examples.exponential import exponential_graph


def median_times(fs, repeats):
    """Median wall time of each function, measured interleaved (the machine is shared)."""
    for f in fs:
        f()  # warm up (and compile)
    ts = [[] for _ in fs]
    for _ in range(repeats):
        for f, t in zip(fs, ts):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in ts]


def bench(name, g, times, particles, repeats):
    model = jax_bridge.pmf_from_graph(g)
    loglik = lambda th: jnp.sum(jnp.log(model(th, times)))
    f = jax.jit(jax.vmap(jax.grad(loglik)))
    P = jnp.asarray(particles)
    Pn = np.ascontiguousarray(particles)

    def direct():
        vals, grads = batch_pdf(g, Pn, times, discrete=False, gradient=True)
        return np.einsum("nm,nmp->np", 1.0 / vals, grads)

    t_bridge, t_direct = median_times([lambda: f(P).block_until_ready(), direct], repeats)
    diff = np.max(np.abs(np.asarray(f(P)) - direct()))
    n = len(particles)
    print(f"{name:<22} {len(g):>8} {1e6 * t_bridge / n:>12.2f} {1e6 * t_direct / n:>12.2f} "
          f"{100 * (t_bridge / t_direct - 1):>+10.1f}% {diff:>10.1e}")
    nd = jax.device_count()
    if nd > 1 and n % nd == 0:
        # one host call per device, concurrently (the evaluator releases the GIL)
        fp = jax.pmap(jax.vmap(jax.grad(loglik)))
        Ps = P.reshape(nd, n // nd, -1)
        t_pmap, t_vmap = median_times([lambda: fp(Ps).block_until_ready(),
                                       lambda: f(P).block_until_ready()], repeats)
        print(f"{'  pmap over ' + str(nd) + ' devices':<31} {1e6 * t_pmap / n:>12.2f} us/p, "
              f"speed-up over vmap {t_vmap / t_pmap:.2f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=100)
    ap.add_argument("--data", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=30)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    particles = rng.uniform(0.5, 2.0, size=(a.particles, 1))
    print(f"jit(vmap(grad(loglik))): {a.particles} particles, {a.data} data points, "
          f"{jax.device_count()} device(s), median of {a.repeats}")
    print(f"{'model':<22} {'vertices':>8} {'bridge us/p':>12} {'direct us/p':>12} {'overhead':>11} "
          f"{'max |diff|':>10}")
    bench("seed (exponential)", exponential_graph(), rng.exponential(0.5, a.data), particles, a.repeats)
    kg = kingman_graph(10, parameterized=True)
    # data: TMRCA-like times of the n = 10 coalescent at theta = 1 (E = 1.8)
    bench("Kingman n=10", kg, rng.gamma(4.0, 0.45, a.data), particles, a.repeats)


if __name__ == "__main__":
    main()
