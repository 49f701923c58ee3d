"""ptdalgorithms: phase-type distributions as graphs.

Build a continuous- or discrete-time Markov chain as a state graph (:class:`Graph`), then compute what
its absorption time implies exactly: moments, covariances under rewards, distribution functions and
samples.  Edge weights may depend linearly on a parameter vector, which the JAX bridge
(:func:`pmf_from_graph`) and :class:`SVGD` fit to data.

``PTDALG_CPUS=N`` in the environment, read at import, sets the number of JAX CPU devices (see
:func:`set_cpu_devices`); it must be set before JAX is first used.
"""
from ptdalgorithms import devices as _devices

_devices.apply_env()  # first: PTDALG_CPUS must reach JAX before anything initialises its backend

from ptdalgorithms._distribution import DistributionContext  # noqa: E402
from ptdalgorithms._graph import Edge, Graph, PhaseTypeMatrices, Vertex  # noqa: E402
from ptdalgorithms.devices import set_cpu_devices  # noqa: E402
from ptdalgorithms.jax_bridge import (  # noqa: E402
    moments_from_graph,
    pmf_and_moments_from_graph,
    pmf_from_graph,
)
from ptdalgorithms.svgd import SVGD  # noqa: E402

__all__ = [
    "Graph",
    "Vertex",
    "Edge",
    "PhaseTypeMatrices",
    "DistributionContext",
    "pmf_from_graph",
    "moments_from_graph",
    "pmf_and_moments_from_graph",
    "set_cpu_devices",
    "SVGD",
]
__version__ = "0.1.0"
