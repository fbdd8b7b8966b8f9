"""Multi-stage pipelines with answers worked out by hand: each stage kind, transfers,
contention, KV retrieval through tiers, disaggregation, branches, joins, loops, routing."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from hermes_dsl.compiler import check_file
from hermes_dsl.perf.collectives import COLLECTIVE_STARTUP
from hermes_dsl.perf.memory import Tier, tier_time
from hermes_dsl.perf.rag import encoder_time, ivfpq_search, rerank_time
from hermes_dsl.sim.assemble import SimulationError, build_llm_clients, request_set, run_point
from hermes_dsl.sim.loop import EventLoop
from hermes_dsl.sim.network import Fabric
from hermes_dsl.sim.run import simulate

REPO = Path(__file__).resolve().parents[1]

PARTS = """
hermes 1
import std.models.embed.E5_Base
import std.models.rerank.BGE_Reranker_Large
cpu C { memory = 100 GB; mem_bandwidth = 100 GB/s; flops = { fp32 = 1 TFLOP/s; bf16 = 1 TFLOP/s }
        compute_units = 10; tdp = 100 W; idle_power = 10 W }
gpu G { memory = 80 GB; mem_bandwidth = 2 TB/s; flops = { bf16 = 500 TFLOP/s; fp32 = 50 TFLOP/s }
        compute_units = 100; tdp = 500 W; idle_power = 50 W }
link L { bandwidth = 10 GB/s; latency = 100 us; efficiency = 0.5 }
memory Fast { capacity = 1 TB; bandwidth = 100 GB/s; lookup = 1 ms }
memory Slow { capacity = 10 TB; bandwidth = 10 GB/s; lookup = 10 ms; tdp = 30 W; idle_power = 10 W }
model Tiny { layers = 4; hidden = 512; heads = 8; kv_heads = 2; ffn = 1536; vocab = 32000 }
hardware h {
  cpu c : C
  gpu g[4] : G
  link l : L connects c, g[*]
  memory fast : Fast shared_by g[*]
  memory slow : Slow shared_by g[*]
}
"""

TINY_KV_BYTES = 2 * 4 * 2 * 64 * 2  # K and V x layers x kv heads x head dim x bf16 bytes


def load(
    tmp_path: Path,
    body: str,
    workload: str | None = None,
    experiment: str = "",
    checked: bool = True,
):
    w = workload or (
        "workload w { arrival = uniform(1 req/s); prompt = 1000; output = 10; requests = 20 }"
    )
    exp = experiment or "experiment main { run p with w; report ttft.p50 }"
    path = tmp_path / "t.hermes"
    path.write_text(PARTS + body + "\n" + w + "\n" + exp + "\n")
    res = check_file(path)
    errors = [d for d in res.diagnostics if d.code.startswith("E")]
    assert not checked or not errors, [(d.code, d.message) for d in errors]
    return res.program


def rows(result, stage: str) -> dict[str, np.ndarray]:
    t = result.stage_table()
    sel = t["stage"] == result.stage_names.index(stage)
    return {k: v[sel] for k, v in t.items()}


def dev(program, path: str):
    return next(d for p in program.platforms for d in p.devices if d.path == path).spec


# -- each stage kind ------------------------------------------------------------------------
def test_pre_and_post_processing_times_and_workers(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage pre = preprocess(time = 1 s, per_token = 1 ms/token, workers = 2) on h.c
  stage post = postprocess(time = 0.5 s, per_token = 10 ms/token) on h.c
  flow pre -> post
}""",
        "workload w { arrival = uniform(1000 req/s); prompt = 1000; output = 10; requests = 3 }",
    )
    r = run_point(p, "main", 0)
    pre = rows(r, "pre")
    # Arrivals 1 ms apart; two workers: the third waits for the first to finish (at 2 s).
    np.testing.assert_allclose(pre["start"], [0.0, 0.001, 2.0])
    np.testing.assert_allclose(pre["end"] - pre["start"], [2.0, 2.0, 2.0])
    post = rows(r, "post")
    # One worker: 0.6 s each, back to back from 2 s.
    np.testing.assert_allclose(post["start"], [2.0, 2.6, 4.0])
    np.testing.assert_allclose(post["end"] - post["start"], 0.6)
    np.testing.assert_allclose(r.requests["e2e"], post["end"] - r.requests["arrival"])
    assert np.isnan(r.requests["ttft"]).all()  # no LLM stage


