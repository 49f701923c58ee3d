"""SVGD over several JAX CPU devices.  Each test runs a fresh interpreter, because the number of CPU devices
is fixed when JAX starts (PTDALG_CPUS)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from _svgd_helpers import exponential_lognormal_posterior

HERE = os.path.dirname(os.path.abspath(__file__))

# The device count is set by PTDALG_CPUS, applied by ``import ptdalgorithms`` before JAX starts.
PRELUDE = """
import json, os, sys, warnings
warnings.simplefilter("error", DeprecationWarning)
warnings.simplefilter("error", FutureWarning)
import ptdalgorithms
import jax
assert jax.device_count() == int(os.environ["PTDALG_CPUS"]), jax.device_count()
sys.path.insert(0, {here!r})
import numpy as np
"""


def run(code: str, n_cpus: int, timeout: float = 300):
    env = dict(os.environ, PTDALG_CPUS=str(n_cpus))
    src = textwrap.dedent(PRELUDE.format(here=HERE)) + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, env=env, timeout=timeout)
    assert "mesh should be the same" not in proc.stderr
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def last_json(stdout: str) -> dict:
    return json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])


SEED_EXAMPLE = """
from ptdalgorithms import Graph
from ptdalgorithms.examples.exponential import exponential_graph
try:
    from ptdalgorithms import SVGD
except ImportError:  # until the package exports it
    from ptdalgorithms.svgd import SVGD
g = exponential_graph()
g_true = g.clone(); g_true.update_parameterized_weights([2.0])
data = np.asarray(g_true.sample(100, seed=2024))
model = Graph.pmf_from_graph(g, discrete=False, param_length=1)
svgd = SVGD(model=model, observed_data=data, theta_dim=1, n_particles=24, n_iterations=100,
            parallel='pmap', n_devices=8, verbose=True)
svgd.fit()
print(json.dumps(dict(n=len(data), data=data.tolist(),
                      mean=float(svgd.posterior_mean[0]), std=float(svgd.posterior_std[0]),
                      n_devices=jax.device_count())))
"""


def test_seed_example_pmap_8_devices():
    # the real JAX bridge (io_callback host calls) under pmap over 8 CPU devices in an explicit mesh
    proc = run(SEED_EXAMPLE, 8)
    assert "Posterior mean: [" in proc.stdout and "Posterior std: [" in proc.stdout
    res = last_json(proc.stdout)
    assert res["n_devices"] == 8
    mean, sd = exponential_lognormal_posterior(res["data"])  # default prior: log theta ~ N(0, 2^2)
    assert abs(res["mean"] - mean) < 0.2 * sd, (res["mean"], mean, sd)
    assert abs(res["std"] / sd - 1) < 0.25


MODES_AGREE = """
from ptdalgorithms.svgd import SVGD
from _svgd_helpers import exponential_model
data = np.random.default_rng(5).exponential(0.5, 40)
out = {}
for mode in ("vmap", "pmap", "none"):
    s = SVGD(model=exponential_model, observed_data=data, n_particles=8, n_iterations=25, parallel=mode,
             n_devices=2 if mode == "pmap" else None, seed=3, history_every=10)
    s.fit()
    out[mode] = s
ref = out["vmap"]
diff = {m: float(np.max(np.abs(out[m].particles - ref.particles))) for m in out}
hdiff = {m: float(np.max(np.abs(out[m].history - ref.history))) for m in out}
# parallel=None picks pmap over both devices; a particle count that does not divide is rounded up
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    auto = SVGD(model=exponential_model, observed_data=data, n_particles=7, n_iterations=5, seed=3)
auto.fit()
print(json.dumps(dict(diff=diff, hdiff=hdiff, scale=float(np.max(np.abs(ref.particles))),
                      auto_mode=auto.parallel, auto_devices=auto.n_devices, auto_n=int(auto.particles.shape[0]),
                      warned=[str(x.message) for x in w])))
"""


def test_vmap_pmap_none_agree_on_two_devices():
    res = last_json(run(MODES_AGREE, 2).stdout)
    for mode in ("pmap", "none"):
        assert res["diff"][mode] <= 1e-10 * max(1.0, res["scale"]), res
        assert res["hdiff"][mode] <= 1e-10 * max(1.0, res["scale"]), res
    assert res["auto_mode"] == "pmap" and res["auto_devices"] == 2 and res["auto_n"] == 8
    assert any("not a multiple of n_devices=2" in m for m in res["warned"])


TOO_MANY = """
from ptdalgorithms.svgd import SVGD
try:
    SVGD(log_prob=lambda t: -0.5 * (t ** 2).sum(), theta_dim=1, parallel="pmap", n_devices=4)
except ValueError as e:
    print(json.dumps(dict(msg=str(e))))
"""


def test_more_devices_than_exist_names_ptdalg_cpus():
    msg = last_json(run(TOO_MANY, 2).stdout)["msg"]
    assert "PTDALG_CPUS" in msg and "only 2 device" in msg


REPULSION_PMAP = """
from ptdalgorithms.svgd import SVGD
init = 3.0 + 0.1 * np.random.default_rng(5).standard_normal((100, 1))
s = SVGD(log_prob=lambda t: -0.5 * (t ** 2).sum(), theta_dim=1, transform=None, n_particles=100,
         n_iterations=500, parallel="pmap", n_devices=4, init=init)
s.fit()
print(json.dumps(dict(mean=float(s.particles.mean()), sd=float(s.particles.std()))))
"""


def test_repulsion_under_pmap():
    res = last_json(run(REPULSION_PMAP, 4).stdout)
    assert abs(res["mean"]) < 0.1 and abs(res["sd"] - 1) < 0.1
