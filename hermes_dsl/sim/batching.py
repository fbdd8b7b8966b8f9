"""Batching policies and packing orders: what an LLM client may put in one iteration.

A policy is plain data; :class:`hermes_dsl.sim.client.LLMClient` executes it.  Keeping the
rules here and the mechanics there means a spec (or a test) names a policy with a few keyword
arguments and the hot loop reads a few attributes once.

Kinds:
``static``     a batch is formed only when the client is empty, and runs until every request
               in it has finished (finished requests leave; nobody joins).
``continuous`` iteration-level scheduling as vLLM does it: every iteration carries one token of
               each running decode, and waiting prompts join, whole, while the batch size and
               token budget allow; prefills and decodes share the iteration.
``mixed``      the HERMES name for co-located prefill and decode in the same iteration; the same
               mechanics as ``continuous``.
``chunked``    Sarathi-style chunked prefill: decodes first, then the remaining token budget is
               filled with prompt chunks (running prefills first, then new requests), so a long
               prompt is spread over several iterations alongside the decodes.

Packing decides which waiting request is considered next: ``fcfs`` (arrival order; preempted
requests go back to the front, as in vLLM) or ``lwl`` (least work left: fewest prompt tokens
still to prefill plus output tokens still to generate, ties by arrival).  Admission stops at the
first request that does not fit, as vLLM does, so packing order is also priority order.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

from hermes_dsl.sim.request import Request

__all__ = [
    "BatchingPolicy",
    "FCFSQueue",
    "LWLQueue",
    "chunked",
    "continuous",
    "make_queue",
    "mixed",
    "static",
]

KINDS = ("static", "continuous", "mixed", "chunked")
PACKINGS = ("fcfs", "lwl")


@dataclass(frozen=True, slots=True)
class BatchingPolicy:
    """How one LLM client forms iterations.

    max_batch:          most requests in one iteration (running decodes plus prefills);
    max_batched_tokens: most tokens one iteration processes (decodes count one each); None is
                        no limit.  With ``chunked`` it is the per-iteration token budget.
    packing:            ``fcfs`` or ``lwl``.
    """

    kind: str = "continuous"
    max_batch: int = 256
    max_batched_tokens: int | None = None
    packing: str = "fcfs"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown batching kind {self.kind!r}; expected one of {KINDS}")
        if self.packing not in PACKINGS:
            raise ValueError(f"unknown packing {self.packing!r}; expected one of {PACKINGS}")
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {self.max_batch}")
        if self.max_batched_tokens is not None and self.max_batched_tokens < 1:
            raise ValueError(f"max_batched_tokens must be >= 1, got {self.max_batched_tokens}")
        if self.kind == "chunked" and self.max_batched_tokens is None:
            raise ValueError("chunked prefill needs a per-iteration token budget")

    @property
    def chunking(self) -> bool:
        return self.kind == "chunked"

    @property
    def token_budget(self) -> float:
        return math.inf if self.max_batched_tokens is None else self.max_batched_tokens


def static(*, max_batch: int = 256, max_batched_tokens: int | None = None, packing: str = "fcfs"):
    """Static batching: form a batch when idle, run it to completion."""
    return BatchingPolicy("static", max_batch, max_batched_tokens, packing)


def continuous(
    *, max_batch: int = 256, max_batched_tokens: int | None = None, packing: str = "fcfs"
) -> BatchingPolicy:
    """Iteration-level (vLLM-like) batching; whole prompts join running decodes."""
    return BatchingPolicy("continuous", max_batch, max_batched_tokens, packing)


def mixed(
    *, max_batch: int = 256, max_batched_tokens: int | None = None, packing: str = "fcfs"
) -> BatchingPolicy:
    """Prefill and decode mixed in each iteration (HERMES' name; mechanics of continuous)."""
    return BatchingPolicy("mixed", max_batch, max_batched_tokens, packing)


def chunked(
    *, max_batched_tokens: int = 512, max_batch: int = 256, packing: str = "fcfs"
) -> BatchingPolicy:
    """Sarathi-style chunked prefill with a per-iteration token budget."""
    return BatchingPolicy("chunked", max_batch, max_batched_tokens, packing)


class FCFSQueue:
    """Arrival order; preempted requests re-enter at the front (vLLM)."""

    __slots__ = ("_q",)

    def __init__(self) -> None:
        self._q: deque[Request] = deque()

    def __len__(self) -> int:
        return len(self._q)

    def push(self, r: Request) -> None:
        self._q.append(r)

    def push_front(self, r: Request) -> None:
        self._q.appendleft(r)

    def peek(self) -> Request:
        return self._q[0]

    def pop(self) -> Request:
        return self._q.popleft()

    def __iter__(self):
        return iter(self._q)


class LWLQueue:
    """Least work left first; ties broken by the order requests entered the queue."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Request]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, r: Request) -> None:
        self._seq += 1
        work = (r.target - r.computed) + (r.output - r.generated)
        heapq.heappush(self._heap, (work, self._seq, r))

    def push_front(self, r: Request) -> None:
        # Priority is by work; a preempted request competes on what it has left.
        self._seq += 1
        work = (r.target - r.computed) + (r.output - r.generated)
        heapq.heappush(self._heap, (work, -self._seq, r))

    def peek(self) -> Request:
        return self._heap[0][2]

    def pop(self) -> Request:
        return heapq.heappop(self._heap)[2]

    def __iter__(self):
        return (entry[2] for entry in sorted(self._heap, key=lambda e: (e[0], e[1])))


def make_queue(packing: str) -> FCFSQueue | LWLQueue:
    return FCFSQueue() if packing == "fcfs" else LWLQueue()
