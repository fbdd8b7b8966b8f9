"""Per-request columns and the summaries computed from them.

Why columns: a run of a million requests must not keep a million Python objects (let alone one
per token).  :class:`RequestLog` preallocates numpy arrays indexed by request id and writes a
row when a request leaves; :class:`SimResult` derives every statistic from those arrays, so two
runs compare with ``numpy.array_equal`` (or byte for byte) and nothing depends on object order.
Per-token gaps are summarised as TPOT = (completion - first token) / (output - 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hermes_dsl.sim.client import ClientStats
from hermes_dsl.sim.request import Request

__all__ = ["RequestLog", "RequestTable", "SimResult"]

PERCENTILES = (50.0, 90.0, 99.0)


class RequestLog:
    """Preallocated per-request columns, filled as requests finish or are rejected."""

    def __init__(self, capacity: int) -> None:
        n = max(int(capacity), 1)
        self.size = 0
        self.arrival = np.full(n, np.nan)
        self.prompt = np.zeros(n, dtype=np.int64)
        self.output = np.zeros(n, dtype=np.int64)
        self.scheduled = np.full(n, np.nan)
        self.first_token = np.full(n, np.nan)
        self.completion = np.full(n, np.nan)
        self.preemptions = np.zeros(n, dtype=np.int64)
        self.reason = np.zeros(n, dtype=np.int32)  # 0 = not rejected, else index into reasons
        self.reasons: list[str] = [""]
        self._reason_index: dict[str, int] = {"": 0}
        self.finished = 0
        self.rejected = 0

    def _grow(self, need: int) -> None:
        cap = len(self.arrival)
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in (
            "arrival",
            "prompt",
            "output",
            "scheduled",
            "first_token",
            "completion",
            "preemptions",
            "reason",
        ):
            old = getattr(self, name)
            arr = np.full(new, np.nan) if old.dtype == np.float64 else np.zeros(new, old.dtype)
            arr[:cap] = old
            setattr(self, name, arr)

    def _row(self, r: Request) -> int:
        i = r.id
        if i >= len(self.arrival):
            self._grow(i + 1)
        if i >= self.size:
            self.size = i + 1
        self.arrival[i] = r.arrival
        self.prompt[i] = r.prompt
        self.output[i] = r.output
        self.preemptions[i] = r.preemptions
        return i

    def note(self, r: Request) -> None:
        """Record what is known of a request still in flight when the run stops."""
        i = self._row(r)
        self.scheduled[i] = r.scheduled
        self.first_token[i] = r.first_token

    def finish(self, now: float, r: Request) -> None:
        i = self._row(r)
        self.scheduled[i] = r.scheduled
        self.first_token[i] = r.first_token
        self.completion[i] = now
        self.finished += 1

    def reject(self, now: float, r: Request, reason: str) -> None:
        i = self._row(r)
        code = self._reason_index.get(reason)
        if code is None:
            code = len(self.reasons)
            self.reasons.append(reason)
            self._reason_index[reason] = code
        self.reason[i] = code
        self.rejected += 1

    def table(self, n: int | None = None) -> RequestTable:
        n = self.size if n is None else n
        if n > len(self.arrival):
            self._grow(n)
        return RequestTable(
            arrival=self.arrival[:n].copy(),
            prompt=self.prompt[:n].copy(),
            output=self.output[:n].copy(),
            scheduled=self.scheduled[:n].copy(),
            first_token=self.first_token[:n].copy(),
            completion=self.completion[:n].copy(),
            preemptions=self.preemptions[:n].copy(),
            reason_code=self.reason[:n].copy(),
            reasons=tuple(self.reasons),
        )


@dataclass(frozen=True)
class RequestTable:
    """One row per request id.  NaN marks what did not happen (yet)."""

    arrival: np.ndarray
    prompt: np.ndarray
    output: np.ndarray
    scheduled: np.ndarray  # first time in a batch
    first_token: np.ndarray
    completion: np.ndarray
    preemptions: np.ndarray
    reason_code: np.ndarray  # 0 = not rejected
    reasons: tuple[str, ...]  # reason_code -> text

    def __len__(self) -> int:
        return len(self.arrival)

    @property
    def completed(self) -> np.ndarray:
        return ~np.isnan(self.completion)

    @property
    def rejected(self) -> np.ndarray:
        return self.reason_code > 0

    @property
    def unfinished(self) -> np.ndarray:
        """Requests that entered (or were due) but neither completed nor were rejected."""
        return ~self.completed & ~self.rejected

    @property
    def queueing(self) -> np.ndarray:
        return self.scheduled - self.arrival

    @property
    def ttft(self) -> np.ndarray:
        return self.first_token - self.arrival

    @property
    def e2e(self) -> np.ndarray:
        return self.completion - self.arrival

    @property
    def tpot(self) -> np.ndarray:
        """Mean time per output token after the first; NaN for single-token outputs."""
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps = (self.completion - self.first_token) / (self.output - 1)
        return np.where(self.output > 1, gaps, np.nan)

    def rejection_reasons(self) -> list[str]:
        """The reason text of every rejected request, in id order."""
        return [self.reasons[c] for c in self.reason_code[self.reason_code > 0]]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "arrival": self.arrival,
            "prompt": self.prompt,
            "output": self.output,
            "scheduled": self.scheduled,
            "first_token": self.first_token,
            "completion": self.completion,
            "preemptions": self.preemptions,
            "reason_code": self.reason_code,
        }


def _stats(x: np.ndarray) -> dict[str, float]:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return {"mean": math.nan, "p50": math.nan, "p90": math.nan, "p99": math.nan}
    p = np.percentile(x, PERCENTILES)
    return {"mean": float(x.mean()), "p50": float(p[0]), "p90": float(p[1]), "p99": float(p[2])}


@dataclass(frozen=True)
class SimResult:
    """Everything a run produced: per-request columns, per-client statistics, stop reason."""

    requests: RequestTable
    clients: tuple[ClientStats, ...]
    end_time: float  # simulated seconds when the run stopped
    events: int
    stop_reason: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Seconds from the first arrival to the end of the run."""
        a = self.requests.arrival
        a = a[~np.isnan(a)]
        start = float(a.min()) if len(a) else 0.0
        return max(self.end_time - start, 0.0)

    def throughput(self) -> dict[str, float]:
        d = self.duration
        done = self.requests.completed
        toks = int(self.requests.output[done].sum())
        return {
            "requests_per_s": done.sum() / d if d > 0 else math.nan,
            "output_tokens_per_s": toks / d if d > 0 else math.nan,
        }

    def meets_slo(self, *, ttft: float | None = None, tpot: float | None = None) -> np.ndarray:
        """Per request: completed, and within the TTFT and TPOT limits given (seconds)."""
        t = self.requests
        ok = t.completed.copy()
        if ttft is not None:
            ok &= t.ttft <= ttft
        if tpot is not None:
            tp = t.tpot
            ok &= np.isnan(tp) | (tp <= tpot)
        return ok

    def slo_attainment(self, *, ttft: float | None = None, tpot: float | None = None) -> float:
        """Fraction of all requests (rejected and unfinished ones count as misses) within SLO."""
        n = len(self.requests)
        return float(self.meets_slo(ttft=ttft, tpot=tpot).sum() / n) if n else math.nan

    def goodput(self, *, ttft: float | None = None, tpot: float | None = None) -> float:
        """Requests per second that completed within the SLOs."""
        d = self.duration
        return float(self.meets_slo(ttft=ttft, tpot=tpot).sum() / d) if d > 0 else math.nan

    def energy(self) -> float:
        return float(sum(c.energy for c in self.clients))

    def summary(self, *, ttft: float | None = None, tpot: float | None = None) -> dict:
        """A flat dict of the headline numbers (latencies in seconds)."""
        t = self.requests
        out: dict[str, object] = {
            "requests": len(t),
            "completed": int(t.completed.sum()),
            "rejected": int(t.rejected.sum()),
            "unfinished": int(t.unfinished.sum()),
            "preemptions": int(t.preemptions.sum()),
            "duration_s": self.duration,
            "events": self.events,
            "stop_reason": self.stop_reason,
        }
        for name, col in (
            ("ttft", t.ttft),
            ("tpot", t.tpot),
            ("e2e", t.e2e),
            ("queue", t.queueing),
        ):
            for k, v in _stats(col).items():
                out[f"{name}_{k}"] = v
        out.update(self.throughput())
        if ttft is not None or tpot is not None:
            out["slo_attainment"] = self.slo_attainment(ttft=ttft, tpot=tpot)
            out["goodput_rps"] = self.goodput(ttft=ttft, tpot=tpot)
        out["energy_j"] = self.energy()
        for c in self.clients:
            out[f"{c.name}.utilisation"] = c.utilisation
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """Every numeric column of the run, for exact comparisons between runs."""
        out = dict(self.requests.arrays())
        for c in self.clients:
            out[f"{c.name}.series_time"] = c.series_time
            out[f"{c.name}.series_batch"] = c.series_batch
            out[f"{c.name}.series_queue"] = c.series_queue
            out[f"{c.name}.totals"] = np.array(
                [
                    c.busy_time,
                    c.energy,
                    c.iterations,
                    c.prefill_tokens,
                    c.decode_tokens,
                    c.preemptions,
                    c.swaps,
                    c.prefix_hit_tokens,
                    c.kv_peak_blocks,
                ],
                dtype=np.float64,
            )
        return out
