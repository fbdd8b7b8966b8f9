"""Prefill-only and decode-only clients wired by hand, as a coordinator will wire them."""

from __future__ import annotations

import numpy as np
import pytest

from hermes_dsl.sim import (
    EventLoop,
    FixedCost,
    KVCache,
    LLMClient,
    Request,
    RequestLog,
    continuous,
)


def test_prefill_to_decode_handoff_by_hand():
    loop = EventLoop()
    log = RequestLog(2)
    link = 1e9  # B/s between the two clients
    bpt = 1000.0
    pre = LLMClient(
        name="p",
        cost=FixedCost(prefill=1.0, decode=99.0),
        kv=KVCache(num_blocks=100, block_size=16),
        role="prefill",
        kv_bytes_per_token=bpt,
    )
    dec = LLMClient(
        name="d",
        cost=FixedCost(prefill=99.0, decode=0.5),
        kv=KVCache(num_blocks=100, block_size=16),
        role="decode",
        kv_bytes_per_token=bpt,
        policy=continuous(),
    )
    moved = []

    def handoff(now, r, kv_bytes):
        moved.append(kv_bytes)
        r.handed_off()
        loop.schedule(now + kv_bytes / link, dec.submit, r)

    pre.attach(loop, on_finish=log.finish, on_reject=log.reject, on_handoff=handoff)
    dec.attach(loop, on_finish=log.finish, on_reject=log.reject)
    loop.schedule(0.0, pre.submit, Request(id=0, arrival=0.0, prompt=100, output=4))
    loop.schedule(0.0, pre.submit, Request(id=1, arrival=0.0, prompt=50, output=1))
    loop.run()
    t = log.table()
    assert moved == [100 * bpt]  # request 1 finished at its prefill: nothing to move
    assert list(t.first_token) == [1.0, 1.0]
    transfer = 100 * bpt / link
    assert t.completion[1] == 1.0
    assert t.completion[0] == pytest.approx(1.0 + transfer + 3 * 0.5)
    assert pre.kv.available == 100 and dec.kv.available == 100
    assert dec.prefill_tokens == 0 and dec.decode_tokens == 3


def test_decode_client_rejects_unprefilled_request():
    loop = EventLoop()
    log = RequestLog(1)
    dec = LLMClient(name="d", cost=FixedCost(0.1), kv=KVCache(num_blocks=10), role="decode")
    dec.attach(loop, on_finish=log.finish, on_reject=log.reject)
    loop.schedule(0.0, dec.submit, Request(id=0, arrival=0.0, prompt=10, output=3))
    loop.run()
    assert "not prefilled" in log.table().rejection_reasons()[0]
    assert np.isnan(log.table().completion[0])


def test_loop_orders_same_time_events_fifo_and_rejects_the_past():
    loop = EventLoop()
    seen = []
    for i in range(5):
        loop.schedule(1.0, lambda now, i=i: seen.append((now, i)))
    loop.schedule(0.5, lambda now: seen.append((now, "first")))
    assert loop.run() == "drained"
    assert seen == [(0.5, "first")] + [(1.0, i) for i in range(5)]
    with pytest.raises(ValueError):
        loop.schedule(0.1, lambda now: None)
