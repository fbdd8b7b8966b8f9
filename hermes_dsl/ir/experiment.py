"""Experiments and the whole program: what to run, what must hold, what to report."""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.ir.hardware import DeviceSpec, Platform
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.ir.pipeline import Pipeline
from hermes_dsl.ir.profile import Profile
from hermes_dsl.ir.workload import Workload
from hermes_dsl.source import NO_SPAN, Span
from hermes_dsl.units import ENERGY, NONE, REQ_RATE, TIME, Dim

METRICS = ("ttft", "tpot", "e2e", "queue", "goodput", "throughput", "energy", "utilization")
# The dimension of each metric, for SLO bounds and for printing them.
METRIC_DIMS: dict[str, Dim] = {
    "ttft": TIME,
    "tpot": TIME,
    "e2e": TIME,
    "queue": TIME,
    "goodput": REQ_RATE,
    "throughput": REQ_RATE,
    "energy": ENERGY,
    "utilization": NONE,
}
STATISTICS = ("p50", "p90", "p95", "p99", "mean", "max", "min")


@dataclass(frozen=True, slots=True)
class SloTerm:
    metric: str  # e.g. "ttft"
    statistic: str  # e.g. "p90"
    op: str  # "<", "<=", ">", ">="
    bound: float  # SI
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Sweep:
    param: str
    values: tuple[object, ...]  # SI floats / ints / strings
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Experiment:
    name: str
    pipeline: str
    workload: str
    slo: tuple[SloTerm, ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    report: tuple[str, ...] = ()  # "ttft.p50", "goodput", "stage.prefill.p90", ...
    seed: int = 0
    horizon: float = 0.0  # s of simulated time; 0 = until every request is done
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class ParamValue:
    name: str
    type: str
    value: object
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Program:
    """A resolved spec: everything a checker, renderer or code generator needs, and no syntax."""

    file: str
    params: tuple[ParamValue, ...]
    models: tuple[ModelSpec, ...]
    platforms: tuple[Platform, ...]
    pipelines: tuple[Pipeline, ...]
    workloads: tuple[Workload, ...]
    experiments: tuple[Experiment, ...]
    profiles: tuple[Profile, ...] = ()

    def model(self, name: str) -> ModelSpec:
        return next(m for m in self.models if m.name == name)

    def pipeline(self, name: str) -> Pipeline:
        return next(p for p in self.pipelines if p.name == name)

    def workload(self, name: str) -> Workload:
        return next(w for w in self.workloads if w.name == name)

    def profile_for(self, device: DeviceSpec, model: str) -> Profile | None:
        """The measured profile LLM clients of ``model`` on ``device`` use, if the spec has one."""
        return next((p for p in self.profiles if p.covers(device, model)), None)
