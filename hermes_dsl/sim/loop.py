"""The discrete-event loop: a heap of ``(time, seq, callback, args)``.

Why this shape: ``seq`` is a strictly increasing counter, so events at the same time run in the
order they were scheduled and the heap never compares callbacks.  Nothing here reads the wall
clock or iterates a hash-ordered container, so a run is a pure function of its inputs and seed.
The loop knows nothing about requests, models or the spec language: anything can schedule a
callback, which is how clients, arrival sources and (later) coordinators plug in.

The cyclic garbage collector is paused while :meth:`EventLoop.run` runs (see there).

An event can also take a place in the order reserved earlier (:meth:`EventLoop.reserve`, then
:meth:`EventLoop.schedule_reserved`) and be cancelled (:meth:`EventLoop.cancel`).  That is for
a component that keeps its own agenda and shows the loop only its earliest entry (the fabric's
next transfer end): the entry runs exactly where it would have run had it been scheduled when
its place was reserved.  A cancelled event stays in the heap until its time, but it neither
runs, nor counts as an event, nor bounds :meth:`EventLoop.peek_time`.

A callback is called as ``callback(now, *args)``; passing the time saves an attribute lookup in
the hot paths of the clients.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Callable
from typing import Any

__all__ = ["EventLoop", "StopReason"]


class StopReason:
    """Why :meth:`EventLoop.run` returned (plain strings, so results stay printable)."""

    DRAINED = "drained"  # no events left
    HORIZON = "horizon"  # next event lies beyond the sim-time horizon
    EVENT_BUDGET = "event_budget"  # max_events events were processed
    STOPPED = "stopped"  # a callback called stop(), e.g. a request-count target was reached


class EventLoop:
    """A deterministic event loop over float seconds.

    horizon:    stop before processing any event later than this simulated time (seconds);
    max_events: stop after this many events.
    """

    __slots__ = ("_dead", "_heap", "_seq", "_stopped", "events", "horizon", "max_events", "now")

    def __init__(self, *, horizon: float | None = None, max_events: int | None = None) -> None:
        if horizon is not None and not horizon >= 0.0:
            raise ValueError(f"horizon must be a non-negative number of seconds, got {horizon!r}")
        if max_events is not None and max_events < 0:
            raise ValueError(f"max_events must be >= 0, got {max_events!r}")
        self.now = 0.0
        self.events = 0
        self.horizon = math.inf if horizon is None else float(horizon)
        self.max_events = max_events
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = 0
        self._stopped = False
        self._dead: set[int] = set()  # seqs of cancelled events still in the heap

    def schedule(self, time: float, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(time, *args)`` at simulated ``time`` (never earlier than now)."""
        if time < self.now:
            raise ValueError(f"cannot schedule an event at t={time!r} s before now={self.now!r} s")
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, callback, args))

    def reserve(self) -> int:
        """A place in the order of events, as if an event were scheduled now (see the module)."""
        self._seq += 1
        return self._seq

    def schedule_reserved(
        self, time: float, seq: int, callback: Callable[..., Any], *args: Any
    ) -> None:
        """Run ``callback(time, *args)`` at ``time``, ordered among equal times by ``seq``.

        ``seq`` comes from :meth:`reserve` and is used by one event at a time.  Scheduling a
        cancelled event again (same ``seq``, time and callback) revives it.
        """
        dead = self._dead
        if seq in dead:
            dead.remove(seq)
            return
        if time < self.now:
            raise ValueError(f"cannot schedule an event at t={time!r} s before now={self.now!r} s")
        heapq.heappush(self._heap, (time, seq, callback, args))

    def cancel(self, seq: int) -> None:
        """Drop the pending event scheduled with ``seq`` by :meth:`schedule_reserved`."""
        self._dead.add(seq)

    def peek_time(self) -> float:
        """Time of the next event, capped at the horizon (inf when nothing is pending).

        Clients use this to know how far they may fast-forward without missing anything.
        """
        heap = self._heap
        dead = self._dead
        while heap and heap[0][1] in dead:
            dead.remove(heapq.heappop(heap)[1])
        t = heap[0][0] if heap else math.inf
        return t if t < self.horizon else self.horizon

    def pending(self) -> int:
        return len(self._heap) - len(self._dead)

    def stop(self) -> None:
        """Ask :meth:`run` to return before the next event."""
        self._stopped = True

    def run(self) -> str:
        """Process events until drained, stopped, past the horizon or out of event budget."""
        heap = self._heap
        dead = self._dead
        pop = heapq.heappop
        horizon = self.horizon
        budget = math.inf if self.max_events is None else self.max_events
        n = self.events
        reason = StopReason.DRAINED
        self._stopped = False
        # The runtime's objects in flight hold no reference cycles (reference counting frees
        # them), while the heap holds many tuples that the cyclic collector would scan over and
        # over: pausing it while events run halves the wall time of a large pipeline.
        collecting = gc.isenabled()
        gc.disable()
        try:
            while heap:
                if self._stopped:
                    reason = StopReason.STOPPED
                    break
                if n >= budget:
                    reason = StopReason.EVENT_BUDGET
                    break
                t, seq, callback, args = pop(heap)
                if seq in dead:
                    dead.remove(seq)
                    continue
                if t > horizon:
                    heapq.heappush(heap, (t, seq, callback, args))
                    self.now = horizon
                    reason = StopReason.HORIZON
                    break
                self.now = t
                n += 1
                callback(t, *args)
            else:
                if self._stopped:
                    reason = StopReason.STOPPED
        finally:
            self.events = n
            if collecting:
                gc.enable()
        return reason
