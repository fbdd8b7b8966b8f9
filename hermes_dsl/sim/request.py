"""A request in flight: the mutable state the clients advance.

Why a slotted object and not rows of an array: a client touches a handful of fields of the few
hundred requests it holds, many times per simulated second, and attribute access on a slotted
object is the cheapest thing Python offers for that.  Objects exist only while a request is in
flight; finished requests leave their numbers in :class:`hermes_dsl.sim.metrics.RequestLog`
columns and are dropped, so memory stays bounded by the number of concurrent requests.

Token accounting (one LLM stage):
    ``computed``  tokens whose KV is in the cache;
    ``target``    tokens the current prefill must reach (the prompt; after a recompute
                  preemption the prompt plus the tokens generated so far);
    ``generated`` output tokens produced.  A prefill that reaches ``target`` produces one token;
                  each decode iteration feeds the last token (``computed += 1``) and produces
                  the next, so ``computed >= target`` and ``computed == prompt + generated - 1``
                  hold while decoding.  The request is done when ``generated == output``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["Request"]

# States of a request inside one client.
WAITING = 0
RUNNING = 1
SWAPPED = 2
DONE = 3


class Request:
    __slots__ = (
        "arrival",
        "blocks",
        "cached",
        "computed",
        "first_token",
        "generated",
        "hash_ids",
        "id",
        "keys",
        "output",
        "preemptions",
        "prompt",
        "registered",
        "scheduled",
        "state",
        "swapped_blocks",
        "target",
        "work",
    )

    def __init__(
        self,
        *,
        id: int,
        arrival: float,
        prompt: int,
        output: int,
        hash_ids: tuple[int, ...] | None = None,
    ) -> None:
        self.id = id
        self.arrival = arrival
        self.prompt = prompt
        self.output = output
        self.hash_ids = hash_ids
        self.computed = 0
        self.target = prompt
        self.generated = 0
        self.blocks = 0  # KV blocks held on the current client (plain + prefix-cached)
        self.cached: list[int] | None = None  # ids of prefix-cached blocks held, in order
        self.keys: Sequence[object] | None = None  # prefix keys of the prompt's full blocks
        self.registered = 0  # prompt blocks already published to the prefix cache
        self.swapped_blocks = 0
        self.state = WAITING
        self.scheduled = math.nan  # first time the current client put it in a batch
        self.first_token = math.nan
        self.preemptions = 0
        self.work = 0  # tokens of work left when queued (least-work-left packing)

    def handed_off(self) -> None:
        """Mark the prefill as done elsewhere: the KV of the prompt arrives with the request.

        A decode-only client accepts requests in this state (disaggregated serving).
        """
        self.computed = self.target = self.prompt
        if self.generated < 1:
            self.generated = 1
        self.blocks = 0
        self.cached = None
        self.keys = None  # prefix keys depend on the receiving cache's block size
        self.registered = 0
        self.state = WAITING

    def __repr__(self) -> str:
        return (
            f"Request(id={self.id}, prompt={self.prompt}, output={self.output}, "
            f"computed={self.computed}/{self.target}, generated={self.generated})"
        )
