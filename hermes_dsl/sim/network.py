"""Data movement with contention: transfers over links and memory tiers share bandwidth.

A *resource* is anything with a bandwidth that concurrent transfers divide: one endpoint of a
link (a link gives each endpoint its bandwidth, so two GPUs on one NVLink switch do not slow
each other unless they talk to the same GPU), or a memory tier (or one client's private share
of a tier).  A *flow* moves ``nbytes`` across a list of resources after a fixed delay (start-up,
link latencies, a tier's lookup).  While flows move, their rates are max-min fair: the resource
whose capacity divided by its flows is smallest is the bottleneck of those flows, which get
that share; their use is taken off the other resources they cross, and the same is done with
what is left until every flow has a rate (progressive filling).  So two equal transfers started
together on one link each take twice as long as one alone, a busy shared tier slows everyone
using it, and bandwidth a flow cannot use because it is held back elsewhere goes to the others.

Every time a flow starts or ends, the rates of the flows connected to it through shared
resources (directly or through other flows) are worked out again; a flow whose rate changes
banks its progress so far at the old rate and has its end rescheduled at the new one.  A
resource crossed by the changed flow alone, with no other flow on its resources, is the common
case and costs no solve: its flows share it equally.

Ends are kept off the event loop: the fabric keeps every moving flow's end on an agenda of its
own and shows the loop only the earliest, as one event that is cancelled and replaced when a
re-timing changes which flow ends first or when.  Re-timing a flow takes a place in the loop's
order (:meth:`EventLoop.reserve`) exactly as scheduling its end would, and that end runs at
that place, so the order of everything is that of scheduling each end as an event; but the ends
a re-timing supersedes (a busy link makes hundreds of thousands) never reach the loop: they
run nothing, count as no event and do not cut the decode stretches clients fast-forward (which
stop at the next pending event).  On the fabric's own agenda a superseded end is skipped when
it comes first.  Resources keep their flows in insertion-ordered dicts and components are
walked in a fixed order, so every run is deterministic.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hermes_dsl.sim.loop import EventLoop

__all__ = ["Fabric", "Flow", "Resource"]

_INF = float("inf")


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
            r.bytes += f.nbytes
        self._retime(now, f.resources)

    def _retime(self, now: float, resources: tuple[Resource, ...]) -> None:
        """New rates for the flows connected to ``resources``; new ends for those that change."""
        rates = self.rates(resources)
        # Each re-timed end takes the next place in the loop's order (what ``loop.reserve``
        # does, minus the call): a busy link re-times hundreds of flows per start or end.
        loop = self.loop
        agenda = self._agenda
        seq = loop._seq
        push = heapq.heappush
        for g, rate in rates.items():
            old = g.rate
            if rate == old:
                continue
            rem = g.remaining
            if old > 0.0:
                rem -= old * (now - g.last)
                if rem < 0.0:
                    rem = 0.0
                g.remaining = rem
            g.last = now
            g.rate = rate
            seq += 1
            g.seq = seq
            push(agenda, (now + rem / rate, seq, g))
        loop._seq = seq
        self._arm()

    @staticmethod
    def rates(resources: tuple[Resource, ...]) -> dict[Flow, float]:
        """Max-min fair rates of every flow connected to ``resources`` (progressive filling).

        The component is walked from ``resources`` in order (resources, their flows in
        insertion order, those flows' resources), so the result and its order are
        deterministic.  One resource whose flows cross nothing else is shared equally.
        """
        if len(resources) == 1:
            r = resources[0]
            flows = r.flows
            if all(len(g.resources) == 1 for g in flows):
                share = r.capacity / len(flows) if flows else 0.0
                return dict.fromkeys(flows, share)
        comp: dict[Resource, None] = {}
        stack = list(reversed(resources))
        while stack:
            r = stack.pop()
            if r in comp:
                continue
            comp[r] = None
            for g in r.flows:
                for r2 in reversed(g.resources):
                    if r2 not in comp:
                        stack.append(r2)
        # Progressive filling; a component has few resources (a tier and the link endpoints
        # of its flows) and settles in a round or two, so a scan beats a heap here.
        res = list(comp)
        pos = {r: i for i, r in enumerate(res)}
        cap = [r.capacity for r in res]
        left = [len(r.flows) for r in res]
        span = range(len(res))
        out: dict[Flow, float] = {}
        while True:
            best = -1
            share = 0.0
            for i in span:
                n = left[i]
                if n:
                    s = cap[i] / n
                    if best < 0 or s < share:
                        best = i
                        share = s
            if best < 0:
                break
            r = res[best]
            left[best] = 0
            for g in r.flows:
                if g in out:
                    continue
                out[g] = share
                for r2 in g.resources:
                    if r2 is not r:
                        j = pos[r2]
                        if share < _INF:  # an unlimited resource takes nothing off the others
                            c = cap[j] - share
                            cap[j] = c if c > 0.0 else 0.0
                        left[j] -= 1
        return out

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
            if not flows:
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
