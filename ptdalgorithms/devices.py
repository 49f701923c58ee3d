"""Number of JAX CPU devices: the ``PTDALG_CPUS`` environment variable and `set_cpu_devices`.

JAX decides how many CPU devices it exposes when its backend starts (the first JAX operation).  To run
``pmap`` over several CPU devices (one per core), set the count *before* that:

    PTDALG_CPUS=4 python my_script.py          # applied at ``import ptdalgorithms``

or, in a script, call ``ptdalgorithms.set_cpu_devices(4)`` before any JAX computation.  The count is
set with ``jax.config.update('jax_num_cpu_devices', n)`` where the installed JAX has that option,
otherwise with ``XLA_FLAGS=--xla_force_host_platform_device_count=n``.  If JAX's backend has already
started with a different count, the request cannot take effect: a warning (once) says so and how to fix
it (set ``PTDALG_CPUS`` before importing jax or ptdalgorithms).

``import ptdalgorithms`` imports JAX (for the bridge and SVGD); this module applies ``PTDALG_CPUS``
first, before anything can start JAX's backend.
"""
from __future__ import annotations

import os
import re
import warnings

__all__ = ["apply_env", "set_cpu_devices", "parse_cpu_count", "ENV_VAR"]

ENV_VAR = "PTDALG_CPUS"
_warned = False


def parse_cpu_count(value) -> int:
    """The device count from an environment string or a number; ValueError unless an integer >= 1."""
    text = str(value).strip()
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"{ENV_VAR} must be a positive integer (number of JAX CPU devices), "
                         f"got {value!r}") from None
    if isinstance(value, float) and value != n:
        raise ValueError(f"the number of CPU devices must be an integer, got {value!r}")
    if n < 1:
        raise ValueError(f"{ENV_VAR} must be a positive integer (number of JAX CPU devices), "
                         f"got {value!r}")
    return n


def _backend_started() -> bool:
    try:
        from jax._src import xla_bridge
        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # pragma: no cover - other JAX versions
        return False


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def set_cpu_devices(n: int) -> None:
    """Ask JAX for ``n`` CPU devices (call before any JAX computation).

    Parameters
    ----------
    n : int
        Number of CPU devices, >= 1.  For ``pmap`` over particles, the number of cores is a good choice.

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1.

    Warns
    -----
    RuntimeWarning
        Once, if JAX's backend already started with a different number of CPU devices (the request
        then has no effect).
    """
    if isinstance(n, bool):
        raise ValueError(f"the number of CPU devices must be an integer, got {n!r}")
    n = parse_cpu_count(n)
    import jax
    if _backend_started():
        have = len(jax.devices("cpu"))
        if have != n:
            _warn_once(
                f"ptdalgorithms: cannot set {n} JAX CPU devices: JAX's backend already started with "
                f"{have}.  Set {ENV_VAR}={n} in the environment before importing jax or "
                f"ptdalgorithms (or call ptdalgorithms.set_cpu_devices({n}) before any JAX "
                f"computation).")
        return
    if "jax_num_cpu_devices" in jax.config.values:
        jax.config.update("jax_num_cpu_devices", n)
    else:  # older JAX: the XLA flag, read when the backend starts
        flags = re.sub(r"--xla_force_host_platform_device_count=\S+", "",
                       os.environ.get("XLA_FLAGS", "")).strip()
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={n}".strip()


def apply_env() -> None:
    """Apply ``PTDALG_CPUS`` if set (called at ``import ptdalgorithms``); no-op otherwise.

    Raises
    ------
    ValueError
        If ``PTDALG_CPUS`` is set to something other than an integer >= 1.
    """
    value = os.environ.get(ENV_VAR)
    if value is None or value.strip() == "":
        return
    set_cpu_devices(parse_cpu_count(value))
