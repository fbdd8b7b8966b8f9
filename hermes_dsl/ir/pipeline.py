"""Pipelines in the IR: stages, where they run, how they batch, and how requests flow."""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.source import NO_SPAN, Span

# Every stage kind a pipeline may use, and the client that serves it.
LLM_STAGES = ("prefill", "decode", "generate")
STAGE_KINDS = (
    "preprocess",
    "postprocess",
    "embed",
    "ivfpq",
    "rerank",
    "kv_fetch",
    *LLM_STAGES,
)
BATCHING_POLICIES = ("static", "continuous", "chunked", "mixed")
PACKING = ("fcfs", "least_work_left")
ROUTING_POLICIES = ("round_robin", "least_loaded", "heavy_light", "by_model", "random")
LOAD_MEASURES = ("queued_tokens", "kv", "tokens_left", "requests")


@dataclass(frozen=True, slots=True)
class Batching:
    policy: str  # one of BATCHING_POLICIES
    max_batch: int = 256
    max_tokens: int = 8192  # batched tokens per iteration (the chunk budget for chunked)
    packing: str = "fcfs"
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a pipeline.

    ``devices`` are the fully qualified paths of every device that serves the stage; with
    ``tp * pp`` devices per client they form ``len(devices) // (tp * pp)`` clients.  Options
    specific to the stage kind (IVF-PQ sizes, hit rates, fixed costs) are in ``options`` as
    SI floats, ints, strings or tuples of them.
    """

    name: str
    kind: str  # one of STAGE_KINDS
    model: str | None  # the model's name in Program.models
    devices: tuple[str, ...]
    tp: int = 1
    pp: int = 1
    batching: Batching | None = None
    options: tuple[tuple[str, object], ...] = ()
    span: Span = NO_SPAN

    def option(self, name: str, default: object = None) -> object:
        for key, value in self.options:
            if key == name:
                return value
        return default

    @property
    def clients(self) -> int:
        per = self.tp * self.pp
        return len(self.devices) // per if self.devices else 1


@dataclass(frozen=True, slots=True)
class Edge:
    """A dataflow edge.  ``kind`` is "next" (sequence), "fan" (all of a fan-out), "branch"
    (one of several, taken with ``fraction``) or "loop" (a bounded back edge)."""

    source: str
    target: str
    kind: str = "next"
    fraction: float = 1.0
    max_times: int = 0
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Route:
    stage: str
    policy: str  # one of ROUTING_POLICIES
    measure: str = "queued_tokens"
    options: tuple[tuple[str, object], ...] = ()
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Pipeline:
    name: str
    stages: tuple[Stage, ...]
    edges: tuple[Edge, ...]
    routes: tuple[Route, ...]
    span: Span = NO_SPAN

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)
