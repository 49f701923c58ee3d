"""PTDALG_CPUS / set_cpu_devices: number of JAX CPU devices."""
import os
import subprocess
import sys
import textwrap

import pytest

from ptdalgorithms import devices


def _run(code, **env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=dict(os.environ, **env), timeout=300)


APPLY = """
    import warnings
    warnings.simplefilter("error")
    import ptdalgorithms
    from ptdalgorithms import devices
    devices.apply_env()   # idempotent; import ptdalgorithms applies it too once wired in
    import jax
    print(len(jax.devices("cpu")))
"""


def test_env_var_sets_device_count():
    res = _run(APPLY, PTDALG_CPUS="2")
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split()[-1] == "2"
    res = _run(APPLY, PTDALG_CPUS="3")
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split()[-1] == "3"


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "2x"])
def test_bad_env_value_raises(monkeypatch, value):
    monkeypatch.setenv("PTDALG_CPUS", value)
    with pytest.raises(ValueError, match="PTDALG_CPUS"):
        devices.apply_env()


@pytest.mark.parametrize("value", [0, -2, 1.5, "x", True])
def test_bad_set_cpu_devices_raises(value):
    with pytest.raises(ValueError):
        devices.set_cpu_devices(value)


def test_unset_or_empty_env_is_a_no_op(monkeypatch):
    monkeypatch.delenv("PTDALG_CPUS", raising=False)
    devices.apply_env()
    monkeypatch.setenv("PTDALG_CPUS", "")
    devices.apply_env()


def test_setting_after_backend_start_warns_once():
    code = """
        import warnings
        import jax, jax.numpy as jnp
        jnp.zeros(1).block_until_ready()        # backend starts with 1 CPU device
        from ptdalgorithms import devices
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            devices.set_cpu_devices(2)
            devices.set_cpu_devices(2)
            devices.set_cpu_devices(1)          # equal to the current count: nothing to say
        msgs = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
        print(len(msgs), len(jax.devices("cpu")))
        print(msgs[0] if msgs else "")
    """
    res = _run(code)
    assert res.returncode == 0, res.stderr[-2000:]
    first, message = res.stdout.strip().splitlines()[-2:]
    assert first == "1 1"
    assert "PTDALG_CPUS" in message and "before importing jax" in message


def test_set_cpu_devices_in_a_script():
    res = _run("""
        from ptdalgorithms import devices
        devices.set_cpu_devices(2)
        import jax
        print(jax.device_count())
    """)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split()[-1] == "2"