def test_embed_batches_up_to_its_limit(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        "pipeline p { stage e = embed(E5_Base, batch = 4) on h.c }",
        "workload w { arrival = uniform(1e6 req/s); prompt = 64; output = 1; requests = 6 }",
    )
    r = run_point(p, "main", 0)
    e = rows(r, "e")
    model = p.model("E5_Base")
    cpu = dev(p, "h.c")
    one = encoder_time(cpu, model, 1, 64)
    four = encoder_time(cpu, model, 4, 64)
    two = encoder_time(cpu, model, 2, 64)
    # The first arrival starts alone; the next four queue behind it and go as one batch of 4,
    # the last one alone after them.
    np.testing.assert_allclose(e["end"][0] - e["start"][0], one)
    np.testing.assert_allclose(e["end"][1:5] - e["start"][1:5], four)
    assert e["start"][1] == pytest.approx(one)
    assert e["end"][5] - e["start"][5] in (pytest.approx(one), pytest.approx(two))


def test_ivfpq_rerank_lengthen_the_prompt_and_context_moves_over_the_link(
    tmp_path: Path,
) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage s = ivfpq(centroids = 100K, probes = 10, points_per_probe = 1K, docs = 10,
                  doc_tokens = 100) on h.c
  stage rr = rerank(BGE_Reranker_Large, docs = 10, doc_tokens = 100, keep = 3) on h.g[1]
  stage llm = generate(Tiny) on h.g[0]
  flow s -> rr -> llm
}""",
    )
    r = run_point(p, "main", 0)
    cpu = dev(p, "h.c")
    gpu = dev(p, "h.g[1]")
    s = rows(r, "s")
    want = ivfpq_search(cpu, 100_000, 768, 10, 1000, 64, 1).seconds
    np.testing.assert_allclose(s["end"] - s["start"], want)
    rr = rows(r, "rr")
    want = rerank_time(gpu, p.model("BGE_Reranker_Large"), 10, 100)
    np.testing.assert_allclose(rr["end"] - rr["start"], want)
    # 1000 prompt tokens + 3 kept documents of 100 tokens.
    assert (r.requests["context"] == 1300).all()
    llm = rows(r, "llm")
    # 300 tokens of text (4 B each) from the reranker's GPU to the LLM's over link l.
    move = COLLECTIVE_STARTUP + 100e-6 + 300 * 4 / (10e9 * 0.5)
    np.testing.assert_allclose(llm["ready"] - llm["enqueue"], move)


# -- contention -----------------------------------------------------------------------------
def test_two_transfers_on_one_link_each_take_twice_as_long() -> None:
    loop = EventLoop()
    fab = Fabric(loop)
    res = fab.resource("l", "l", 1e9)
    ends: dict[str, float] = {}
    fab.transfer(0.0, 1e9, [res], 0.0, lambda t: ends.setdefault("alone", t))
    loop.run()
    fab.transfer(10.0, 1e9, [res], 0.0, lambda t: ends.setdefault("a", t))
    loop.schedule(
        10.0, lambda t: fab.transfer(t, 1e9, [res], 0.0, lambda u: ends.setdefault("b", u))
    )
    loop.run()
    assert ends["alone"] == pytest.approx(1.0)
    assert ends["a"] - 10.0 == pytest.approx(2.0)
    assert ends["b"] - 10.0 == pytest.approx(2.0)


def test_fair_share_is_re_timed_when_a_transfer_joins_and_leaves() -> None:
    loop = EventLoop()
    fab = Fabric(loop)
    link = fab.resource("l", "l", 1e9)
    other = fab.resource("m", "m", 0.25e9)
    ends: dict[str, float] = {}
    fab.transfer(0.0, 1e9, [link], 0.0, lambda t: ends.setdefault("a", t))
    # b starts at 0.5 s: a has 0.5 GB left, both then move at 0.5 GB/s; a ends at 1.5 s, b has
    # 0.5 GB left and finishes alone at 2.0 s.
    loop.schedule(
        0.5, lambda t: fab.transfer(t, 1e9, [link], 0.0, lambda u: ends.setdefault("b", u))
    )
    loop.run()
    assert ends["a"] == pytest.approx(1.5)
    assert ends["b"] == pytest.approx(2.0)
    # A flow crossing two resources moves at the slower share; a fixed delay comes first.
    fab.transfer(10.0, 0.5e9, [link, other], 0.1, lambda t: ends.setdefault("c", t))
    loop.run()
    assert ends["c"] - 10.0 == pytest.approx(0.1 + 2.0)


def test_shared_tier_slows_every_fetch(tmp_path: Path) -> None:
    body = """pipeline p {{
  stage kv = kv_fetch(Tiny, tiers = [h.slow], hit = [1], shared = {shared})
  stage llm = generate(Tiny) on h.g
  route llm by round_robin
  flow kv -> llm
}}"""
    w = "workload w { arrival = uniform(1e9 req/s); prompt = 100000; output = 2; requests = 4 }"
    size = 100_000 * TINY_KV_BYTES
    private = run_point(load(tmp_path, body.format(shared="false"), w), "main", 0)
    shared = run_point(load(tmp_path, body.format(shared="true"), w), "main", 0)
    kp = rows(private, "kv")
    ks = rows(shared, "kv")
    # Private caches: one per LLM client, no sharing.  Shared: four fetches share 10 GB/s.
    np.testing.assert_allclose(kp["end"] - kp["enqueue"], 10e-3 + size / 10e9, rtol=1e-9)
    np.testing.assert_allclose(ks["end"] - ks["enqueue"], 10e-3 + 4 * size / 10e9, rtol=1e-6)


# -- KV retrieval through tiers ---------------------------------------------------------------
def test_kv_retrieval_through_two_tiers(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage kv = kv_fetch(Tiny, tiers = [h.fast, h.slow], hit = [0.5, 0.5])
  stage llm = generate(Tiny) on h.g[0]
  flow kv -> llm
}""",
        "workload w { arrival = uniform(10 req/s); prompt = 1000; output = 4; requests = 2000 }",
    )
    r = run_point(p, "main", 3)
    size = 1000 * TINY_KV_BYTES
    kv = rows(r, "kv")
    lat = kv["end"] - kv["enqueue"]
    tier = r.requests["tier"][kv["request"]]
    fast = 1e-3 + size / 100e9
    slow = 10e-3 + size / 10e9
    np.testing.assert_allclose(lat[tier == 0], fast)
    np.testing.assert_allclose(lat[tier == 1], slow)
    np.testing.assert_allclose(lat[tier == 2], 0.0)  # a miss everywhere recomputes instead
    share = np.bincount(tier, minlength=3) / len(tier)
    np.testing.assert_allclose(share, [0.5, 0.25, 0.25], atol=0.03)
    # The mean is the hierarchy formula with a miss costing nothing here (the prefill pays).
    expected = tier_time(size, [Tier(0.5, 1e-3, 100e9), Tier(0.5, 10e-3, 10e9)], 0.0)
    assert lat.mean() == pytest.approx(expected, rel=0.05)
    # A hit leaves one token to prefill; a miss prefills the whole prompt: hits start sooner.
    ttft = r.requests["ttft"] - np.where(tier < 2, lat[np.argsort(kv["request"])], 0.0)
    assert np.median(ttft[tier == 2]) > 2 * np.median(ttft[tier < 2])


