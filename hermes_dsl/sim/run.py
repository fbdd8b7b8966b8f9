"""Driving a run: feed a request set into a client (or any sink) and collect the results.

Why a separate arrival source: arrivals are scheduled one at a time (each schedules the next
before handing its request on), so the heap stays small however long the run, and requests
arriving at the same instant are all queued before a client forms its next iteration.  Columns
are turned into Python scalars in chunks, never as a million-element list at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hermes_dsl.sim.client import LLMClient
from hermes_dsl.sim.loop import EventLoop, StopReason
from hermes_dsl.sim.metrics import RequestLog, SimResult
from hermes_dsl.sim.request import Request
from hermes_dsl.sim.workload import RequestSet

__all__ = ["ArrivalSource", "simulate"]

_CHUNK = 4096


class ArrivalSource:
    """Schedules the requests of a :class:`RequestSet` on a loop and hands each to ``sink``.

    sink(now, request) is typically ``client.submit`` or a coordinator's routing method.
    """

    def __init__(
        self,
        loop: EventLoop,
        requests: RequestSet,
        sink: Callable[[float, Request], None],
        *,
        first_id: int = 0,
    ) -> None:
        self.loop = loop
        self.requests = requests
        self.sink = sink
        self.first_id = first_id
        self.emitted = 0
        self._base = 0
        self._arr: list[float] = []
        self._pr: list[int] = []
        self._out: list[int] = []

    def start(self) -> None:
        if len(self.requests):
            self._load(0)
            self.loop.schedule(self._arr[0], self._arrive, 0)

    def _load(self, base: int) -> None:
        rs = self.requests
        end = base + _CHUNK
        self._base = base
        self._arr = rs.arrival[base:end].tolist()
        self._pr = rs.prompt[base:end].tolist()
        self._out = rs.output[base:end].tolist()

    def _arrive(self, now: float, i: int) -> None:
        # Every request stamped with this instant is created and handed on in this one event,
        # so a client that starts an iteration "now" sees all of them.
        rs = self.requests
        n = len(rs)
        hashes = rs.hash_ids
        batch: list[Request] = []
        while True:
            j = i - self._base
            batch.append(
                Request(
                    id=self.first_id + i,
                    arrival=now,
                    prompt=self._pr[j],
                    output=self._out[j],
                    hash_ids=None if hashes is None else hashes[i],
                )
            )
            i += 1
            if i >= n:
                break
            if i - self._base >= len(self._arr):
                self._load(i)
            t = self._arr[i - self._base]
            if t != now:
                self.loop.schedule(t, self._arrive, i)
                break
        self.emitted += len(batch)
        sink = self.sink
        for r in batch:
            sink(now, r)


def simulate(
    requests: RequestSet,
    client: LLMClient,
    *,
    horizon: float | None = None,
    max_events: int | None = None,
    max_completed: int | None = None,
) -> SimResult:
    """Serve ``requests`` with one co-located client and return the results.

    Stops when every request has left, at sim time ``horizon`` (s), after ``max_events``
    events, or once ``max_completed`` requests have finished or been rejected.
    """
    if client.role != "both":
        raise ValueError("simulate() drives one co-located client; disaggregation needs a router")
    loop = EventLoop(horizon=horizon, max_events=max_events)
    log = RequestLog(len(requests))
    target = math.inf if max_completed is None else max_completed

    def on_finish(now: float, r: Request) -> None:
        log.finish(now, r)
        if log.finished + log.rejected >= target:
            loop.stop()

    def on_reject(now: float, r: Request, reason: str) -> None:
        log.reject(now, r, reason)
        if log.finished + log.rejected >= target:
            loop.stop()

    client.attach(loop, on_finish=on_finish, on_reject=on_reject)
    source = ArrivalSource(loop, requests, client.submit)
    source.start()
    reason = loop.run()
    end = loop.now
    if reason == StopReason.HORIZON:
        end = loop.horizon
    # Requests that arrived but had not left keep their arrival in the table.
    for q in (client.running, list(client.waiting), list(client.swapped)):
        for r in q:
            log.note(r)
    return SimResult(
        requests=log.table(source.emitted),
        clients=(client.finalize(end),),
        end_time=end,
        events=loop.events,
        stop_reason=reason,
    )
