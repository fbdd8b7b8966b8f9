"""Synthetic workloads: arrival processes and token-length distributions, drawn as arrays.

Why arrays: a workload of a million requests is three numpy columns, drawn in a few vectorised
calls from a seeded :class:`numpy.random.Generator`.  The arrival, prompt and output streams each
get their own child generator (``SeedSequence.spawn``), so changing the prompt distribution does
not change the arrival times of the same seed.

Every distribution has ``sample(n, rng) -> ndarray``.  Arrival processes return absolute times in
seconds with the first request at t = 0 and ``n - 1`` inter-arrival gaps after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = [
    "ConstantLength",
    "EmpiricalLength",
    "FixedLength",
    "GammaArrivals",
    "NormalArrivals",
    "NormalLength",
    "PoissonArrivals",
    "RequestSet",
    "TraceArrivals",
    "UniformArrivals",
    "UniformLength",
    "Workload",
]


class Arrivals(Protocol):
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray: ...


class Lengths(Protocol):
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray: ...


def _times_from_gaps(gaps: np.ndarray) -> np.ndarray:
    out = np.empty(len(gaps) + 1)
    out[0] = 0.0
    np.cumsum(gaps, out=out[1:])
    return out


def _positive(name: str, value: float) -> float:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PoissonArrivals:
    """Exponential gaps of mean ``1/rate`` (rate in requests per second)."""

    rate: float

    def __post_init__(self) -> None:
        _positive("rate", self.rate)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if n <= 0:
            return np.zeros(0)
        return _times_from_gaps(rng.exponential(1.0 / self.rate, n - 1))


@dataclass(frozen=True)
class UniformArrivals:
    """Gaps uniform in ``[(1 - spread)/rate, (1 + spread)/rate]``; ``spread=0`` is a fixed rate."""

    rate: float
    spread: float = 0.0

    def __post_init__(self) -> None:
        _positive("rate", self.rate)
        if not 0.0 <= self.spread <= 1.0:
            raise ValueError(f"spread must be in [0, 1], got {self.spread!r}")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if n <= 0:
            return np.zeros(0)
        mean = 1.0 / self.rate
        if self.spread == 0.0:
            return np.arange(n, dtype=np.float64) * mean
        lo, hi = (1.0 - self.spread) * mean, (1.0 + self.spread) * mean
        return _times_from_gaps(rng.uniform(lo, hi, n - 1))


@dataclass(frozen=True)
class NormalArrivals:
    """Normal gaps of ``mean`` and ``std`` seconds, clipped to ``[min, max]`` (min >= 0)."""

    mean: float
    std: float
    min: float = 0.0
    max: float = math.inf

    def __post_init__(self) -> None:
        _positive("mean", self.mean)
        if self.std < 0 or self.min < 0 or self.max < self.min:
            raise ValueError("NormalArrivals needs std >= 0 and 0 <= min <= max")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if n <= 0:
            return np.zeros(0)
        gaps = np.clip(rng.normal(self.mean, self.std, n - 1), self.min, self.max)
        return _times_from_gaps(gaps)


@dataclass(frozen=True)
class GammaArrivals:
    """Gamma gaps at ``rate`` with coefficient of variation ``cv`` (bursty when cv > 1).

    cv = 1 is Poisson; shape = 1/cv², scale = cv²/rate keeps the mean gap at 1/rate.
    """

    rate: float
    cv: float

    def __post_init__(self) -> None:
        _positive("rate", self.rate)
        _positive("cv", self.cv)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if n <= 0:
            return np.zeros(0)
        shape = 1.0 / (self.cv * self.cv)
        return _times_from_gaps(rng.gamma(shape, 1.0 / (self.rate * shape), n - 1))


@dataclass(frozen=True)
class TraceArrivals:
    """Recorded arrival times (seconds), shifted to start at 0, optionally rescaled to ``rate``.

    Asking for more requests than the trace holds repeats it end to end, each copy starting one
    mean gap after the previous copy ended.
    """

    times: Sequence[float] | np.ndarray
    rate: float | None = None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        t = np.sort(np.asarray(self.times, dtype=np.float64))
        if len(t) == 0:
            raise ValueError("an arrival trace needs at least one timestamp")
        t = t - t[0]
        if n > len(t):
            t = _tile_times(t, n)
        t = t[:n]
        if self.rate is not None:
            t = scale_to_rate(t, self.rate)
        return t


def _mean_gap(t: np.ndarray) -> float:
    return float(t[-1] - t[0]) / (len(t) - 1) if len(t) > 1 and t[-1] > t[0] else 1.0


def _tile_times(t: np.ndarray, n: int) -> np.ndarray:
    copies = -(-n // len(t))
    period = float(t[-1] - t[0]) + _mean_gap(t)
    return (t[None, :] + period * np.arange(copies)[:, None]).ravel()[:n]


def scale_to_rate(times: np.ndarray, rate: float) -> np.ndarray:
    """Stretch or compress arrival times so their mean rate is ``rate`` req/s (shape kept)."""
    _positive("rate", rate)
    t = np.asarray(times, dtype=np.float64)
    if len(t) < 2 or t[-1] <= t[0]:
        return t.copy()
    observed = (len(t) - 1) / float(t[-1] - t[0])
    return t[0] + (t - t[0]) * (observed / rate)


@dataclass(frozen=True)
class FixedLength:
    """Every request has ``tokens`` tokens."""

    tokens: int

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.full(n, int(self.tokens), dtype=np.int64)


ConstantLength = FixedLength


@dataclass(frozen=True)
class UniformLength:
    """Integers uniform in ``[low, high]`` inclusive."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise ValueError("UniformLength needs low <= high")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(int(self.low), int(self.high) + 1, n, dtype=np.int64)