def test_memory_tier_energy_is_idle_power_plus_active_time(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage kv = kv_fetch(Tiny, tiers = [h.slow], hit = [1])
  stage llm = generate(Tiny) on h.g[0]
  flow kv -> llm
}""",
    )
    r = run_point(p, "main", 0)
    (slow,) = [x for x in r.resources if x.kind == "memory"]
    # Idle 10 W over the run, plus the 20 W more of an active tier for the time 20 fetches of
    # 1000 tokens take at its full 10 GB/s.
    want = 10 * r.end_time + (30 - 10) * 20 * 1000 * TINY_KV_BYTES / 10e9
    assert slow.energy == pytest.approx(want, rel=1e-12) and slow.stage == "kv"
    assert r.stage_energy()["kv"] == pytest.approx(want, rel=1e-12)
    assert r.metric("energy") == pytest.approx(sum(c.energy for c in r.clients) + want)

    # Private shares (the default) are hardware of their own, at the tier's bandwidth: two
    # clients, two shares, each drawing idle power; a shared tier is one.
    for shared, copies in (("false", 2), ("true", 1)):
        p = load(
            tmp_path,
            f"""pipeline p {{
  stage kv = kv_fetch(Tiny, tiers = [h.slow], hit = [1], shared = {shared})
  stage llm = generate(Tiny) on h.g[0..2]
  flow kv -> llm
}}""",
        )
        r = run_point(p, "main", 0)
        tiers = [x for x in r.resources if x.kind == "memory"]
        assert len(tiers) == copies
        want = copies * 10 * r.end_time + (30 - 10) * 20 * 1000 * TINY_KV_BYTES / 10e9
        assert sum(x.energy for x in tiers) == pytest.approx(want, rel=1e-12)


# -- disaggregation -------------------------------------------------------------------------
def test_disaggregated_kv_transfer_is_bytes_over_bandwidth_plus_latency(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage pf = prefill(Tiny) on h.g[0]
  stage dc = decode(Tiny) on h.g[1]
  flow pf -> dc
}""",
    )
    r = run_point(p, "main", 0)
    d = rows(r, "dc")
    # Prompt KV in bytes (bf16: 2 bytes per value), over link l at 10 GB/s x 0.5.
    move = COLLECTIVE_STARTUP + 100e-6 + 1000 * TINY_KV_BYTES / (10e9 * 0.5)
    np.testing.assert_allclose(d["ready"] - d["enqueue"], move)
    pf = rows(r, "pf")
    np.testing.assert_allclose(d["enqueue"], pf["end"])
    assert (r.requests["status"] == 1).all()


