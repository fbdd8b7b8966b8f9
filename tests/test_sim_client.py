"""Hand-computed single-client scenarios with fixed or linear iteration costs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hermes_dsl.sim import (
    FixedCost,
    KVCache,
    LinearCost,
    LLMClient,
    RequestSet,
    chunked,
    continuous,
    simulate,
    static,
)


def reqs(arrival, prompt, output, hash_ids=None):
    return RequestSet(
        np.asarray(arrival, dtype=float),
        np.asarray(prompt, dtype=np.int64),
        np.asarray(output, dtype=np.int64),
        hash_ids,
    )


def client(cost, policy=None, blocks=10_000, block_size=16, **kw):
    return LLMClient(
        name="c0",
        cost=cost,
        kv=KVCache(num_blocks=blocks, block_size=block_size, watermark=kw.pop("watermark", 0.0)),
        policy=policy if policy is not None else continuous(),
        **kw,
    )


@pytest.mark.parametrize("ff", [True, False])
def test_single_request(ff):
    # prefill: 0.01 + 100 * 0.001 = 0.11 s; each decode: 0.01 + 0.002 = 0.012 s.
    cost = LinearCost(base=0.01, per_prefill_token=0.001, per_decode_seq=0.002)
    res = simulate(reqs([0.0], [100], [5]), client(cost, fast_forward=ff))
    t = res.requests
    prefill = 0.01 + 100 * 0.001
    decode = 0.01 + 0.002
    assert t.ttft[0] == pytest.approx(prefill, abs=1e-12)
    assert t.e2e[0] == pytest.approx(prefill + 4 * decode, abs=1e-12)
    assert t.tpot[0] == pytest.approx(decode, abs=1e-12)
    assert t.queueing[0] == 0.0
    c = res.clients[0]
    assert c.iterations == 5
    assert c.prefill_tokens == 100 and c.decode_tokens == 4
    assert c.busy_time == pytest.approx(prefill + 4 * decode, abs=1e-12)


def test_single_request_context_cost_exact():
    # Decode i (1-based) attends over 100 + i tokens (the cache plus the new token).
    cost = LinearCost(base=0.25, per_prefill_token=2**-10, per_decode_context=2**-12)
    res = simulate(reqs([0.0], [100], [4]), client(cost))
    expected = 0.25 + 100 * 2**-10
    ttft = expected
    for i in (1, 2, 3):
        expected += 0.25 + (100 + i) * 2**-12
    assert res.requests.ttft[0] == ttft
    assert res.requests.completion[0] == expected  # dyadic numbers: exact


def test_output_of_one_token_finishes_at_prefill():
    res = simulate(reqs([1.0], [10], [1]), client(FixedCost(0.5)))
    t = res.requests
    assert t.first_token[0] == 1.5 and t.completion[0] == 1.5
    assert math.isnan(t.tpot[0])


def test_static_batch():
    cost = FixedCost(prefill=1.0, decode=0.5)
    r = reqs([0, 0, 0], [10, 20, 30], [2, 3, 2])
    res = simulate(r, client(cost, static(max_batch=2)))
    t = res.requests
    # A and B prefill together (0 -> 1), A ends after one decode, B after two; C waits for the
    # whole batch to finish (t = 2) although a slot freed at 1.5.
    assert list(t.first_token) == [1.0, 1.0, 3.0]
    assert list(t.completion) == [1.5, 2.0, 3.5]
    assert list(t.queueing) == [0.0, 0.0, 2.0]


def test_continuous_fills_freed_slot():
    cost = FixedCost(prefill=1.0, decode=0.5)
    r = reqs([0, 0, 0], [10, 20, 30], [2, 3, 2])
    res = simulate(r, client(cost, continuous(max_batch=2)))
    t = res.requests
    # C joins at 1.5 beside B's last decode: a mixed iteration costs the prefill time.
    assert list(t.first_token) == [1.0, 1.0, 2.5]
    assert list(t.completion) == [1.5, 2.5, 3.0]


@pytest.mark.parametrize("ff", [True, False])
def test_continuous_staggered_arrivals(ff):
    cost = FixedCost(prefill=1.0, decode=0.25)
    res = simulate(reqs([0.0, 0.3], [4, 4], [3, 2]), client(cost, fast_forward=ff))
    t = res.requests
    # 0-1 A prefill; 1-2 A decode + B prefill (mixed: 1.0); 2-2.25 both decode.
    assert list(t.first_token) == [1.0, 2.0]
    assert list(t.completion) == [2.25, 2.25]
    assert t.ttft[1] == pytest.approx(1.7)
    assert t.queueing[1] == pytest.approx(0.7)
    assert t.tpot[0] == pytest.approx(0.625)
    assert t.tpot[1] == pytest.approx(0.25)


def test_chunked_prefill_splits_long_prompt():
    cost = LinearCost(base=0.01, per_prefill_token=0.001)
    c = client(cost, chunked(max_batched_tokens=256))
    # B (16-token prompt) is first; A (1000 tokens) fills the rest of each 256-token budget.
    res = simulate(reqs([0.0, 0.0], [16, 1000], [10, 2]), c)
    t = res.requests
    it1 = 0.01 + 256 * 0.001  # B's 16 + A's 240
    it2 = 0.01 + 255 * 0.001  # B decode + A 255 (495)
    it4 = 0.01 + 250 * 0.001  # B decode + A's last 250 (1000)
    ttft_a = it1 + it2 + it2 + it4
    assert t.first_token[1] == pytest.approx(ttft_a, abs=1e-12)
    assert t.completion[1] == pytest.approx(ttft_a + 0.01, abs=1e-12)
    assert t.first_token[0] == pytest.approx(it1, abs=1e-12)
    # B: 9 decodes, the first three beside A's chunks, then six of 0.01 s.
    assert t.completion[0] == pytest.approx(ttft_a + 6 * 0.01, abs=1e-12)
    stats = res.clients[0]
    assert stats.prefill_tokens == 1016
    assert stats.iterations == 10
    # Four iterations carried A's prompt: four chunks.
    assert np.count_nonzero(stats.series_batch == 2) >= 1


def test_chunked_single_request_chunk_count():
    cost = LinearCost(base=0.01, per_prefill_token=0.001)
    res = simulate(reqs([0.0], [1000], [2]), client(cost, chunked(max_batched_tokens=256)))
    # ceil(1000 / 256) = 4 chunks: 256, 256, 256, 232.
    expected = 3 * (0.01 + 0.256) + (0.01 + 0.232)
    assert res.requests.ttft[0] == pytest.approx(expected, abs=1e-12)
    assert res.clients[0].iterations == 5


def test_rejections_have_reasons_and_everyone_leaves():
    cost = FixedCost(0.1)
    r = reqs([0, 0, 0, 0], [10, 0, 10_000, 10], [5, 5, 5, 0])
    res = simulate(r, client(cost, blocks=100, block_size=16))
    t = res.requests
    assert list(t.completed) == [True, False, False, False]
    assert list(t.rejected) == [False, True, True, True]
    reasons = t.rejection_reasons()
    assert "empty prompt" in reasons[0]
    assert "KV blocks" in reasons[1] and "100" in reasons[1]
    assert "no output" in reasons[2]
    assert not t.unfinished.any()


def test_prompt_over_token_budget_rejected_without_chunking():
    res = simulate(
        reqs([0], [600], [3]), client(FixedCost(0.1), continuous(max_batched_tokens=512))
    )
    assert "max_batched_tokens" in res.requests.rejection_reasons()[0]


def test_energy_and_utilisation():
    cost = FixedCost(prefill=1.0, decode=0.5)
    c = client(cost, busy_power=700.0, idle_power=100.0)
    res = simulate(reqs([0.0, 10.0], [8, 8], [3, 1]), c)
    s = res.clients[0]
    busy = 1.0 + 2 * 0.5 + 1.0
    assert s.busy_time == busy
    assert s.end_time == 11.0
    assert s.energy == pytest.approx(700 * busy + 100 * (11.0 - busy))
    assert s.utilisation == pytest.approx(busy / 11.0)


def test_horizon_stops_and_keeps_unfinished():
    cost = FixedCost(1.0)
    res = simulate(reqs([0, 0.5, 5.0], [8, 8, 8], [10, 10, 10]), client(cost), horizon=4.0)
    t = res.requests
    assert res.stop_reason == "horizon"
    assert res.end_time == 4.0
    assert len(t) == 2  # the third had not arrived
    assert t.unfinished.all()


def test_least_work_left_packing_order():
    cost = FixedCost(prefill=1.0, decode=0.5)
    r = reqs([0, 0, 0], [100, 10, 50], [10, 2, 5])
    fcfs = simulate(r, client(cost, continuous(max_batch=1)))
    lwl = simulate(r, client(cost, continuous(max_batch=1, packing="lwl")))
    # One at a time; FCFS serves A, B, C; LWL serves B (12 tokens), C (55), A (110).
    assert list(np.argsort(fcfs.requests.first_token)) == [0, 1, 2]
    assert list(np.argsort(lwl.requests.first_token)) == [1, 2, 0]
    assert lwl.requests.completion[1] == 1.5  # B: prefill 1.0 + one decode
    assert lwl.requests.completion[2] == 1.5 + 1.0 + 4 * 0.5


def test_slo_attainment_and_goodput():
    cost = FixedCost(prefill=1.0, decode=0.5)
    r = reqs([0, 0, 0], [10, 20, 30], [2, 3, 2])
    res = simulate(r, client(cost, static(max_batch=2)))
    # TTFTs 1, 1, 3; TPOTs 0.5, 0.5, 0.5.  Duration 3.5 s.
    assert res.slo_attainment(ttft=2.0) == pytest.approx(2 / 3)
    assert res.goodput(ttft=2.0) == pytest.approx(2 / 3.5)
    assert res.slo_attainment(ttft=2.0, tpot=0.4) == 0.0
    s = res.summary(ttft=2.0, tpot=0.5)
    assert s["slo_attainment"] == pytest.approx(2 / 3)
    assert s["completed"] == 3 and s["rejected"] == 0
    assert s["requests_per_s"] == pytest.approx(3 / 3.5)
    assert s["ttft_p50"] == 1.0
