"""Build Kingman coalescent graphs (block-counting states) through Graph.from_callback.

Prints vertices, edges, seconds and peak memory for n = 20, 30, 40, 50, for the per-state Python
callback and for the vectorised callback, and how the vectorised time splits between the user's numpy
callback and the graph work in C.  Each size runs in a fresh subprocess so peak memory is its own.

    python benchmarks/bench_build.py [n ...]
"""
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from ptdalgorithms import Graph
from ptdalgorithms.examples import coalescent as c
n, vec = int(sys.argv[1]), sys.argv[2] == "1"
spent = [0.0]
def timed(states):
    t = time.perf_counter(); r = c.kingman_vectorized(states); spent[0] += time.perf_counter() - t; return r
t0 = time.perf_counter()
import numpy as np
init = np.zeros(n, dtype=np.int32); init[0] = n
if vec:
    g = Graph.from_callback(timed, init, vectorized=True)
else:
    def cb(s):
        t = time.perf_counter(); r = c.kingman_callback(s); spent[0] += time.perf_counter() - t; return r
    g = Graph.from_callback(cb, init)
secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(n=n, vec=vec, vertices=len(g), edges=g.n_edges, secs=secs, callback=spent[0], peak_mb=peak)))
"""


def run(n, vec):
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), "1" if vec else "0"], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [20, 30, 40, 50]
    print(f"{'n':>3} {'mode':>10} {'vertices':>9} {'edges':>9} {'seconds':>8} {'callback s':>10} "
          f"{'graph s':>8} {'peak MB':>8}")
    for n in sizes:
        for vec in (False, True):
            if not vec and n > 40:
                print(f"{n:>3} {'scalar':>10}   skipped (use the vectorised path at this size)")
                continue
            r = run(n, vec)
            print(f"{n:>3} {'vectorized' if vec else 'scalar':>10} {r['vertices']:>9} {r['edges']:>9} "
                  f"{r['secs']:>8.2f} {r['callback']:>10.2f} {r['secs'] - r['callback']:>8.2f} "
                  f"{r['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
