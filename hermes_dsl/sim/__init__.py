"""The simulation runtime: an event loop, LLM clients with paged KV caches, workloads, metrics.

Usable on its own from Python (generated spec modules call exactly this API)::

    from hermes_dsl.sim import (LLMClient, KVCache, LinearCost, continuous, Workload,
                                PoissonArrivals, FixedLength, simulate)
    reqs = Workload(PoissonArrivals(8.0), FixedLength(512), FixedLength(128), 1000).generate(1)
    client = LLMClient(name="gpu0", cost=LinearCost(base=5e-3, per_prefill_token=2e-5),
                       kv=KVCache(num_blocks=8000), policy=continuous(max_batch=128))
    result = simulate(reqs, client)
    result.summary(ttft=0.25, tpot=0.025)

All values are SI floats: seconds, bytes, bytes per second, watts.
"""

from hermes_dsl.sim.batching import BatchingPolicy, chunked, continuous, mixed, static
from hermes_dsl.sim.client import ClientStats, LLMClient, SimulationStalled
from hermes_dsl.sim.costs import FixedCost, IterationCost, LinearCost
from hermes_dsl.sim.kv import KVCache, prefix_block_keys
from hermes_dsl.sim.loop import EventLoop, StopReason
from hermes_dsl.sim.metrics import RequestLog, RequestTable, SimResult
from hermes_dsl.sim.network import Fabric, Resource
from hermes_dsl.sim.pipeline import Coordinator, EdgeRT, RouteRT, StageRT, TierRT
from hermes_dsl.sim.presult import PipelineResult
from hermes_dsl.sim.request import Request
from hermes_dsl.sim.run import ArrivalSource, simulate
from hermes_dsl.sim.stages import BatchServer
from hermes_dsl.sim.traces import load_trace, read_column, read_lengths
from hermes_dsl.sim.workload import (
    EmpiricalLength,
    FixedLength,
    GammaArrivals,
    NormalArrivals,
    NormalLength,
    PoissonArrivals,
    RequestSet,
    TraceArrivals,
    UniformArrivals,
    UniformLength,
    Workload,
    scale_to_rate,
)

__all__ = [
    "ArrivalSource",
    "BatchServer",
    "BatchingPolicy",
    "ClientStats",
    "Coordinator",
    "EdgeRT",
    "EmpiricalLength",
    "EventLoop",
    "Fabric",
    "FixedCost",
    "FixedLength",
    "GammaArrivals",
    "IterationCost",
    "KVCache",
    "LLMClient",
    "LinearCost",
    "NormalArrivals",
    "NormalLength",
    "PipelineResult",
    "PoissonArrivals",
    "Request",
    "RequestLog",
    "RequestSet",
    "RequestTable",
    "Resource",
    "RouteRT",
    "SimResult",
    "SimulationStalled",
    "StageRT",
    "StopReason",
    "TierRT",
    "TraceArrivals",
    "UniformArrivals",
    "UniformLength",
    "Workload",
    "chunked",
    "continuous",
    "load_trace",
    "mixed",
    "prefix_block_keys",
    "read_column",
    "read_lengths",
    "scale_to_rate",
    "simulate",
    "static",
]
