"""Graph construction, lookup, matrices and every documented error."""
import gc

import numpy as np
import pytest

from ptdalgorithms import Edge, Graph, Vertex
from ptdalgorithms.examples.coalescent import kingman_graph


def two_state_graph():
    g = Graph(state_length=2)
    a = g.find_or_create_vertex([1, 0])
    b = g.find_or_create_vertex([0, 1])
    z = g.find_or_create_vertex([0, 0])
    g.starting_vertex().add_edge(a, 0.25)
    g.starting_vertex().add_edge(b, 0.75)
    a.add_edge(b, 2.0)
    a.add_edge(z, 1.0)
    b.add_edge(a, 0.5)
    b.add_edge(z, 3.0)
    return g, a, b, z


def test_basic_structure():
    g, a, b, z = two_state_graph()
    assert len(g) == 4 and g.n_edges == 6 and g.state_length == 2
    assert g.starting_vertex().index == 0
    assert g.find_vertex([1, 0]) == a and g.find_vertex([7, 7]) is None
    # an all-zero state is an ordinary state, never the start
    assert g.find_vertex([0, 0]) == z and z.index != 0
    assert g.find_or_create_vertex(np.array([0, 1], dtype=np.int64)) == b
    np.testing.assert_array_equal(g.states(), [[0, 0], [1, 0], [0, 1], [0, 0]])
    assert [v.index for v in g.vertices()] == [0, 1, 2, 3]
    assert g.vertex_at(-1) == z
    assert a.rate == 3.0 and b.rate == 3.5
    assert [(e.to.index, e.weight) for e in a.edges()] == [(2, 2.0), (3, 1.0)]
    assert isinstance(a.edges()[0], Edge) and isinstance(a, Vertex)
    assert not g.is_acyclic()
    g.validate()


def test_duplicate_edges_merge():
    g, a, b, z = two_state_graph()
    a.add_edge(z, 1.5)
    assert [(e.to.index, e.weight) for e in a.edges()] == [(2, 2.0), (3, 2.5)]
    a.add_edge_parameterized(z, 0.5, [2.0])
    (e,) = [e for e in a.edges() if e.to == z]
    assert e.base_weight == 3.0 and e.coefficients.tolist() == [2.0]
    g.update_parameterized_weights([0.25])
    assert e.weight == 3.5


