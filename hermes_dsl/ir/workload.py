"""Workloads in the IR: how requests arrive and how long their prompts and outputs are."""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.source import NO_SPAN, Span

ARRIVALS = ("poisson", "uniform", "normal", "gamma", "trace")
LENGTHS = ("fixed", "uniform", "normal", "trace")
REASONING = ("none", "single", "parallel")


@dataclass(frozen=True, slots=True)
class Distribution:
    """A named distribution with SI-float parameters, e.g. ("normal", (("mean", 256.0), ...)).

    Trace-backed distributions carry ``path`` (absolute, checked to exist) and ``column``.
    """

    kind: str
    params: tuple[tuple[str, float], ...] = ()
    path: str = ""
    column: str = ""
    span: Span = NO_SPAN

    def get(self, name: str, default: float | None = None) -> float | None:
        for key, value in self.params:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Reasoning:
    kind: str = "none"  # one of REASONING
    scale: float = 1.0  # output tokens are multiplied by this
    branches: int = 1


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    arrival: Distribution
    prompt: Distribution
    output: Distribution
    reasoning: Reasoning = Reasoning()
    requests: int = 1000
    duration: float = 0.0  # s; 0 means "until `requests` have arrived"
    prefix: Distribution | None = None  # prefix-hash trace for prefix caching
    span: Span = NO_SPAN
