"""Retrieval time of a KV cache (or any object) from a multi-level memory hierarchy.

For levels ``n = 1..N`` with hit rate ``Hit_n``, lookup time ``T_lookup,n`` and bandwidth
``BW_n``::

    T(n) = Hit_n * (T_lookup,n + Size / BW_n) + (1 - Hit_n) * T(n + 1)

and a miss at the last level costs ``T(N + 1) = miss_time``: recomputing the cache with a
prefill, which only the caller can price.  Hit rates are conditional on reaching the level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hermes_dsl.ir.hardware import MemorySpec


@dataclass(frozen=True, slots=True)
class Tier:
    """One level of the hierarchy: hit rate (given the level is reached), lookup s, B/s."""

    hit: float
    lookup: float
    bandwidth: float

    @staticmethod
    def of(memory: MemorySpec, hit: float, bandwidth: float | None = None) -> Tier:
        """A tier from a memory datasheet; ``bandwidth`` overrides it (e.g. a contended share)."""
        return Tier(hit=hit, lookup=memory.lookup, bandwidth=bandwidth or memory.bandwidth)


def tier_time(size: float, tiers: Sequence[Tier], miss_time: float) -> float:
    """Expected seconds to obtain ``size`` bytes through ``tiers`` (top first).

    Evaluated from the bottom up, so the recursion costs nothing.
    """
    t = miss_time
    for tier in reversed(tiers):
        if not 0.0 <= tier.hit <= 1.0:
            raise ValueError(f"hit rate {tier.hit} is not within 0..1")
        hit_time = tier.lookup + (size / tier.bandwidth if size > 0 else 0.0)
        t = tier.hit * hit_time + (1.0 - tier.hit) * t
    return t


def tier_probabilities(tiers: Sequence[Tier]) -> list[float]:
    """Unconditional probability that each tier serves the request; the last entry is a miss."""
    out = []
    reach = 1.0
    for tier in tiers:
        out.append(reach * tier.hit)
        reach *= 1.0 - tier.hit
    out.append(reach)
    return out
