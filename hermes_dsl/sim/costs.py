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
