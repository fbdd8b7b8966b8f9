"""Arrival processes, length distributions, trace readers, and M/D/1 against its closed form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hermes_dsl.sim import (
    EmpiricalLength,
    FixedCost,
    FixedLength,
    GammaArrivals,
    KVCache,
    LLMClient,
    NormalArrivals,
    NormalLength,
    PoissonArrivals,
    TraceArrivals,
    UniformArrivals,
    UniformLength,
    Workload,
    continuous,
    load_trace,
    scale_to_rate,
    simulate,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TRACES = DATA / "traces"


def need_data():
    if not TRACES.is_dir():
        pytest.skip(f"shared data folder is missing ({TRACES})")


def gaps(times):
    return np.diff(times)


def rng(seed=0):
    return np.random.default_rng(seed)


def test_poisson_rate_and_cv():
    t = PoissonArrivals(8.0).sample(200_000, rng())
    assert t[0] == 0.0 and np.all(np.diff(t) >= 0)
    g = gaps(t)
    assert g.mean() == pytest.approx(1 / 8.0, rel=0.01)
    assert g.std() / g.mean() == pytest.approx(1.0, rel=0.02)


def test_gamma_cv():
    g = gaps(GammaArrivals(4.0, 3.0).sample(400_000, rng(1)))
    assert g.mean() == pytest.approx(0.25, rel=0.03)
    assert g.std() / g.mean() == pytest.approx(3.0, rel=0.05)


def test_uniform_and_normal_arrivals():
    t = UniformArrivals(2.0).sample(5, rng())
    assert t.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    g = gaps(UniformArrivals(2.0, spread=0.5).sample(10_000, rng()))
    assert g.min() >= 0.25 and g.max() <= 0.75
    g = gaps(NormalArrivals(1.0, 2.0, min=0.1, max=3.0).sample(10_000, rng()))
    assert g.min() >= 0.1 - 1e-9 and g.max() <= 3.0 + 1e-9


def test_trace_arrivals_scale_and_repeat():
    t = TraceArrivals([10.0, 11.0, 13.0]).sample(3, rng())
    assert t.tolist() == [0.0, 1.0, 3.0]
    t = TraceArrivals([0.0, 1.0, 3.0]).sample(6, rng())
    assert t.tolist() == [0.0, 1.0, 3.0, 4.5, 5.5, 7.5]
    s = scale_to_rate(np.array([0.0, 1.0, 3.0]), 2.0)  # 2 gaps in 1 s
    assert s.tolist() == pytest.approx([0.0, 1 / 3, 1.0])


def test_lengths():
    assert FixedLength(7).sample(3, rng()).tolist() == [7, 7, 7]
    u = UniformLength(3, 5).sample(10_000, rng())
    assert set(np.unique(u).tolist()) == {3, 4, 5}
    n = NormalLength(100, 80, min=10, max=150).sample(10_000, rng())
    assert n.min() == 10 and n.max() == 150 and n.dtype == np.int64
    e = EmpiricalLength([1, 2, 2]).sample(30_000, rng())
    assert (e == 2).mean() == pytest.approx(2 / 3, abs=0.02)


def test_workload_streams_independent():
    a = Workload(PoissonArrivals(1.0), FixedLength(5), FixedLength(5), 100).generate(3)
    b = Workload(PoissonArrivals(1.0), UniformLength(1, 9), FixedLength(5), 100).generate(3)
    assert a.arrival.tobytes() == b.arrival.tobytes()


def test_md1_mean_wait_matches_closed_form():
    # One server, deterministic service D (one prefill iteration, one output token), Poisson
    # arrivals: mean wait in queue = rho * D / (2 (1 - rho)).
    d, rate = 1.0, 0.3
    rho = rate * d
    reqs = Workload(PoissonArrivals(rate), FixedLength(8), FixedLength(1), 100_000).generate(4)
    c = LLMClient(
        name="s", cost=FixedCost(d), kv=KVCache(num_blocks=64), policy=continuous(max_batch=1)
    )
    res = simulate(reqs, c)
    wait = res.requests.queueing
    expected = rho * d / (2 * (1 - rho))
    assert wait.mean() == pytest.approx(expected, rel=0.05)
    assert res.clients[0].utilisation == pytest.approx(rho, rel=0.02)


def test_vidur_and_azure_formats_agree():
    need_data()
    a = load_trace(TRACES / "splitwise_conv.csv")
    b = load_trace(TRACES / "azure2023" / "AzureLLMInferenceTrace_conv.csv")
    assert len(a) == len(b) == 19_366
    assert a.prompt.tolist() == b.prompt.tolist()
    assert a.output.tolist() == b.output.tolist()
    assert np.allclose(a.arrival, b.arrival, atol=1e-5)
    assert a.prompt.mean() == pytest.approx(1155, abs=1)


def test_trace_rate_scaling_and_tiling():
    need_data()
    rs = load_trace(TRACES / "splitwise_code.csv", rate=10.0, num_requests=20_000)
    assert len(rs) == 20_000
    assert (len(rs) - 1) / rs.arrival[-1] == pytest.approx(10.0, rel=1e-9)
    assert np.all(np.diff(rs.arrival) >= 0)


def test_mooncake_prefix_reuse_on_real_trace():
    need_data()
    rs = load_trace(TRACES / "mooncake" / "conversation_trace.jsonl").head(1000)
    assert rs.hash_ids is not None
    assert all(len(h) == -(-p // 512) for h, p in zip(rs.hash_ids, rs.prompt.tolist()))
    # The most any cache could reuse: leading 512-token blocks some earlier request had.
    seen: set[tuple[int, ...]] = set()
    ideal = 0
    for h in rs.hash_ids:
        i = 0
        while i < len(h) and tuple(h[: i + 1]) in seen:
            i += 1
        ideal += i * 512
        seen.update(tuple(h[: j + 1]) for j in range(len(h)))
    hits = {}
    for blocks in (1_000_000, 60_000):
        kv = KVCache(num_blocks=blocks, block_size=16, prefix_caching=True)
        c = LLMClient(
            name="g",
            cost=FixedCost(prefill=0.2, decode=0.02),
            kv=kv,
            policy=continuous(max_batched_tokens=200_000),
        )
        res = simulate(rs, c)
        t = res.requests
        assert (t.completed | t.rejected).all()
        assert kv.available == kv.num_blocks
        hits[blocks] = res.clients[0].prefix_hit_tokens
    # A cache holding everything reuses nearly all of it (requests arriving in the same
    # millisecond cannot share); a cache of ~80 prompts loses the long reuse distances.
    assert 0.99 * ideal < hits[1_000_000] <= ideal
    assert 0 < hits[60_000] < hits[1_000_000]


def test_empirical_from_csv_column():
    need_data()
    e = EmpiricalLength.from_csv(
        str(TRACES / "sharegpt" / "sharegpt_8k_filtered_stats_llama2_tokenizer.csv"),
        "num_prefill_tokens",
    )
    assert len(e.values) == 30_731
