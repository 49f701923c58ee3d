"""The seed example: an exponential distribution with rate ``theta``, as a three-vertex graph."""
from __future__ import annotations

from ptdalgorithms import Graph


def exponential_graph() -> Graph:
    """The seed example: ``S -> [2] -> [1]`` with rate ``theta`` out of ``[2]``.

    The starting vertex moves to ``[2]`` with probability 1; ``[2]`` has one parameterised edge
    (base 0, coefficient 1) to the absorbing vertex ``[1]``.  The absorption time is therefore
    exponential with rate ``theta``: pdf ``theta * exp(-theta * t)``, mean ``1 / theta``.

    Returns
    -------
    Graph
        A graph with ``state_length`` 1 and ``param_length`` 1.  No ``theta`` is set (the
        parameterised edge has weight 0 until :meth:`Graph.update_parameterized_weights` is called).

    Examples
    --------
    >>> g = exponential_graph()
    >>> g.update_parameterized_weights([4.0])
    >>> g.expectation()
    0.25
    """
    g = Graph(state_length=1)
    start = g.starting_vertex()
    v2 = g.find_or_create_vertex([2])
    v1 = g.find_or_create_vertex([1])
    start.add_edge(v2, 1.0)
    v2.add_edge_parameterized(v1, 0.0, [1.0])
    return g
