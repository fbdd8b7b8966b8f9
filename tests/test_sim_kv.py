"""Paged KV cache: admission, preemption (recompute and swap), prefix sharing, errors."""

from __future__ import annotations

import numpy as np
import pytest

from hermes_dsl.sim import (
    FixedCost,
    KVCache,
    LLMClient,
    RequestSet,
    continuous,
    prefix_block_keys,
    simulate,
)


def reqs(arrival, prompt, output, hash_ids=None):
    return RequestSet(
        np.asarray(arrival, dtype=float),
        np.asarray(prompt, dtype=np.int64),
        np.asarray(output, dtype=np.int64),
        hash_ids,
    )


@pytest.mark.parametrize("ff", [True, False])
def test_recompute_preemption_by_hand(ff):
    # 4 blocks of 4 tokens.  A and B (4-token prompts, 6 outputs) each hold 2 blocks after
    # their first decode; at t = 2.0 A needs a third block, none is free, so B (the last
    # admitted) is preempted, A finishes at 2.25 and B re-prefills 4 + 5 tokens.
    kv = KVCache(num_blocks=4, block_size=4, watermark=0.0)
    c = LLMClient(
        name="c",
        cost=FixedCost(prefill=1.0, decode=0.25),
        kv=kv,
        policy=continuous(),
        fast_forward=ff,
    )
    res = simulate(reqs([0, 0], [4, 4], [6, 6]), c)
    t = res.requests
    assert list(t.completion) == [2.25, 3.25]
    assert list(t.preemptions) == [0, 1]
    assert list(t.first_token) == [1.0, 1.0]  # the first token was already out
    assert t.tpot[1] == pytest.approx((3.25 - 1.0) / 5)
    assert res.clients[0].prefill_tokens == 4 + 4 + 9
    assert res.clients[0].kv_peak_blocks == 4
    assert kv.available == 4  # everything returned


def test_swap_preemption_by_hand():
    kv = KVCache(num_blocks=4, block_size=4, watermark=0.0)
    c = LLMClient(
        name="c",
        cost=FixedCost(prefill=1.0, decode=0.25),
        kv=kv,
        preemption="swap",
        kv_bytes_per_token=1000.0,
        host_bandwidth=1e6,
    )
    res = simulate(reqs([0, 0], [4, 4], [6, 6]), c)
    t = res.requests
    move = 2 * 4 * 1000.0 / 1e6  # two blocks of 4 tokens at 1000 B/token over 1 MB/s
    # Swap-out lengthens the iteration that preempts; swap-in the one that resumes.
    assert t.completion[0] == pytest.approx(2.0 + 0.25 + move)
    assert t.completion[1] == pytest.approx(2.0 + 0.25 + move + 0.25 + move)
    assert list(t.preemptions) == [0, 1]
    assert res.clients[0].swaps == 1
    assert res.clients[0].prefill_tokens == 8  # nothing recomputed


def test_small_cache_everyone_leaves():
    rng = np.random.default_rng(3)
    n = 300
    arrival = np.cumsum(rng.exponential(0.05, n))
    prompt = rng.integers(1, 400, n)
    output = rng.integers(1, 300, n)
    prompt[::50] = 5000  # too big for the cache below
    kv = KVCache(num_blocks=60, block_size=16)
    c = LLMClient(name="c", cost=FixedCost(prefill=0.02, decode=0.01), kv=kv)
    res = simulate(reqs(arrival, prompt, output), c)
    t = res.requests
    assert (t.completed | t.rejected).all()
    assert not (t.completed & t.rejected).any()
    assert t.rejected.sum() == len(prompt[::50])
    assert all("KV blocks" in r for r in t.rejection_reasons())
    assert t.preemptions.sum() > 0
    assert kv.available == kv.num_blocks


