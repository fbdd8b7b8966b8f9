"""The fabric: max-min fair rates checked by hand, and its transfer ends on the event loop (one
pending event for the earliest end, the order of a one-event-per-re-timing design, and no
superseded end visible to anyone)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from hermes_dsl.sim.loop import EventLoop
from hermes_dsl.sim.network import Fabric, Flow, Resource


class _EveryRetimingAnEvent(Fabric):
    """The former design, as a reference: each re-timing schedules a new end event per flow
    and the superseded ones stay on the loop, run and are ignored."""

    def __init__(self, loop: EventLoop, **kw: Any) -> None:
        super().__init__(loop, **kw)
        self._version: dict[Flow, int] = {}

    def _retime(self, now: float, resources: tuple[Resource, ...]) -> None:
        for g, rate in self.rates(resources).items():
            if rate == g.rate:
                continue
            if g.rate > 0.0:
                rem = g.remaining - g.rate * (now - g.last)
                g.remaining = rem if rem >= 0.0 else 0.0
            g.last = now
            g.rate = rate
            v = self._version.get(g, 0) + 1
            self._version[g] = v
            self.loop.schedule(now + g.remaining / g.rate, self._stale_or_end, g, v)

    def _stale_or_end(self, now: float, f: Flow, version: int) -> None:
        if version != self._version[f]:
            return
        self._version[f] = -1
        f.remaining = 0.0
        f.rate = 0.0
        f.end = now
        for r in f.resources:
            del r.flows[f]
            if not r.flows:
                r.busy_time += now - r._since
        self._retime(now, f.resources)
        self._log(f)
        f.callback(now, *f.args)


def test_max_min_rates_by_hand() -> None:
    """A crosses X and Y; B only X; C and D only Y (X and Y carry 10 B/s each).  Y is the
    bottleneck of A, C and D (10/3 each); B gets what A leaves of X (20/3), not X's equal
    share of 5.  When C and D end, A is held back by X: A and B get 5 each."""
    loop = EventLoop()
    fab = Fabric(loop)
    x = fab.resource("x", "X", 10.0)
    y = fab.resource("y", "Y", 10.0)
    ended: dict[str, float] = {}

    def done(t: float, name: str) -> None:
        ended[name] = t

    a = fab.transfer(0.0, 100.0, (x, y), 0.0, done, "A")
    b = fab.transfer(0.0, 100.0, (x,), 0.0, done, "B")
    c = fab.transfer(0.0, 10.0, (y,), 0.0, done, "C")
    d = fab.transfer(0.0, 10.0, (y,), 0.0, done, "D")
    seen = {}
    loop.schedule(1.0, lambda t: seen.update({f: f.rate for f in (a, b, c, d)}))
    loop.run()
    assert seen[a] == pytest.approx(10 / 3) and seen[b] == pytest.approx(20 / 3)
    assert seen[c] == seen[d] == pytest.approx(10 / 3)
    # C and D move 10 B at 10/3 B/s: they end at 3 s, when A has 90 B left and B 80 B.  Then
    # A and B share X at 5 B/s each: B ends at 3 + 80/5 = 19 s, when A has 10 B left, which it
    # moves alone at 10 B/s: A ends at 20 s.
    assert ended["C"] == ended["D"] == pytest.approx(3.0)
    assert ended["B"] == pytest.approx(19.0)
    assert ended["A"] == pytest.approx(20.0)


def test_unlimited_resources_do_not_stall_flows() -> None:
    loop = EventLoop()
    fab = Fabric(loop)
    a = fab.resource("a", "A", float("inf"))
    b = fab.resource("b", "B", float("inf"))
    ends: list[float] = []
    fab.transfer(0.0, 1e9, (b,), 0.0, lambda t: ends.append(t))
    loop.schedule(0.5, lambda t: fab.transfer(t, 1e9, (a, b), 1e-3, lambda t: ends.append(t)))
    loop.run()
    assert ends == [0.0, 0.5 + 1e-3]  # no bytes wait on an unlimited bandwidth


def _scenario(fabric_type: type[Fabric], seed: int) -> tuple[list[Any], EventLoop, Fabric]:
    """Transfers at quantised times with repeated sizes (so that ends tie), over random subsets
    of four resources, each end starting a follow-up transfer now and then."""
    rng = random.Random(seed)
    loop = EventLoop()
    fab = fabric_type(loop, log_limit=10_000)
    res = [fab.resource(i, f"r{i}", cap) for i, cap in enumerate((1e9, 2e9, 0.5e9, 1e9))]
    seen: list[Any] = []

    def done(t: float, name: str) -> None:
        seen.append((t, name))
        if rng.random() < 0.3:
            fab.transfer(t, rng.choice((1e8, 2e8)), rng.sample(res, 1), 0.0, done, name + "+")

    for i in range(150):
        start = rng.randrange(50) * 0.01
        rs = rng.sample(res, rng.randint(1, 3))
        nbytes = rng.choice((0.0, 1e8, 1e8, 3e8, 5e8))
        delay = rng.choice((0.0, 0.0, 1e-3))
        loop.schedule(
            start, lambda t, i=i, rs=rs, b=nbytes, d=delay: fab.transfer(t, b, rs, d, done, f"f{i}")
        )
    loop.run()
    return seen, loop, fab


@pytest.mark.parametrize("seed", range(5))
def test_ends_match_the_one_event_per_re_timing_design_exactly(seed: int) -> None:
    new, loop_new, fab_new = _scenario(Fabric, seed)
    old, loop_old, fab_old = _scenario(_EveryRetimingAnEvent, seed)
    assert new == old  # same times, bit for bit, in the same order
    for a, b in zip(fab_new.resources, fab_old.resources, strict=True):
        assert (a.bytes, a.busy_time) == (b.bytes, b.busy_time)
    assert all((fab_new.log()[k] == fab_old.log()[k]).all() for k in fab_new.log())
    # Without the superseded ends: the 150 scheduling events, then per transfer a begin and
    # an end (one event for a transfer of no bytes).
    n = fab_new.flows_started
    free = int((fab_new.log()["bytes"] == 0).sum())
    assert free > 0
    assert loop_new.events == 150 + 2 * n - free
    assert loop_old.events > loop_new.events


def test_peek_time_sees_the_next_real_end_and_one_event_stands_for_all() -> None:
    loop = EventLoop()
    fab = Fabric(loop)
    link = fab.resource("l", "l", 1e9)
    ends: list[float] = []
    peeks: list[tuple[float, float, int]] = []
    # Ten transfers join one link at t = 0 (each re-times those before it), ends re-time the rest.
    for k in range(10):
        fab.transfer(0.0, (k + 1) * 1e8, [link], 0.0, lambda t: ends.append(t))

    def probe(t: float) -> None:
        peeks.append((t, loop.peek_time(), loop.pending()))

    for p in (0.05, 0.5, 1.5, 3.0):
        loop.schedule(p, probe)
    loop.run()
    assert len(ends) == 10
    for t, peek, pending in peeks:
        later = [e for e in ends if e > t] + [p for p, _, _ in peeks if p > t]
        assert peek == min(later)
        # The next end and the probes still to come, nothing else.
        assert pending == 1 + sum(p > t for p, _, _ in peeks)
    assert loop.events == 10 + 10 + 4


def test_cancelled_events_neither_run_nor_count_nor_show() -> None:
    loop = EventLoop()
    seen: list[Any] = []
    first = loop.reserve()
    loop.schedule(1.0, lambda t: seen.append((t, "plain")))
    # A reserved place orders an event as if it had been scheduled when reserved.
    loop.schedule_reserved(1.0, first, lambda t: seen.append((t, "reserved")))
    late = loop.reserve()
    loop.schedule_reserved(0.5, late, lambda t: seen.append((t, "cancelled")))
    loop.cancel(late)
    assert loop.peek_time() == 1.0
    assert loop.pending() == 2
    gone = loop.reserve()

    def revived(t: float) -> None:
        seen.append((t, "revived"))

    loop.schedule_reserved(2.0, gone, revived)
    loop.cancel(gone)
    assert loop.peek_time() == 1.0 and loop.pending() == 2
    loop.schedule_reserved(2.0, gone, revived)
    assert loop.pending() == 3
    assert loop.run() == "drained"
    assert seen == [(1.0, "reserved"), (1.0, "plain"), (2.0, "revived")]
    assert loop.events == 3
    assert loop.pending() == 0