# -- dataflow -------------------------------------------------------------------------------
def test_branch_fractions(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage pre = preprocess(time = 1 ms) on h.c
  stage a = postprocess(time = 1 ms) on h.c
  stage b = postprocess(time = 2 ms) on h.c
  flow pre -> (a 30% | b 70%)
}""",
        "workload w { arrival = uniform(10 req/s); prompt = 10; output = 1; requests = 4000 }",
    )
    r = run_point(p, "main", 5)
    na = len(rows(r, "a")["request"])
    nb = len(rows(r, "b")["request"])
    assert na + nb == 4000
    assert na / 4000 == pytest.approx(0.3, abs=0.025)
    again = run_point(p, "main", 5)
    assert len(rows(again, "a")["request"]) == na  # seeded


def test_fan_out_and_join(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage pre = preprocess(time = 1 s) on h.c
  stage a = postprocess(time = 1 s) on h.c
  stage b = postprocess(time = 3 s) on h.c
  stage c = postprocess(time = 0.5 s) on h.c
  flow pre -> (a & b) -> c
}""",
        "workload w { arrival = uniform(0.01 req/s); prompt = 10; output = 1; requests = 3 }",
    )
    r = run_point(p, "main", 0)
    c = rows(r, "c")
    assert len(c["request"]) == 3  # the join runs c once per request
    np.testing.assert_allclose(c["start"] - r.requests["arrival"], 4.0)  # after the slower b
    np.testing.assert_allclose(r.requests["e2e"], 4.5)


