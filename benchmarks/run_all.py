"""Run every benchmark script in this folder, one after the other, and summarise.

Each script runs in its own subprocess (with this Python interpreter), so one failing or crashing
benchmark does not stop the others; its output is streamed as it comes, and a table at the end lists
each script with its exit status and wall time.  The exit code is 1 if any benchmark failed.

    python benchmarks/run_all.py                    # all bench_*.py, in the order below
    python benchmarks/run_all.py build moments      # only bench_build.py and bench_moments.py
    python benchmarks/run_all.py --timeout 300      # give up on a script after 300 s
    python benchmarks/run_all.py --list             # list the scripts and what they compare against

The scripts run with the benchmarks folder as working directory, so the installed (compiled) package is
imported even when this is started from the repository root (where the source folder ``ptdalgorithms/``
would otherwise shadow it for scripts that start ``python -c`` children).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Preferred order (cheap first) and a one-line description; scripts not listed run afterwards.
KNOWN = {
    "bench_build.py": "graph construction: scalar vs vectorised from_callback (Kingman n = 20..50)",
    "bench_moments.py": "moments by elimination/replay vs dense numpy linear algebra; replay vs rebuild",
    "bench_distribution.py": "uniformisation pdf/cdf vs scipy expm_multiply; batch with 1 vs 2 threads",
    "bench_jax.py": "JAX bridge jit(vmap(grad)) vs the batch evaluator called directly",
    "bench_svgd.py": "SVGD seconds per iteration, vmap vs pmap over 2 CPU devices",
}


def discover(selected: list[str]) -> list[Path]:
    found = {p.name: p for p in HERE.glob("bench_*.py")}
    order = [n for n in KNOWN if n in found] + sorted(n for n in found if n not in KNOWN)
    if not selected:
        return [found[n] for n in order]
    out = []
    for s in selected:
        name = s if s.endswith(".py") else f"bench_{s.removeprefix('bench_')}.py"
        if name not in found:
            raise SystemExit(f"no benchmark {name!r} in {HERE} (have: {', '.join(order) or 'none'})")
        out.append(found[name])
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, {platform.system()}"


def run(script: Path, timeout: float | None) -> tuple[str, float]:
    print(f"\n{'=' * 100}\n{script.name}: {KNOWN.get(script.name, '')}\n{'=' * 100}", flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE, timeout=timeout)
        status = "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        status = f"timed out after {timeout:g} s"
    except OSError as exc:
        status = f"could not start: {exc}"
    secs = time.perf_counter() - t0
    print(f"--- {script.name}: {status} in {secs:.1f} s", flush=True)
    return status, secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="benchmarks to run (e.g. build moments); default all")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per script (default none)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)

    scripts = discover(args.names)
    if args.list:
        for s in scripts:
            print(f"{s.name:24} {KNOWN.get(s.name, '')}")
        return 0
    if not scripts:
        print(f"no bench_*.py scripts in {HERE}")
        return 1

    print(f"ptdalgorithms benchmarks, {datetime.now():%Y-%m-%d %H:%M}")
    print(f"machine: {machine()}")
    results = [(s.name, *run(s, args.timeout)) for s in scripts]

    print(f"\n{'benchmark':24} {'status':28} {'seconds':>8}")
    for name, status, secs in results:
        print(f"{name:24} {status:28} {secs:8.1f}")
    return 0 if all(status == "ok" for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
