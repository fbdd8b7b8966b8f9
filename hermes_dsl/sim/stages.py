"""Clients of the stages that are not LLM inference: pre/post-processing, embedding, vector
search and reranking.

All of them are one shape: a queue in front of ``workers`` identical servers, each taking up
to ``batch`` waiting items at once and holding them for ``service(items)`` seconds.  What
differs is the service time, a pure function given by the assembler (a fixed time plus a
per-token time; an encoder forward pass; an IVF-PQ search), so this module knows nothing about
models or hardware.  Items arriving at the same instant are queued before a batch forms (the
start is an event at the same time), as the LLM clients do.

Energy: ``idle_power`` whenever the client exists, plus ``busy_power - idle_power`` scaled by
the fraction of its servers that are busy.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hermes_dsl.sim.loop import EventLoop

__all__ = ["BatchServer", "ServerStats"]

DoneFn = Callable[[float, Any], None]
StartFn = Callable[[float, Any], None]


@dataclass(frozen=True)
class ServerStats:
    name: str
    busy_time: float  # server-seconds spent serving (summed over workers)
    end_time: float
    utilisation: float  # busy_time / (workers * end_time)
    energy: float
    batches: int
    items: int


class BatchServer:
    """A FIFO queue served by ``workers`` servers, each serving up to ``batch`` items at once.

    service(items) -> seconds for one batch; on_start(now, item) when an item's service begins;
    on_done(now, item) when it ends.
    """

    def __init__(
        self,
        *,
        name: str,
        service: Callable[[list[Any]], float],
        workers: int = 1,
        batch: int = 1,
        busy_power: float = 0.0,
        idle_power: float = 0.0,
    ) -> None:
        if workers < 1:
            raise ValueError(f"{name}: workers must be at least 1, got {workers}")
        if batch < 1:
            raise ValueError(f"{name}: batch must be at least 1, got {batch}")
        self.name = name
        self.service = service
        self.workers = int(workers)
        self.batch = int(batch)
        self.busy_power = float(busy_power)
        self.idle_power = float(idle_power)
        self.queue: deque[Any] = deque()
        self.free = list(range(self.workers - 1, -1, -1))  # free worker ids, lowest last
        self.in_service = 0
        self.busy_time = 0.0
        self.batches = 0
        self.items = 0
        self.loop: EventLoop | None = None
        self._on_done: DoneFn | None = None
        self._on_start: StartFn | None = None
        self._kicked = False
        self.trace_limit = 0
        self._tr_s = array("d")
        self._tr_e = array("d")
        self._tr_n = array("q")
        self._tr_w = array("q")

    def attach(self, loop: EventLoop, *, on_done: DoneFn, on_start: StartFn | None = None) -> None:
        self.loop = loop
        self._on_done = on_done
        self._on_start = on_start

    @property
    def load(self) -> int:
        return len(self.queue) + self.in_service

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    def submit(self, now: float, item: Any) -> None:
        self.queue.append(item)
        if self.free and not self._kicked:
            self._kicked = True
            self.loop.schedule(now, self._kick)

    def _kick(self, now: float) -> None:
        self._kicked = False
        queue = self.queue
        while self.free and queue:
            n = min(self.batch, len(queue))
            items = [queue.popleft() for _ in range(n)]
            w = self.free.pop()
            dur = self.service(items)
            if self._on_start is not None:
                for it in items:
                    self._on_start(now, it)
            self.in_service += n
            self.batches += 1
            self.busy_time += dur
            if len(self._tr_s) < self.trace_limit:
                self._tr_s.append(now)
                self._tr_e.append(now + dur)
                self._tr_n.append(n)
                self._tr_w.append(w)
            self.loop.schedule(now + dur, self._end, items, w)

    def _end(self, now: float, items: list[Any], worker: int) -> None:
        self.in_service -= len(items)
        self.items += len(items)
        self.free.append(worker)
        self.free.sort(reverse=True)
        for it in items:
            self._on_done(now, it)
        if self.queue and not self._kicked:
            self._kicked = True
            self.loop.schedule(now, self._kick)

    def iteration_log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, items, worker) of the first ``trace_limit`` batches."""
        return (
            np.frombuffer(self._tr_s, dtype=np.float64).copy(),
            np.frombuffer(self._tr_e, dtype=np.float64).copy(),
            np.frombuffer(self._tr_n, dtype=np.int64).copy(),
            np.frombuffer(self._tr_w, dtype=np.int64).copy(),
        )

    def finalize(self, end_time: float) -> ServerStats:
        # Service booked when a batch starts; at most every server busy the whole run.
        busy = self.busy_time
        cap = self.workers * end_time
        busy = min(busy, cap) if cap > 0 else 0.0
        util = busy / cap if cap > 0 else 0.0
        energy = self.idle_power * end_time + (self.busy_power - self.idle_power) * util * end_time
        return ServerStats(
            name=self.name,
            busy_time=busy,
            end_time=end_time,
            utilisation=util,
            energy=max(energy, 0.0),
            batches=self.batches,
            items=self.items,
        )
