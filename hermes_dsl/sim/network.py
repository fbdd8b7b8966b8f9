"""Data movement with contention: transfers over links and memory tiers share bandwidth.

A *resource* is anything with a bandwidth that concurrent transfers divide: one endpoint of a
link (a link gives each endpoint its bandwidth, so two GPUs on one NVLink switch do not slow
each other unless they talk to the same GPU), or a memory tier (or one client's private share
of a tier).  A *flow* moves ``nbytes`` across a list of resources after a fixed delay (start-up,
link latencies, a tier's lookup).  While it moves, its rate is the smallest fair share
``capacity / active flows`` over its resources; every time a flow starts or ends, the flows
sharing a resource with it are re-timed (their progress so far is banked at the old rate and
their end is rescheduled at the new one).  Two equal transfers started together on one link
therefore each take twice as long as one alone, and a busy shared tier slows everyone using it.

Why not max-min fairness: equal shares per resource need only the flows on the resources that
changed, never a global solve, and differ from max-min only when a flow is bottlenecked
elsewhere (its unused share is then not handed to the others).

Ends are kept off the event loop: the fabric keeps every moving flow's end on an agenda of its
own and shows the loop only the earliest, as one event that is cancelled and replaced when a
re-timing changes which flow ends first or when.  Re-timing a flow takes a place in the loop's
order (:meth:`EventLoop.reserve`) exactly as scheduling its end would, and that end runs at
that place, so the order of everything is that of scheduling each end as an event; but the ends
a re-timing supersedes (a busy link makes hundreds of thousands) never reach the loop: they
run nothing, count as no event and do not cut the decode stretches clients fast-forward (which
stop at the next pending event).  On the fabric's own agenda a superseded end is skipped when
it comes first.  Resources keep their flows in insertion-ordered dicts, so every run is
deterministic.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from hermes_dsl.sim.loop import EventLoop

__all__ = ["Fabric", "Flow", "Resource"]

_SHARE = attrgetter("share")


class Resource:
    """A bandwidth shared by the flows crossing it (B/s)."""

    __slots__ = (
        "_since",
        "busy_time",
        "bytes",
        "capacity",
        "flows",
        "index",
        "kind",
        "name",
        "share",
    )

    def __init__(self, name: str, capacity: float, kind: str, index: int) -> None:
        if not capacity > 0:
            raise ValueError(f"resource {name!r} needs a positive bandwidth, got {capacity!r}")
        self.name = name
        self.capacity = float(capacity)
        self.kind = kind  # "link" or "memory"
        self.index = index
        self.flows: dict[Flow, None] = {}
        self.bytes = 0.0  # bytes carried (counted when a flow starts moving)
        self.busy_time = 0.0  # time with at least one flow moving
        self._since = 0.0
        self.share = self.capacity  # capacity / flows, kept up to date as flows come and go


class Flow:
    __slots__ = (
        "args",
        "begin",
        "callback",
        "end",
        "last",
        "nbytes",
        "rate",
        "remaining",
        "resources",
        "seq",
        "start",
    )

    def __init__(
        self,
        nbytes: float,
        resources: tuple[Resource, ...],
        callback: Callable[..., Any],
        args: tuple[Any, ...],
    ) -> None:
        self.nbytes = nbytes
        self.remaining = nbytes
        self.resources = resources
        self.callback = callback
        self.args = args
        self.rate = 0.0
        self.last = 0.0
        self.seq = 0  # loop order of its current end on the fabric's agenda (0: not moving)
        self.start = 0.0  # when the transfer was asked for
        self.begin = 0.0  # when its bytes started moving (after the fixed delay)
        self.end = float("nan")


class Fabric:
    """Every shared bandwidth of a run, and the flows crossing them, on one event loop."""

    def __init__(self, loop: EventLoop, *, log_limit: int = 0) -> None:
        self.loop = loop
        self.resources: list[Resource] = []
        self._by_key: dict[object, Resource] = {}
        self.flows_started = 0
        self.log_limit = log_limit
        # Log of finished flows (for traces): start, end, bytes, first resource index.
        self._l_s = array("d")
        self._l_e = array("d")
        self._l_b = array("d")
        self._l_r = array("q")
        # The agenda: (end, seq, flow) of moving flows; an entry whose seq is no longer its
        # flow's was superseded by a re-timing and is skipped.  Only the first valid entry is
        # scheduled on the loop, as the event of seq ``_armed`` (0: none).
        self._agenda: list[tuple[float, int, Flow]] = []
        self._armed = 0

    def resource(self, key: object, name: str, capacity: float, kind: str = "link") -> Resource:
        """The resource known by ``key``, created on first use."""
        r = self._by_key.get(key)
        if r is None:
            r = Resource(name, capacity, kind, len(self.resources))
            self._by_key[key] = r
            self.resources.append(r)
        return r

    def transfer(
        self,
        now: float,
        nbytes: float,
        resources: Sequence[Resource],
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
    ) -> Flow:
        """Move ``nbytes`` over ``resources`` after ``delay`` s; then ``callback(t, *args)``.

        With no bytes or no resources the transfer takes just the delay.
        """
        f = Flow(float(nbytes), tuple(resources), callback, args)
        f.start = now
        self.flows_started += 1
        t = now + delay
        if nbytes <= 0 or not f.resources:
            f.begin = t
            self.loop.schedule(t, self._finish_free, f)
        else:
            self.loop.schedule(t, self._begin, f)
        return f

    def _finish_free(self, now: float, f: Flow) -> None:
        f.end = now
        self._log(f)
        f.callback(now, *f.args)

    def _begin(self, now: float, f: Flow) -> None:
        f.begin = now
        f.last = now
        for r in f.resources:
            flows = r.flows
            if not flows:
                r._since = now
            flows[f] = None
            r.share = r.capacity / len(flows)
            r.bytes += f.nbytes
        self._retime(now, f.resources)

    def _retime(self, now: float, resources: tuple[Resource, ...]) -> None:
        if len(resources) == 1:
            affected = resources[0].flows
        else:
            affected = {}
            for r in resources:
                affected.update(r.flows)
        # Each re-timed end takes the next place in the loop's order (what ``loop.reserve``
        # does, minus the call): a busy link re-times hundreds of flows per start or end.
        loop = self.loop
        agenda = self._agenda
        seq = loop._seq
        push = heapq.heappush
        for g in affected:
            rate = g.rate
            rem = g.remaining
            if rate > 0.0:
                rem -= rate * (now - g.last)
                if rem < 0.0:
                    rem = 0.0
                g.remaining = rem
            g.last = now
            rs = g.resources
            rate = rs[0].share if len(rs) == 1 else min(map(_SHARE, rs))
            g.rate = rate
            seq += 1
            g.seq = seq
            push(agenda, (now + rem / rate, seq, g))
        loop._seq = seq
        self._arm()

    def _arm(self) -> None:
        """Show the loop the first valid end of the agenda, and only that one."""
        agenda = self._agenda
        while agenda:
            top = agenda[0]
            if top[2].seq == top[1]:
                break
            heapq.heappop(agenda)
        else:
            if self._armed:
                self.loop.cancel(self._armed)
                self._armed = 0
            return
        t, seq, _ = top
        armed = self._armed
        if seq != armed:
            loop = self.loop
            if armed:
                loop.cancel(armed)
            loop.schedule_reserved(t, seq, self._end)
            self._armed = seq

    def _end(self, now: float) -> None:
        _, seq, f = heapq.heappop(self._agenda)
        assert seq == self._armed == f.seq
        self._armed = 0
        f.seq = 0
        f.remaining = 0.0
        f.rate = 0.0
        f.end = now
        for r in f.resources:
            flows = r.flows
            del flows[f]
            if flows:
                r.share = r.capacity / len(flows)
            else:
                r.busy_time += now - r._since
        self._retime(now, f.resources)
        self._log(f)
        f.callback(now, *f.args)

    def _log(self, f: Flow) -> None:
        if len(self._l_s) < self.log_limit:
            self._l_s.append(f.start)
            self._l_e.append(f.end)
            self._l_b.append(f.nbytes)
            self._l_r.append(f.resources[0].index if f.resources else -1)

    def busy_time(self, r: Resource, end_time: float) -> float:
        """Busy time of ``r`` up to ``end_time`` (counting flows still moving)."""
        busy = r.busy_time
        if r.flows:
            busy += max(end_time - r._since, 0.0)
        return busy

    def log(self) -> dict[str, np.ndarray]:
        return {
            "start": np.frombuffer(self._l_s, dtype=np.float64).copy(),
            "end": np.frombuffer(self._l_e, dtype=np.float64).copy(),
            "bytes": np.frombuffer(self._l_b, dtype=np.float64).copy(),
            "resource": np.frombuffer(self._l_r, dtype=np.int64).copy(),
        }