def test_as_matrices_and_round_trip():
    g, a, b, z = two_state_graph()
    alpha, S, states = g.as_matrices()
    np.testing.assert_allclose(alpha, [0.25, 0.75])
    np.testing.assert_allclose(S, [[-3.0, 2.0], [0.5, -3.5]])
    np.testing.assert_array_equal(states, [[1, 0], [0, 1]])
    h = Graph.from_matrices(alpha, S, states)
    a2, S2, st2 = h.as_matrices()
    np.testing.assert_allclose(a2, alpha, rtol=0, atol=1e-15)
    np.testing.assert_allclose(S2, S, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(st2, states)


def test_start_weights_are_normalised_and_defect():
    g = Graph(1)
    v = g.find_or_create_vertex([1])
    z = g.find_or_create_vertex([0])
    g.starting_vertex().add_edge(v, 3.0)
    g.starting_vertex().add_edge(z, 1.0)  # to an absorbing vertex: defect 1/4
    v.add_edge(z, 1.0)
    alpha, S, _ = g.as_matrices()
    np.testing.assert_allclose(alpha, [0.75])
    h = Graph.from_matrices([0.2, 0.3], [[-1.0, 0.5], [0.0, -2.0]])
    np.testing.assert_allclose(h.as_matrices().alpha, [0.2, 0.3])


@pytest.mark.parametrize("n, expected", [(3, 4), (4, 6), (20, 628), (30, 5605)])
def test_kingman_vertex_counts(n, expected):
    for vectorized in (False, True):
        g = kingman_graph(n, vectorized=vectorized)
        assert len(g) == expected
        alpha, S, states = g.as_matrices()
        assert S.shape == (expected - 2, expected - 2)
        assert abs(alpha.sum() - 1) < 1e-15
        assert np.all(S.sum(axis=1) <= 1e-12)
        # every block-counting state accounts for all n genes
        np.testing.assert_array_equal(states @ np.arange(1, n + 1), n)


def test_kingman_scalar_and_vectorized_agree():
    g1, g2 = kingman_graph(8), kingman_graph(8, vectorized=True)
    m1, m2 = g1.as_matrices(), g2.as_matrices()
    # same states and rates; the vertex order may differ
    order = [g2.find_vertex(s).index for s in m1.states]
    pos = {v: i for i, v in enumerate(g2.find_vertex(s).index for s in m2.states)}
    perm = [pos[v] for v in order]
    np.testing.assert_array_equal(m2.states[perm], m1.states)
    np.testing.assert_array_equal(m2.S[np.ix_(perm, perm)], m1.S)
    np.testing.assert_array_equal(m2.alpha[perm], m1.alpha)


def test_clone_is_independent():
    g, a, b, z = two_state_graph()
    h = g.clone()
    a.add_edge(z, 10.0)
    assert h.vertex_at(1).rate == 3.0 and a.rate == 13.0


def test_views_keep_graph_alive():
    g, a, b, z = two_state_graph()
    e = a.edges()[0]
    del g, b, z
    gc.collect()
    assert e.to.state.tolist() == [0, 1]
    assert a.graph.find_vertex([1, 0]) == a


def test_parameterized_edges():
    g = Graph(state_length=1)
    v2, v1 = g.find_or_create_vertex([2]), g.find_or_create_vertex([1])
    g.starting_vertex().add_edge(v2, 1.0)
    v2.add_edge_parameterized(v1, 0.5, [1.0, 2.0])
    assert g.param_length == 2 and g.theta is None
    assert v2.edges()[0].weight == 0.5
    g.update_parameterized_weights([1.0, 0.25])
    assert v2.edges()[0].weight == 2.0
    np.testing.assert_array_equal(g.theta, [1.0, 0.25])
    with pytest.raises(ValueError, match="theta has length 1"):
        g.update_parameterized_weights([1.0])
    with pytest.raises(ValueError, match="negative|non-negative"):
        g.update_parameterized_weights([-5.0, 0.0])
    assert v2.edges()[0].weight == 2.0  # unchanged after a rejected theta
    with pytest.raises(ValueError, match="not finite"):
        g.update_parameterized_weights([np.nan, 0.0])


def test_from_callback_parameterized():
    def cb(state):
        k = state[0]
        return [] if k == 0 else [([k - 1], 0.0, [float(k)])]
    g = Graph.from_callback(cb, [3])
    assert len(g) == 5 and g.param_length == 1
    g.update_parameterized_weights([2.0])
    np.testing.assert_allclose(-np.diag(g.as_matrices().S), [6.0, 4.0, 2.0])


# ---------------------------------------------------------------------------- errors
@pytest.fixture
def g2():
    return two_state_graph()


@pytest.mark.parametrize("weight, exc, frag", [
    (-1.0, ValueError, "non-negative"),
    (float("nan"), ValueError, "non-negative"),
    (float("inf"), ValueError, "non-negative"),
    ("x", TypeError, "real number"),
])
def test_bad_weights(g2, weight, exc, frag):
    g, a, b, z = g2
    with pytest.raises(exc, match=frag):
        a.add_edge(z, weight)
    with pytest.raises(exc, match=frag):
        a.add_edge_parameterized(z, weight, [1.0])


def test_structural_errors(g2):
    g, a, b, z = g2
    with pytest.raises(ValueError, match=r"self-loop on vertex with state \[1, 0\]"):
        a.add_edge(a, 1.0)
    with pytest.raises(ValueError, match="starting vertex cannot be the target"):
        a.add_edge(g.starting_vertex(), 1.0)
    other = Graph(2).find_or_create_vertex([1, 0])
    with pytest.raises(ValueError, match="another graph"):
        a.add_edge(other, 1.0)
    with pytest.raises(TypeError):
        a.add_edge("not a vertex", 1.0)
    with pytest.raises(ValueError, match="not finite"):
        a.add_edge_parameterized(z, 1.0, [np.nan])


@pytest.mark.parametrize("state, frag", [
    ([1], "length 1"),
    ([1, 2, 3], "length 3"),
    ([2**31, 0], "int32"),
    ([-(2**31) - 1, 0], "int32"),
    ([1.5, 0], "non-integer"),
    (np.array([1.5, 0.0]), "non-integer"),
    (np.array(["a", "b"]), "integers"),
])
def test_bad_states(g2, state, frag):
    g = g2[0]
    with pytest.raises(ValueError, match=frag):
        g.find_or_create_vertex(state)


def test_bad_graph_arguments():
    with pytest.raises(ValueError, match="state_length"):
        Graph(0)
    with pytest.raises(IndexError):
        Graph(1).vertex_at(5)
    with pytest.raises(TypeError):
        Vertex()


@pytest.mark.parametrize("alpha, S, frag", [
    ([1.0], [[-1.0, 0.0]], "square"),
    ([1.0, 0.0], [[-1.0]], "alpha has length 2"),
    ([1.0], [[1.0]], "sums to"),
    ([0.5, 0.5], [[-1.0, -0.5], [0.0, -1.0]], "off-diagonal"),
    ([0.5, 0.5], [[-1.0, 2.0], [0.0, -1.0]], "sums to"),
    ([0.8, 0.8], [[-1.0, 0.0], [0.0, -1.0]], "alpha sums to"),
    ([-0.1, 0.5], [[-1.0, 0.0], [0.0, -1.0]], "alpha"),
    ([1.0], [[np.nan]], "not finite"),
    ([1.0, 0.0], [[-1.0, 0.0], [0.0, 0.0]], "diagonal"),
])
def test_bad_matrices(alpha, S, frag):
    with pytest.raises(ValueError, match=frag):
        Graph.from_matrices(alpha, S)


def test_from_matrices_rejects_repeated_states():
    with pytest.raises(ValueError, match="distinct"):
        Graph.from_matrices([1.0, 0.0], [[-1.0, 0.0], [0.0, -1.0]], states=[[1], [1]])


def test_validate_names_the_vertex():
    g = Graph(1)
    a, b, z = (g.find_or_create_vertex([k]) for k in (1, 2, 0))
    g.starting_vertex().add_edge(a, 1.0)
    a.add_edge(b, 1.0)
    b.add_edge(a, 1.0)  # a <-> b closed class: never absorbs
    with pytest.raises(ValueError, match=r"state \[1\].*cannot reach an absorbing"):
        g.validate()
    with pytest.raises(ValueError, match="cannot reach an absorbing"):
        g.sample(1)
    h = Graph(1)
    h.find_or_create_vertex([1])
    with pytest.raises(ValueError, match="starting vertex has no out-edge"):
        h.validate()
    d = Graph(1)
    x, y = d.find_or_create_vertex([1]), d.find_or_create_vertex([0])
    d.starting_vertex().add_edge(x, 1.0)
    x.add_edge(y, 1.5)
    with pytest.raises(ValueError, match=r"sum to 1.5 > 1"):
        d.validate(discrete=True)


def test_callback_errors():
    with pytest.raises(ValueError, match="must return"):
        Graph.from_callback(lambda s: [5], [1])
    with pytest.raises(ValueError, match="length"):
        Graph.from_callback(lambda s: [([1, 2], 1.0)] if s[0] else [], [1])
    with pytest.raises(ValueError, match="self-loop"):
        Graph.from_callback(lambda s: [(s, 1.0)], [1])
    with pytest.raises(ZeroDivisionError):
        Graph.from_callback(lambda s: 1 / 0, [1])
    with pytest.raises(ValueError, match="rows"):
        Graph.from_callback(lambda s: (np.array([5]), np.zeros((1, 1), int), np.ones(1)), [1],
                            vectorized=True)
