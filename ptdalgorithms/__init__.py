"""ptdalgorithms: phase-type distributions as graphs.

Build a continuous- or discrete-time Markov chain as a state graph (:class:`Graph`), then compute what
its absorption time implies exactly: moments, covariances under rewards, distribution functions and
samples.  Edge weights may depend linearly on a parameter vector, which the JAX bridge and
:class:`SVGD` fit to data.
"""
from ptdalgorithms._graph import Edge, Graph, PhaseTypeMatrices, Vertex

__all__ = ["Graph", "Vertex", "Edge", "PhaseTypeMatrices"]
__version__ = "0.1.0"
