"""Benchmark of the distribution functions (one run, printed; no asserts).

1. Kingman coalescent n = 30 (5,603 transient states): pdf and cdf at 100 times in [0, 6], seconds
   and max error against scipy.sparse.linalg.expm_multiply.
2. Batch: 100 theta x 100 times on a parameterised Kingman n = 10 (theta scales all coalescence
   rates) with gradients; time per theta with 1 and 2 OpenMP threads (subprocesses).
3. Stiff model (rates 1e-3 .. 1e3): times up to 1e3 E[T]; cost in seconds and steps.

Run:  python benchmarks/bench_distribution.py
"""
import os
import subprocess
import sys
import time

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from ptdalgorithms import Graph
from ptdalgorithms import _distribution as D
from ptdalgorithms.examples.coalescent import kingman_graph


def bench_kingman30():
    t0 = time.perf_counter()
    g = kingman_graph(30)
    t_build = time.perf_counter() - t0
    alpha, S, _ = g.as_matrices()
    print(f"Kingman n=30: {len(g)} vertices ({len(alpha)} transient), {g.n_edges} edges, "
          f"built in {t_build:.2f} s")
    times = np.linspace(0, 6, 100)
    D.pdf(g, times[:2])  # warm-up (CSR build)
    t0 = time.perf_counter()
    f = D.pdf(g, times)
    t_pdf = time.perf_counter() - t0
    t0 = time.perf_counter()
    F = D.cdf(g, times)
    t_cdf = time.perf_counter() - t0

    t0 = time.perf_counter()
    A = scipy.sparse.csr_matrix(S).T.tocsr()
    V = scipy.sparse.linalg.expm_multiply(A, alpha, start=0, stop=6, num=100, endpoint=True)
    t_ref = time.perf_counter() - t0
    s = -S.sum(axis=1)
    f_ref, F_ref = V @ s, 1 - V.sum(axis=1)
    print(f"  pdf at 100 times: {t_pdf:.3f} s, max |error| vs expm_multiply {np.abs(f - f_ref).max():.1e}")
    print(f"  cdf at 100 times: {t_cdf:.3f} s, max |error| vs expm_multiply {np.abs(F - F_ref).max():.1e}")
    print(f"  total {t_pdf + t_cdf:.3f} s (target <= 0.5 s); scipy expm_multiply took {t_ref:.2f} s")


_BATCH_CHILD = """
import time, numpy as np
from ptdalgorithms import Graph
from ptdalgorithms import _distribution as D
from ptdalgorithms.examples.coalescent import kingman_graph
g = kingman_graph(10, parameterized=True)
rng = np.random.default_rng(0)
thetas = rng.uniform(0.5, 2.0, (100, 1))
times = np.linspace(0.05, 4.0, 100)
D.batch_pdf(g, thetas[:2], times)
best = 1e9
for _ in range(3):
    t0 = time.perf_counter()
    v, gr = D.batch_pdf(g, thetas, times, gradient=True)
    best = min(best, time.perf_counter() - t0)
print(best, len(g), g.n_edges, float(np.abs(v).sum()), float(np.abs(gr).sum()))
"""


def bench_batch():
    here = os.path.dirname(os.path.abspath(__file__))
    res = {}
    for nt in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=nt)
        out = subprocess.run([sys.executable, "-c", _BATCH_CHILD.format(here=here)], env=env,
                             capture_output=True, text=True, timeout=300)
        if out.returncode:
            print(out.stderr)
            return
        best, nv, ne, sv, sg = out.stdout.split()
        res[nt] = (float(best), sv, sg)
    print(f"Batch pdf+gradient, Kingman n=10 ({nv} vertices, {ne} edges), 100 theta x 100 times:")
    for nt, (best, sv, sg) in res.items():
        print(f"  OMP_NUM_THREADS={nt}: {best:.3f} s total, {1e3 * best / 100:.2f} ms per theta")
    print(f"  speed-up 1 -> 2 threads: {res['1'][0] / res['2'][0]:.2f}x; "
          f"same results: {res['1'][1:] == res['2'][1:]}")


def stiff_graph(seed=21, n_t=12):
    rng = np.random.default_rng(seed)
    g = Graph(1)
    tr = [g.find_or_create_vertex([i + 1]) for i in range(n_t)]
    ab = [g.find_or_create_vertex([-1]), g.find_or_create_vertex([-2])]
    g.starting_vertex().add_edge(tr[0], 1.0)
    for i, v in enumerate(tr):
        for j in set(rng.choice(n_t, size=4)) - {i}:
            v.add_edge(tr[j], float(10 ** rng.uniform(-3, 3)))
        if rng.uniform() < 0.3 or i == n_t - 1:
            v.add_edge(ab[rng.integers(2)], float(10 ** rng.uniform(-3, 3)))
        if i + 1 < n_t:
            v.add_edge(tr[i + 1], 1e-3)
    slow = g.find_or_create_vertex([n_t + 1])
    tr[0].add_edge(slow, 1.0)
    slow.add_edge(ab[0], 1e-3)
    return g


def bench_stiff():
    import scipy.linalg
    g = stiff_graph()
    alpha, S, _ = g.as_matrices()
    rates = -np.diag(S)
    mean = alpha @ np.linalg.solve(-S, np.ones(len(alpha)))
    times = mean * np.array([0.1, 1.0, 10.0, 100.0, 1000.0])
    t0 = time.perf_counter()
    f = D.pdf(g, times)
    dt = time.perf_counter() - t0
    ref = np.array([alpha @ scipy.linalg.expm(S * t) @ (-S.sum(axis=1)) for t in times])
    lam = rates.max()
    print(f"Stiff model: {len(alpha)} transient states, total rates {rates.min():.1e} .. {rates.max():.1e}, "
          f"E[T] = {mean:.3g}")
    print(f"  pdf at t = 0.1 .. 1000 E[T] (Lambda t_max = {lam * times[-1]:.2e}): {dt:.2f} s, "
          f"max |error| vs expm {np.abs(f - ref).max():.1e}")
    t0 = time.perf_counter()
    D.pdf(g, times[:3])
    print(f"  same up to 10 E[T] only: {time.perf_counter() - t0:.2f} s "
          f"(cost: min(Lambda t_max, early-stop step) sweeps of O(|E|); the sweep stops once the "
          f"transient mass < tol/Lambda)")


if __name__ == "__main__":
    bench_kingman30()
    bench_batch()
    bench_stiff()
