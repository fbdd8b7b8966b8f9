"""What a pipeline run produced: per-request and per-stage columns, clients, links, traces.

Everything is derived from numpy columns written during the run (no per-event Python objects
are kept), so two runs compare with ``numpy.array_equal`` over :meth:`PipelineResult.arrays`.

Per request: ``arrival``, ``prompt`` (as drawn), ``context`` (the prompt the last LLM visit
saw: retrieved documents and earlier outputs included), ``output`` (per reasoning branch),
``first_token`` (first token of the first LLM visit), ``completion``, ``queue`` (time spent
waiting for a client, summed over stages), ``status`` (0 unfinished, 1 completed, 2 rejected)
and ``reason_code``.  ``ttft = first_token - arrival``; ``tpot`` = (end of the last LLM visit
- its first token) / (its output tokens - 1); ``e2e = completion - arrival``.

Per stage visit (:meth:`PipelineResult.stage_table`): request, stage, client, ``enqueue``
(routed), ``ready`` (inputs arrived at the client: after context or KV transfers), ``start``
(service began) and ``end``.  A stage's latency is ``end - enqueue``; its queueing ``start -
ready``; its transfer time ``ready - enqueue``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hermes_dsl.ir.experiment import METRIC_DIMS
from hermes_dsl.units import TIME, format_quantity

__all__ = ["ClientRow", "PipelineResult", "ResourceRow"]

STATS = ("p50", "p90", "p95", "p99", "mean", "max", "min")
REQUEST_METRICS = ("ttft", "tpot", "e2e", "queue")
_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class ClientRow:
    name: str
    stage: int
    kind: str  # the stage kind
    busy_time: float
    utilisation: float
    energy: float
    served: int  # stage visits completed here
    preemptions: int = 0
    kv_peak_blocks: int = 0
    kv_blocks: int = 0


@dataclass(frozen=True)
class ResourceRow:
    name: str
    kind: str  # link | memory
    capacity: float  # B/s
    bytes: float
    busy_time: float
    utilisation: float  # bytes / (capacity x duration)
    energy: float = 0.0  # J: a memory tier's idle power over the run plus its active power
    stage: str = ""  # the kv_fetch stage a memory tier serves (its energy counts there)


def _stat(x: np.ndarray, stat: str) -> float:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan
    if stat == "mean":
        return float(x.mean())
    if stat == "max":
        return float(x.max())
    if stat == "min":
        return float(x.min())
    return float(np.percentile(x, float(stat[1:])))


@dataclass
class PipelineResult:
    """The result of one experiment point (see the module docstring for the columns)."""

    requests: dict[str, np.ndarray]
    reasons: tuple[str, ...]
    stage_names: tuple[str, ...]
    stage_kinds: tuple[str, ...]
    stages: dict[str, np.ndarray]
    clients: tuple[ClientRow, ...]
    resources: tuple[ResourceRow, ...]
    end_time: float
    events: int
    stop_reason: str
    slo_terms: tuple[Any, ...] = ()  # ir.experiment.SloTerm
    report: tuple[str, ...] = ()
    iteration_logs: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    client_stage: dict[str, str] = field(default_factory=dict)
    flow_log: dict[str, np.ndarray] = field(default_factory=dict)
    sampled: tuple[int, ...] = ()
    name: str = ""
    # What the run had to approximate, for people: e.g. batch shapes outside a measured profile.
    warnings: tuple[str, ...] = ()

    # -- derived columns ------------------------------------------------------------------
    @property
    def completed(self) -> np.ndarray:
        return self.requests["status"] == 1

    @property
    def rejected(self) -> np.ndarray:
        return self.requests["status"] == 2

    def column(self, metric: str) -> np.ndarray:
        """Per-request ttft, tpot, e2e or queue (NaN where it does not apply)."""
        r = self.requests
        if metric == "ttft":
            return r["first_token"] - r["arrival"]
        if metric == "e2e":
            return r["completion"] - r["arrival"]
        if metric == "queue":
            return np.where(self.completed, r["queue"], np.nan)
        if metric == "tpot":
            out = r["llm_output"]
            with np.errstate(invalid="ignore", divide="ignore"):
                gaps = (r["llm_done"] - r["llm_first"]) / (out - 1)
            return np.where(out > 1, gaps, np.nan)
        raise KeyError(metric)

    @property
    def duration(self) -> float:
        a = self.requests["arrival"]
        a = a[~np.isnan(a)]
        start = float(a.min()) if len(a) else 0.0
        return max(self.end_time - start, 0.0)

    def stage_latency(self, name: str) -> np.ndarray:
        if name not in self.stage_names:
            raise KeyError(f"no stage {name!r}; the pipeline has {list(self.stage_names)}")
        i = self.stage_names.index(name)
        t = self.stages
        sel = t["stage"] == i
        return t["end"][sel] - t["enqueue"][sel]

    # -- metrics --------------------------------------------------------------------------
    def meets_slo(self) -> np.ndarray:
        """Per request: completed, and within every per-request SLO term."""
        ok = self.completed.copy()
        for term in self.slo_terms:
            if term.metric not in REQUEST_METRICS:
                continue
            col = self.column(term.metric)
            op = _OPS[term.op]
            with np.errstate(invalid="ignore"):
                good = op(col, term.bound)
            if term.metric == "tpot":
                good |= np.isnan(col)
            ok &= good
        return ok

    def metric(self, name: str) -> float:
        """A reported metric by name: ``ttft.p90``, ``goodput``, ``stage.embed.p50``, ..."""
        parts = name.split(".")
        head = parts[0]
        d = self.duration
        if head in REQUEST_METRICS and len(parts) == 2 and parts[1] in STATS:
            col = self.column(head)
            return _stat(col[self.completed], parts[1])
        if head == "stage" and len(parts) == 3 and parts[2] in STATS:
            return _stat(self.stage_latency(parts[1]), parts[2])
        if len(parts) == 1:
            if head == "goodput":
                return float(self.meets_slo().sum() / d) if d > 0 else math.nan
            if head == "throughput":
                return float(self.completed.sum() / d) if d > 0 else math.nan
            if head == "energy":
                return float(sum(self.stage_energy().values()))
            if head in ("utilization", "utilisation"):
                llm = [c.utilisation for c in self.clients if c.kind in _LLM]
                return float(np.mean(llm)) if llm else math.nan
        raise KeyError(
            f"unknown metric {name!r}: expected ttft|tpot|e2e|queue.STAT, goodput, throughput, "
            f"energy, utilization or stage.NAME.STAT with STAT one of {', '.join(STATS)}"
        )

    def slo(self) -> list[tuple[str, float, float, bool]]:
        """(term, measured value, bound, met) for each of the experiment's SLO terms."""
        out = []
        for term in self.slo_terms:
            text = f"{term.metric}.{term.statistic}" if term.statistic else term.metric
            value = self.metric(text)
            ok = bool(value == value and _OPS[term.op](value, term.bound))
            bound = format_quantity(term.bound, METRIC_DIMS.get(term.metric, TIME))
            out.append((f"{text} {term.op} {bound}", value, term.bound, ok))
        return out

    @property
    def slo_ok(self) -> bool | None:
        terms = self.slo()
        return None if not terms else all(t[3] for t in terms)

    def summary(self) -> dict[str, object]:
        """Flat, JSON-safe: reported metrics, headline latencies, counts, duration, events."""
        names = list(self.report)
        for m in ("ttft", "tpot", "e2e"):
            for s in ("p50", "p90", "p99"):
                names.append(f"{m}.{s}")
        names += ["throughput", "goodput", "energy", "utilization"]
        out: dict[str, object] = {}
        for n in dict.fromkeys(names):
            v = self.metric(n)
            out[n] = v if v == v and math.isfinite(v) else None
        out["requests"] = len(self.requests["arrival"])
        out["completed"] = int(self.completed.sum())
        out["rejected"] = int(self.rejected.sum())
        out["unfinished"] = out["requests"] - out["completed"] - out["rejected"]
        out["duration_s"] = self.duration
        out["events"] = int(self.events)
        out["stop_reason"] = self.stop_reason
        ok = self.slo_ok
        out["slo_ok"] = ok
        return out

    def rejection_reasons(self) -> list[str]:
        codes = self.requests["reason_code"]
        return [self.reasons[c] for c in codes[codes > 0]]

    # -- tables ---------------------------------------------------------------------------
    def request_columns(self) -> dict[str, np.ndarray]:
        """Per-request columns (see the module docstring), ttft, tpot and e2e included."""
        return dict(self.requests)

    def stage_latencies(self) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
        """Stage names in pipeline order, and each stage's visit latencies."""
        return self.stage_names, {n: self.stage_latency(n) for n in self.stage_names}

    def stage_table(self) -> dict[str, np.ndarray]:
        """One row per stage visit: request, stage, client, enqueue, ready, start, end."""
        return dict(self.stages)

    def breakdown(self) -> dict[str, dict[str, float]]:
        """Per stage: P50/P90/P99 of its share of each completed request's end-to-end latency."""
        t = self.stages
        n = len(self.requests["arrival"])
        e2e = self.column("e2e")
        done = self.completed
        out: dict[str, dict[str, float]] = {}
        for i, name in enumerate(self.stage_names):
            sel = t["stage"] == i
            per = np.zeros(n)
            np.add.at(per, t["request"][sel], t["end"][sel] - t["enqueue"][sel])
            with np.errstate(invalid="ignore", divide="ignore"):
                share = per[done] / e2e[done]
            out[name] = {s: _stat(share, s) for s in ("p50", "p90", "p99", "mean")}
        return out

    def client_table(self) -> dict[str, np.ndarray]:
        c = self.clients
        return {
            "name": np.array([x.name for x in c]),
            "stage": np.array([self.stage_names[x.stage] for x in c]),
            "busy_time": np.array([x.busy_time for x in c]),
            "utilisation": np.array([x.utilisation for x in c]),
            "energy": np.array([x.energy for x in c]),
            "served": np.array([x.served for x in c], dtype=np.int64),
        }

    def resource_table(self) -> dict[str, np.ndarray]:
        """Links (per endpoint) and memory tiers: bytes carried, busy time, utilisation."""
        rs = self.resources
        return {
            "name": np.array([x.name for x in rs]),
            "kind": np.array([x.kind for x in rs]),
            "capacity": np.array([x.capacity for x in rs]),
            "bytes": np.array([x.bytes for x in rs]),
            "busy_time": np.array([x.busy_time for x in rs]),
            "utilisation": np.array([x.utilisation for x in rs]),
            "energy": np.array([x.energy for x in rs]),
        }

    def stage_energy(self) -> dict[str, float]:
        """Joules per stage: its clients, and for a kv_fetch stage the memory tiers it reads."""
        out = {n: 0.0 for n in self.stage_names}
        for c in self.clients:
            out[self.stage_names[c.stage]] += c.energy
        for r in self.resources:
            if r.energy and r.stage in out:
                out[r.stage] += r.energy
        return out

    def timeline(self, points: int = 400) -> dict[str, np.ndarray]:
        """Sampled: requests in the system, completed so far, and stage visits waiting (queue)."""
        r = self.requests
        arr = np.sort(r["arrival"][~np.isnan(r["arrival"])])
        start = float(arr[0]) if len(arr) else 0.0
        t = np.linspace(start, max(self.end_time, start), points)
        comp = np.sort(r["completion"][~np.isnan(r["completion"])])
        left = np.sort(r["left"][~np.isnan(r["left"])])
        done = np.searchsorted(comp, t, side="right")
        inside = np.searchsorted(arr, t, side="right") - np.searchsorted(left, t, side="right")
        st = self.stages
        ready = np.sort(st["ready"])
        started = np.sort(st["start"][~np.isnan(st["start"])])
        queued = np.searchsorted(ready, t, side="right") - np.searchsorted(started, t, side="right")
        return {
            "time": t,
            "in_system": np.maximum(inside, 0),
            "completed": done,
            "queue": np.maximum(queued, 0),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Every numeric column of the run, for exact comparisons between runs."""
        out: dict[str, np.ndarray] = {}
        for k, v in self.requests.items():
            out[f"request.{k}"] = v
        for k, v in self.stages.items():
            out[f"stage.{k}"] = v
        out["clients"] = np.array(
            [[c.busy_time, c.utilisation, c.energy, c.served, c.preemptions] for c in self.clients],
            dtype=np.float64,
        ).reshape(-1, 5)
        out["resources"] = np.array(
            [[x.bytes, x.busy_time, x.utilisation] for x in self.resources], dtype=np.float64
        ).reshape(-1, 3)
        out["run"] = np.array([self.end_time, self.events], dtype=np.float64)
        return out

    def chrome_trace(self) -> dict[str, object]:
        from hermes_dsl.sim.chrome import chrome_trace

        return chrome_trace(self)


_LLM = ("generate", "prefill", "decode")