@dataclass(frozen=True)
class NormalLength:
    """Normal, rounded to integers and clipped to ``[min, max]``."""

    mean: float
    std: float
    min: int = 1
    max: int | None = None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        x = np.rint(rng.normal(self.mean, self.std, n))
        hi = np.inf if self.max is None else self.max
        return np.clip(x, self.min, hi).astype(np.int64)


@dataclass(frozen=True)
class EmpiricalLength:
    """Draws with replacement from observed values (e.g. a trace column)."""

    values: Sequence[int] | np.ndarray

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise ValueError("an empirical distribution needs at least one value")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        v = np.asarray(self.values, dtype=np.int64)
        return v[rng.integers(0, len(v), n)]

    @classmethod
    def from_csv(cls, path: str, column: str) -> EmpiricalLength:
        from hermes_dsl.sim.traces import read_column

        return cls(read_column(path, column).astype(np.int64))


@dataclass(frozen=True)
class RequestSet:
    """The requests of a run as columns; ``hash_ids`` (optional) are prefix-block hashes."""

    arrival: np.ndarray
    prompt: np.ndarray
    output: np.ndarray
    hash_ids: tuple[tuple[int, ...], ...] | None = None
    hash_block_size: int = 512
    name: str = field(default="requests", compare=False)

    def __post_init__(self) -> None:
        n = len(self.arrival)
        if len(self.prompt) != n or len(self.output) != n:
            raise ValueError("arrival, prompt and output columns must have the same length")
        if self.hash_ids is not None and len(self.hash_ids) != n:
            raise ValueError("hash_ids must have one entry per request")
        if n > 1 and np.any(np.diff(self.arrival) < 0):
            raise ValueError("arrival times must be non-decreasing")

    def __len__(self) -> int:
        return len(self.arrival)

    def head(self, n: int) -> RequestSet:
        return RequestSet(
            self.arrival[:n],
            self.prompt[:n],
            self.output[:n],
            None if self.hash_ids is None else self.hash_ids[:n],
            self.hash_block_size,
            self.name,
        )

    def scaled_to_rate(self, rate: float) -> RequestSet:
        """The same requests with arrival times rescaled to a mean of ``rate`` req/s."""
        return RequestSet(
            scale_to_rate(self.arrival, rate),
            self.prompt,
            self.output,
            self.hash_ids,
            self.hash_block_size,
            self.name,
        )

    def tiled(self, n: int) -> RequestSet:
        """``n`` requests: the set repeated end to end (arrival times continue)."""
        m = len(self)
        if m == 0:
            raise ValueError("cannot tile an empty request set")
        t = self.arrival - self.arrival[0]
        copies = -(-n // m)
        idx = np.tile(np.arange(m), copies)[:n]
        hashes = None
        if self.hash_ids is not None:
            hashes = tuple(self.hash_ids[i] for i in idx.tolist())
        return RequestSet(
            _tile_times(t, n) + self.arrival[0],
            self.prompt[idx],
            self.output[idx],
            hashes,
            self.hash_block_size,
            self.name,
        )


@dataclass(frozen=True)
class Workload:
    """``num_requests`` requests from an arrival process and two length distributions."""

    arrivals: Arrivals
    prompt: Lengths
    output: Lengths
    num_requests: int

    def generate(self, seed: int) -> RequestSet:
        if self.num_requests < 0:
            raise ValueError("num_requests must be >= 0")
        ra, rp, ro = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
        n = int(self.num_requests)
        return RequestSet(
            arrival=np.asarray(self.arrivals.sample(n, ra), dtype=np.float64),
            prompt=np.asarray(self.prompt.sample(n, rp), dtype=np.int64),
            output=np.asarray(self.output.sample(n, ro), dtype=np.int64),
        )