def test_cache_too_small_is_a_clear_error():
    with pytest.raises(ValueError, match="no request can ever run"):
        KVCache(num_blocks=0)
    with pytest.raises(ValueError, match="no room for a KV cache"):
        KVCache.from_memory(capacity_bytes=1e5, kv_bytes_per_token=524_288.0)
    kv = KVCache.from_memory(capacity_bytes=80e9, kv_bytes_per_token=524_288.0, block_size=16)
    assert kv.num_blocks == int(80e9 // (524_288 * 16))


def test_prefix_keys_chain_and_split():
    k1 = prefix_block_keys([7, 8, 9], 512, 256, 1400)
    k2 = prefix_block_keys([7, 8, 10], 512, 256, 1400)
    k3 = prefix_block_keys([6, 8, 9], 512, 256, 1400)
    assert len(k1) == 1400 // 256 == 5
    assert k1[:4] == k2[:4] and k1[4] != k2[4]
    assert k1[0] != k3[0] and k1[2] != k3[2]  # same hash 8, different prefix
    with pytest.raises(ValueError):
        prefix_block_keys([1], 512, 48, 100)


@pytest.mark.parametrize("ff", [True, False])
def test_prefix_caching_shares_prompt_blocks(ff):
    # B arrives after A finished and shares A's first two 512-token blocks.
    kv = KVCache(num_blocks=1000, block_size=16, prefix_caching=True)
    c = LLMClient(name="c", cost=FixedCost(prefill=1.0, decode=0.25), kv=kv, fast_forward=ff)
    hashes = ((1, 2, 3), (1, 2, 4), (9, 2, 3))
    res = simulate(reqs([0.0, 10.0, 20.0], [1500, 1500, 1500], [3, 3, 3], hashes), c)
    stats = res.clients[0]
    assert stats.prefix_hit_tokens == 1024  # C shares nothing: its first hash differs
    assert stats.prefill_tokens == 1500 + (1500 - 1024) + 1500
    assert res.requests.completed.all()
    assert kv.available == kv.num_blocks  # cached blocks are free to evict


def test_prefix_cache_evicts_lru_when_full():
    # 40 blocks of 16 tokens = 640 tokens; each 512-token prompt needs 32 blocks (+1 decode).
    kv = KVCache(num_blocks=40, block_size=16, prefix_caching=True)
    c = LLMClient(name="c", cost=FixedCost(0.1), kv=kv)
    hashes = ((1,), (2,), (1,))
    res = simulate(reqs([0, 10, 20], [512, 512, 512], [2, 2, 2], hashes), c)
    # A's blocks were released tail first, so B's 33 blocks (8 free + 25 evicted) took A's
    # deepest 25 and left its first 7 cached: C, with A's prefix, hits those 7 blocks.
    assert res.clients[0].prefix_hit_tokens == 7 * 16
    hashes = ((1,), (1,), (1,))
    kv2 = KVCache(num_blocks=40, block_size=16, prefix_caching=True)
    c2 = LLMClient(name="c", cost=FixedCost(0.1), kv=kv2)
    res2 = simulate(reqs([0, 10, 20], [512, 512, 512], [2, 2, 2], hashes), c2)
    # A whole-prompt hit keeps the last block to recompute: 31 blocks of 16.
    assert res2.clients[0].prefix_hit_tokens == 2 * 31 * 16


def test_bulk_block_operations_match_one_by_one():
    # register_range publishes only keys nobody cached yet (once each, in order); release puts
    # blocks whose last reference goes into the LRU list tail-first; take evicts oldest first.
    kv = KVCache(num_blocks=10, block_size=4, prefix_caching=True)
    kv.take(4)
    held: list[object] = []
    kv.register_range(range(100, 104), 0, 4, held)
    assert held == [100, 101, 102, 103] and kv.cached_blocks() == 4
    other: list[object] = []
    kv.take(3)
    kv.register_range(["a", 102, "a", "b"], 0, 4, other)  # 102 exists, "a" twice
    assert other == ["a", "b"]
    assert kv.match(range(100, 106)) == [100, 101, 102, 103]
    assert kv.match(range(99, 104)) == []
    kv.acquire([100, 101])
    assert kv.unreferenced([100, 101, 102]) == 0
    kv.release(held)  # 102, 103 lose their last reference: LRU gets 103 then 102
    assert kv.unreferenced(held) == 2 and kv.available == 5
    kv.give(3)
    kv.take(kv.available - 1)  # 8 blocks: the 7 plain ones and the oldest cached (103)
    assert kv.match(range(100, 104)) == [100, 101, 102]
    kv.release([100, 101])
    assert kv.unreferenced([100, 101, 102]) == 3
    kv.acquire([100, 101, 102])  # back from the LRU list
    assert kv.available == 0 and kv.hit_blocks == 5


def test_branch_keys_are_stable_per_job():
    from hermes_dsl.sim.loop import EventLoop
    from hermes_dsl.sim.pipeline import Coordinator, Job, StageRT

    c = Coordinator(EventLoop(), [StageRT("g", "generate")], [], branches=2)
    a, b = Job(0, 0.0, 10, 5), Job(1, 0.0, 10, 5)
    ka = list(c._branch_keys(a, 10))
    kb = list(c._branch_keys(b, 10))
    assert not set(ka) & set(kb)
    longer = list(c._branch_keys(a, 200))  # a loop back with a longer context
    assert longer[:10] == ka and len(set(longer)) == 200
    assert list(c._branch_keys(a, 200)) == longer