def test_bounded_loop(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage a = preprocess(time = 1 s) on h.c
  stage b = postprocess(time = 2 s) on h.c
  flow a -> b
  loop b -> a max 2
}""",
        "workload w { arrival = uniform(0.01 req/s); prompt = 10; output = 1; requests = 2 }",
    )
    r = run_point(p, "main", 0)
    assert len(rows(r, "a")["request"]) == 6 and len(rows(r, "b")["request"]) == 6
    np.testing.assert_allclose(r.requests["e2e"], 9.0)


def test_loop_grows_the_llm_context(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """pipeline p {
  stage s = ivfpq(centroids = 10K, probes = 2, points_per_probe = 100, docs = 2,
                  doc_tokens = 50) on h.c
  stage llm = generate(Tiny) on h.g[0]
  flow s -> llm
  loop llm -> s max 1
}""",
    )
    r = run_point(p, "main", 0)
    # Second visit: prompt + 2 retrievals of 100 tokens + the first visit's 10 output tokens.
    assert (r.requests["context"] == 1000 + 200 + 10).all()
    assert len(rows(r, "llm")["request"]) == 40


# -- routing --------------------------------------------------------------------------------
ROUTE = """pipeline p {{
  stage llm = generate(Tiny) on h.g
  route llm by {policy}
}}"""


def test_round_robin_random_and_least_loaded(tmp_path: Path) -> None:
    w = (
        "workload w { arrival = uniform(50 req/s); prompt = uniform(100, 3000); output = 20; "
        "requests = 40 }"
    )
    rr = run_point(load(tmp_path, ROUTE.format(policy="round_robin"), w), "main", 0)
    np.testing.assert_array_equal(
        rows(rr, "llm")["client"][np.argsort(rows(rr, "llm")["request"])], np.arange(40) % 4
    )
    r1 = run_point(load(tmp_path, ROUTE.format(policy="random(seed = 3)"), w), "main", 0)
    r2 = run_point(load(tmp_path, ROUTE.format(policy="random(seed = 3)"), w), "main", 0)
    np.testing.assert_array_equal(rows(r1, "llm")["client"], rows(r2, "llm")["client"])
    assert len(set(rows(r1, "llm")["client"].tolist())) == 4
    burst = "workload w { arrival = uniform(1e9 req/s); prompt = 100; output = 20; requests = 8 }"
    for measure in ("requests", "queued_tokens", "kv", "tokens_left"):
        ll = run_point(
            load(tmp_path, ROUTE.format(policy=f"least_loaded({measure})"), burst), "main", 0
        )
        counts = np.bincount(rows(ll, "llm")["client"], minlength=4)
        assert counts.tolist() == [2, 2, 2, 2], measure  # a burst spreads evenly


def test_heavy_light_sends_long_prompts_to_the_heavy_share(tmp_path: Path) -> None:
    w = (
        "workload w { arrival = uniform(20 req/s); prompt = uniform(100, 4000); output = 5; "
        "requests = 200 }"
    )
    r = run_point(
        load(tmp_path, ROUTE.format(policy="heavy_light(threshold = 2048, heavy = 0.25)"), w),
        "main",
        0,
    )
    t = rows(r, "llm")
    prompt = r.requests["prompt"][t["request"]]
    assert (t["client"][prompt >= 2048] == 0).all()
    assert (t["client"][prompt < 2048] >= 1).all()


# -- reasoning ------------------------------------------------------------------------------
def test_parallel_reasoning_shares_the_prompt_kv(tmp_path: Path) -> None:
    body = "pipeline p { stage llm = generate(Tiny) on h.g[0] }"
    w = "workload w {{ arrival = uniform(1 req/s); prompt = 4096; output = 64; {r} requests = 5 }}"
    single = run_point(load(tmp_path, body, w.format(r="")), "main", 0)
    par = run_point(
        load(tmp_path, body, w.format(r="reasoning = parallel(branches = 4, scale = 2);")),
        "main",
        0,
    )
    assert (par.requests["llm_output"] == 128).all()  # per branch: output x scale
    assert (par.requests["status"] == 1).all()
    c1 = single.clients[0]
    cp = par.clients[0]
    # Four branches of 128 tokens on one 4096-token prompt: the prompt's 256 blocks are held
    # once, each branch adds its own few blocks (not 4 x 256).
    assert cp.kv_peak_blocks < c1.kv_peak_blocks + 4 * 10
    assert (par.requests["e2e"] > single.requests["e2e"]).all()


def test_single_path_reasoning_scales_output(tmp_path: Path) -> None:
    body = "pipeline p { stage llm = generate(Tiny) on h.g[0] }"
    w = (
        "workload w { arrival = uniform(1 req/s); prompt = 100; output = 10; "
        "reasoning = single(scale = 8); requests = 3 }"
    )
    r = run_point(load(tmp_path, body, w), "main", 0)
    assert (r.requests["output"] == 80).all()


# -- equality with the single-client driver, determinism, results ---------------------------
def test_single_generate_stage_equals_simulate() -> None:
    res = check_file(REPO / "specs" / "single_llm.hermes", params={"requests": "300"})
    p = res.program
    r = run_point(p, "main", 1)
    exp = p.experiments[0]
    stage = p.pipeline(exp.pipeline).stages[0]
    reqs = request_set(p.workload(exp.workload), 1)
    client = build_llm_clients(p, stage)[0]
    direct = simulate(reqs, client)
    t = direct.requests
    for mine, theirs in (
        (r.requests["first_token"], t.first_token),
        (r.requests["completion"], t.completion),
        (r.requests["ttft"], t.ttft),
        (r.requests["tpot"], t.tpot),
        (r.requests["e2e"], t.e2e),
    ):
        np.testing.assert_array_equal(mine, theirs)
    s = direct.summary()
    assert r.metric("ttft.p90") == s["ttft_p90"]
    assert r.metric("e2e.mean") == s["e2e_mean"]
    assert r.clients[0].energy == direct.clients[0].energy


def test_same_seed_same_arrays_and_json_safe_outputs() -> None:
    res = check_file(REPO / "specs" / "routing_branches.hermes", params={"requests": "150"})
    a = run_point(res.program, "main", 7)
    b = run_point(res.program, "main", 7)
    xa, xb = a.arrays(), b.arrays()
    assert xa.keys() == xb.keys()
    for k in xa:
        np.testing.assert_array_equal(xa[k], xb[k], err_msg=k)
    json.dumps(a.summary(), allow_nan=False)
    trace = a.chrome_trace()
    text = json.dumps(trace)
    assert '"ph": "X"' in text and '"ph": "s"' in text and '"ph": "f"' in text
    names = {e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "thread_name"}
    assert "llm[0]" in names and any(n.startswith("mixed.") for n in names)
    tl = a.timeline()
    assert tl["completed"][-1] == 150 and tl["in_system"][-1] == 0
    bd = a.breakdown()
    assert set(bd) == set(a.stage_names)
    assert 0 < bd["llm"]["p50"] <= 1.0
    terms = a.slo()
    assert [t[0].split()[0] for t in terms] == ["ttft.p90", "tpot.p90"]
    assert a.slo_ok == all(t[3] for t in terms)
    ct = a.client_table()
    assert len(ct["name"]) == len(a.clients) and (ct["utilisation"] <= 1.0).all()
    assert a.metric("energy") == pytest.approx(sum(a.stage_energy().values()))
    assert math.isfinite(a.metric("stage.rerank.p90"))


def test_progress_is_reported() -> None:
    res = check_file(REPO / "specs" / "single_llm.hermes", params={"requests": "500"})
    seen: list[tuple[float, int, int]] = []
    run_point(res.program, "main", 1, lambda t, d, n: seen.append((t, d, n)))
    assert 50 <= len(seen) <= 110
    assert seen[-1][1:] == (500, 500)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


# -- errors the user can fix ------------------------------------------------------------------
def test_errors_carry_spans(tmp_path: Path) -> None:
    big = """hermes 1
