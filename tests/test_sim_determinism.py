"""Same seed, same bytes; fast-forwarded decode stretches equal stepping exactly."""

from __future__ import annotations

import numpy as np
import pytest

from hermes_dsl.sim import (
    GammaArrivals,
    KVCache,
    LinearCost,
    LLMClient,
    NormalLength,
    PoissonArrivals,
    UniformLength,
    Workload,
    chunked,
    continuous,
    simulate,
    static,
)

COST = LinearCost(
    base=4.7e-3,
    per_prefill_token=2.3e-5,
    per_prefill_pair=1.0e-10,
    per_prefill_seq=1.0e-5,
    per_decode_seq=2.0e-5,
    per_decode_context=1.9e-7,
)


class PlainCost:
    """The same numbers through the bare protocol (no vectorised decode method)."""

    def iteration_time(self, pt, pa, ps, ds, dc):
        return COST.iteration_time(pt, pa, ps, ds, dc)


def workload(n=2000, rate=6.0, cv=None):
    arrivals = PoissonArrivals(rate) if cv is None else GammaArrivals(rate, cv)
    return Workload(arrivals, NormalLength(600, 300, min=1, max=3000), UniformLength(1, 400), n)


def run(reqs, *, policy, ff, blocks=3000, cost=COST, preemption="recompute", **kw):
    c = LLMClient(
        name="gpu",
        cost=cost,
        kv=KVCache(num_blocks=blocks, block_size=16),
        policy=policy,
        fast_forward=ff,
        preemption=preemption,
        kv_bytes_per_token=524_288.0,
        host_bandwidth=32e9,
        busy_power=700.0,
        idle_power=60.0,
    )
    return simulate(reqs, c, **kw)


def assert_same(a, b):
    aa, bb = a.arrays(), b.arrays()
    assert aa.keys() == bb.keys()
    for k in aa:
        assert aa[k].dtype == bb[k].dtype, k
        assert aa[k].tobytes() == bb[k].tobytes(), k


def test_same_seed_byte_identical():
    a = run(workload().generate(7), policy=continuous(max_batch=64), ff=True)
    b = run(workload().generate(7), policy=continuous(max_batch=64), ff=True)
    assert_same(a, b)
    assert a.summary() == b.summary()


def test_different_seeds_differ():
    a = run(workload().generate(7), policy=continuous(max_batch=64), ff=True)
    b = run(workload().generate(8), policy=continuous(max_batch=64), ff=True)
    assert a.requests.completion.tobytes() != b.requests.completion.tobytes()


POLICIES = {
    "continuous": continuous(max_batch=64),
    "continuous-lwl": continuous(max_batch=32, packing="lwl"),
    "chunked": chunked(max_batched_tokens=512, max_batch=64),
    "static": static(max_batch=16),
}


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("blocks", [3000, 250])  # 250 blocks forces preemptions
def test_fast_forward_equals_stepping(name, blocks):
    reqs = workload(n=1500, rate=5.0, cv=2.0).generate(11)
    a = run(reqs, policy=POLICIES[name], ff=True, blocks=blocks)
    b = run(reqs, policy=POLICIES[name], ff=False, blocks=blocks)
    assert_same(a, b)
    assert a.events < b.events
    if blocks == 250:
        assert a.requests.preemptions.sum() > 0


def test_fast_forward_equals_stepping_swap_and_plain_cost():
    reqs = workload(n=800, rate=5.0).generate(3)
    for cost in (COST, PlainCost()):
        a = run(reqs, policy=continuous(), ff=True, blocks=250, cost=cost, preemption="swap")
        b = run(reqs, policy=continuous(), ff=False, blocks=250, cost=cost, preemption="swap")
        assert_same(a, b)
        assert a.clients[0].swaps > 0


def test_fast_forward_equals_stepping_at_horizon():
    reqs = workload(n=3000, rate=6.0).generate(5)
    a = run(reqs, policy=continuous(), ff=True, horizon=100.0)
    b = run(reqs, policy=continuous(), ff=False, horizon=100.0)
    assert a.stop_reason == b.stop_reason == "horizon"
    assert_same(a, b)


def test_every_request_leaves():
    reqs = workload(n=3000, rate=9.0, cv=3.0).generate(2)
    reqs.prompt[::97] = 100_000
    res = run(reqs, policy=chunked(max_batched_tokens=1024), ff=True, blocks=400)
    t = res.requests
    assert len(t) == 3000
    assert (t.completed ^ t.rejected).all()
    assert len(t.rejection_reasons()) == t.rejected.sum() == len(range(0, 3000, 97))


def test_max_completed_and_event_budget():
    reqs = workload(n=1000).generate(1)
    res = run(reqs, policy=continuous(), ff=True, max_completed=100)
    assert res.stop_reason == "stopped"
    assert res.requests.completed.sum() == 100
    res = run(reqs, policy=continuous(), ff=True, max_events=500)
    assert res.stop_reason == "event_budget" and res.events == 500


def test_vectorised_decode_times_match_scalar():
    got = COST.decode_iteration_times(37, 12345, 50)
    want = [COST.iteration_time(0, 0.0, 0, 37, 12345 + 37 * i) for i in range(50)]
    assert got.tolist() == want
    assert np.cumsum(np.r_[1.5, got])[-1] == sum([1.5, *want])


@pytest.mark.parametrize("blocks", [20_000, 900])
def test_fast_forward_equals_stepping_with_prefix_caching(blocks):
    from hermes_dsl.sim import RequestSet

    g = np.random.default_rng(9)
    n = 600
    prompt = g.integers(100, 4000, n)
    # Shared heads from a small pool of "system prompts", then private blocks.
    hashes = []
    for i, p in enumerate(prompt.tolist()):
        head = int(g.integers(0, 5))
        nblocks = -(-p // 512)
        hashes.append(
            tuple([head, head * 10 + 1][:nblocks] + [1000 + i * 100 + j for j in range(2, nblocks)])
        )
    reqs = RequestSet(
        np.cumsum(g.exponential(0.2, n)), prompt, g.integers(1, 300, n), tuple(hashes)
    )
    out = []
    for ff in (True, False):
        c = LLMClient(
            name="gpu",
            cost=COST,
            kv=KVCache(num_blocks=blocks, block_size=16, prefix_caching=True),
            policy=chunked(max_batched_tokens=1024),
            fast_forward=ff,
        )
        out.append(simulate(reqs, c))
    assert_same(*out)
    assert out[0].clients[0].prefix_hit_tokens > 0
    if blocks == 900:
        assert out[0].requests.preemptions.sum() > 0


def test_stalled_client_raises_instead_of_hanging():
    from hermes_dsl.sim import EventLoop, Request, SimulationStalled

    c = LLMClient(name="gpu", cost=COST, kv=KVCache(num_blocks=4, block_size=16))
    c.attach(EventLoop(), on_finish=lambda *a: None, on_reject=lambda *a: None)
    # Bypass submit's checks to model a request the cache can never hold.
    c.waiting.push(Request(id=0, arrival=0.0, prompt=1000, output=2))
    with pytest.raises(SimulationStalled, match="cannot make progress"):
        c._step(0.0)
