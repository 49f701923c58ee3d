"""Random graphs built through the public API never crash: they build, convert and sample or raise."""
import numpy as np
from hypothesis import given, settings, strategies as st

from ptdalgorithms import Graph

edge = st.tuples(st.integers(0, 12), st.integers(0, 12),
                 st.one_of(st.floats(min_value=-1.0, max_value=5.0), st.sampled_from([np.nan, np.inf, 0.0])))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.lists(edge, max_size=40), st.integers(0, 2**32))
def test_random_graphs_never_crash(L, edges, seed):
    g = Graph(L)
    rng = np.random.default_rng(seed)
    verts = [g.starting_vertex()] + [g.find_or_create_vertex(rng.integers(-3, 3, size=L)) for _ in range(8)]
    for a, b, w in edges:
        try:
            verts[a % len(verts)].add_edge(verts[b % len(verts)], w)
        except ValueError:
            pass
    alpha, S, states = g.as_matrices()
    assert S.shape == (len(alpha), len(alpha)) and states.shape == (len(alpha), L)
    assert np.all(np.isfinite(S))
    try:
        g.validate()
        x = g.sample(20, seed=seed)
    except ValueError as e:
        # an improper graph, or a rate so small (e.g. 1e-308) that a holding time overflows
        assert "vertex" in str(e)
        return
    assert np.all(x >= 0) and np.all(np.isfinite(x))
    if len(alpha):
        h = Graph.from_matrices(alpha, S, states)
        np.testing.assert_allclose(h.as_matrices().S, S, atol=1e-12)