import std.hw.nvidia.H100_SXM
import std.models.llama.Llama3_1_70B
hardware box { gpu g : H100_SXM }
pipeline p { stage llm = generate(Llama3_1_70B) on box.g }
workload w { arrival = poisson(1 req/s); prompt = 100; output = 10; requests = 5 }
experiment main { run p with w }
"""
    path = tmp_path / "big.hermes"
    path.write_text(big)
    p = check_file(path).program
    with pytest.raises(SimulationError) as err:
        run_point(p, "main", 0)
    assert "do not fit" in err.value.message
    assert err.value.span == p.pipelines[0].stages[0].span and err.value.hint

    p2 = load(
        tmp_path,
        "pipeline p { stage e = embed(E5_Base) }",
        checked=False,  # the checker reports it too (E0415); the runtime must not crash
    )
    with pytest.raises(SimulationError, match="no device") as err:
        run_point(p2, "main", 0)
    assert err.value.span == p2.pipelines[0].stages[0].span

    trace = """hermes 1
import std.hw.nvidia.H100_SXM
import std.models.llama.Llama3_1_8B
hardware box { gpu g : H100_SXM }
pipeline p { stage llm = generate(Llama3_1_8B) on box.g }
workload w { arrival = trace("nowhere.csv"); prompt = 100; output = 10; requests = 5 }
experiment main { run p with w }
"""
    path.write_text(trace)
    p3 = check_file(path).program
    with pytest.raises(SimulationError, match="does not exist") as err:
        run_point(p3, "main", 0)
    assert err.value.span == p3.workloads[0].arrival.span


def test_runtime_kv_cache_is_what_the_checker_reports() -> None:
    """`hermes check --info` and the simulator agree on every LLM client's KV capacity."""
    from hermes_dsl.check.fit import kv_fit
    from hermes_dsl.compiler import check_file
    from hermes_dsl.sim.assemble import build_llm_clients
    from tests.conftest import REPO

    program = check_file(REPO / "specs" / "hybrid_batching.hermes").program
    devices = {d.path: d.spec for d in program.platforms[0].devices}
    for pipeline in program.pipelines:
        for stage in pipeline.stages:
            model = program.model(stage.model)
            fit = kv_fit(stage, model, devices[stage.devices[0]])
            for client in build_llm_clients(program, stage):
                assert client.kv.num_blocks * client.kv.block_size == fit.tokens
