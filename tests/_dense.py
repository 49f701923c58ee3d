"""Dense-matrix forms of a Graph built directly from its edges (independent of the C code)."""
import numpy as np


def full_generator(g):
    """Dense generator over all non-start vertices (absorbing rows zero) and the initial vector,
    built directly from the edges (independent of the C code)."""
    n = len(g)
    Q = np.zeros((n - 1, n - 1))
    for v in g.vertices()[1:]:
        for e in v.edges():
            Q[v.index - 1, e.to.index - 1] += e.weight
            Q[v.index - 1, v.index - 1] -= e.weight
    p0 = np.zeros(n - 1)
    es = g.starting_vertex().edges()
    tot = sum(e.weight for e in es)
    for e in es:
        p0[e.to.index - 1] += e.weight / tot
    return p0, Q
