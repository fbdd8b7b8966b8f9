"""Structure checks on a resolved program: topology and dataflow graphs (networkx), placement,
fit and connectivity rules.

For later phases:

* ``topology_graph(platform) -> Topology`` and ``path_between(topo, a, b) -> PathInfo | None``
  (``links``, ``bottleneck_bandwidth`` in B/s after efficiency, ``latency`` in s);
  ``Topology.memory_path(device, memory)``, ``Topology.common_link(devices)``;
* ``dataflow_graph(pipeline, program) -> nx.DiGraph`` whose edges carry a ``Payload``;
* ``kv_fit(stage, model, device_spec) -> KVFit`` (KV tokens per client);
* ``check_program(program) -> CheckResult`` with ``diagnostics``, ``info`` and ``graphs``
  (a ``Graphs``: ``topologies``, ``dataflows``, ``path(a, b)``, ``kv_fits``, ``transfers``).
"""

from hermes_dsl.check.dataflow import Payload, dataflow_graph, forward_graph, payload_of
from hermes_dsl.check.fit import KVFit, kv_bytes_per_token_per_device, kv_fit
from hermes_dsl.check.rules import CheckResult, Graphs, Info, Transfer, build_graphs, check_program
from hermes_dsl.check.topology import PathInfo, Topology, path_between, topology_graph

__all__ = [
    "CheckResult",
    "Graphs",
    "Info",
    "KVFit",
    "PathInfo",
    "Payload",
    "Topology",
    "Transfer",
    "build_graphs",
    "check_program",
    "dataflow_graph",
    "forward_graph",
    "kv_bytes_per_token_per_device",
    "kv_fit",
    "path_between",
    "payload_of",
    "topology_graph",
]
