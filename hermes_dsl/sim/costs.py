"""The narrow interface between the event loop and the performance models.

The runtime never looks at hardware or model shapes: an LLM client holds an object with this
method, asks it how long an iteration with a given batch shape takes, and advances the clock.
Five plain numbers describe a batch (no per-request objects cross the boundary), which keeps the
call cheap and lets implementations cache on the shape.
"""

from __future__ import annotations

from typing import Protocol


class IterationCost(Protocol):
    def iteration_time(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        """Seconds for one iteration of a model replica.

        prefill_tokens: new prompt tokens processed (sum of the prefill chunks);
        prefill_attn:   causal attention pairs of those chunks, the sum over chunks of
                        ``c * (p + (c + 1) / 2)`` for a chunk of ``c`` tokens after ``p`` cached;
        prefill_seqs:   number of prefill chunks in the batch;
        decode_seqs:    number of requests generating one token each;
        decode_context: sum of the KV-cache lengths those decodes attend over.
        """
        ...


class LinearCost:
    """An iteration cost linear in the batch shape, for tests and quick calibrations.

    ``time = base + per_prefill_token * prefill_tokens + per_prefill_pair * prefill_attn
    + per_prefill_seq * prefill_seqs + per_decode_seq * decode_seqs
    + per_decode_context * decode_context`` seconds, evaluated left to right.

    Exact answers are easy to work out by hand with it, which is what the runtime's tests need;
    :meth:`decode_iteration_times` gives the same floats, vectorised, so the client can
    fast-forward long decode stretches without calling back per iteration.
    """

    __slots__ = (
        "base",
        "per_decode_context",
        "per_decode_seq",
        "per_prefill_pair",
        "per_prefill_seq",
        "per_prefill_token",
    )

    def __init__(
        self,
        *,
        base: float = 0.0,
        per_prefill_token: float = 0.0,
        per_prefill_pair: float = 0.0,
        per_prefill_seq: float = 0.0,
        per_decode_seq: float = 0.0,
        per_decode_context: float = 0.0,
    ) -> None:
        for name, value in (
            ("base", base),
            ("per_prefill_token", per_prefill_token),
            ("per_prefill_pair", per_prefill_pair),
            ("per_prefill_seq", per_prefill_seq),
            ("per_decode_seq", per_decode_seq),
            ("per_decode_context", per_decode_context),
        ):
            if not (value >= 0.0 and value < float("inf")):
                raise ValueError(f"LinearCost.{name} must be a finite, non-negative number")
        self.base = float(base)
        self.per_prefill_token = float(per_prefill_token)
        self.per_prefill_pair = float(per_prefill_pair)
        self.per_prefill_seq = float(per_prefill_seq)
        self.per_decode_seq = float(per_decode_seq)
        self.per_decode_context = float(per_decode_context)

    def iteration_time(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        return (
            self.base
            + self.per_prefill_token * prefill_tokens
            + self.per_prefill_pair * prefill_attn
            + self.per_prefill_seq * prefill_seqs
            + self.per_decode_seq * decode_seqs
            + self.per_decode_context * decode_context
        )

    def decode_iteration_times(self, decode_seqs: int, decode_context: int, count: int):
        """Times of ``count`` pure-decode iterations whose context grows by ``decode_seqs`` each.

        Element ``i`` equals ``iteration_time(0, 0.0, 0, decode_seqs, decode_context +
        i * decode_seqs)`` bit for bit (same operations in the same order).
        """
        import numpy as np

        head = (
            self.base
            + self.per_prefill_token * 0
            + self.per_prefill_pair * 0.0
            + self.per_prefill_seq * 0
            + self.per_decode_seq * decode_seqs
        )
        ctx = np.arange(count, dtype=np.int64) * decode_seqs + decode_context
        return head + self.per_decode_context * ctx.astype(np.float64)

    def __repr__(self) -> str:
        return (
            f"LinearCost(base={self.base!r}, per_prefill_token={self.per_prefill_token!r}, "
            f"per_prefill_pair={self.per_prefill_pair!r}, "
            f"per_prefill_seq={self.per_prefill_seq!r}, "
            f"per_decode_seq={self.per_decode_seq!r}, "
            f"per_decode_context={self.per_decode_context!r})"
        )


class FixedCost(LinearCost):
    """Every iteration takes ``seconds``, whatever the batch: the simplest model to check by hand.

    ``prefill`` and ``decode`` let the two kinds differ: an iteration with any prefill tokens
    takes ``prefill`` seconds, a pure-decode iteration ``decode`` seconds.
    """

    __slots__ = ("decode", "prefill")

    def __init__(
        self,
        seconds: float | None = None,
        *,
        prefill: float | None = None,
        decode: float | None = None,
    ) -> None:
        if seconds is None and (prefill is None or decode is None):
            raise ValueError("FixedCost needs seconds, or both prefill and decode seconds")
        p = float(seconds if prefill is None else prefill)
        d = float(seconds if decode is None else decode)
        super().__init__(base=d)
        if not (p >= 0.0 and d >= 0.0):
            raise ValueError("FixedCost times must be non-negative")
        self.prefill = p
        self.decode = d

    def iteration_time(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        return self.prefill if prefill_tokens > 0 else self.decode

    def decode_iteration_times(self, decode_seqs: int, decode_context: int, count: int):
        import numpy as np

        return np.full(count, self.decode, dtype=np.float64)

    def __repr__(self) -> str:
        return f"FixedCost(prefill={self.prefill!r}, decode={self.decode!r})"
