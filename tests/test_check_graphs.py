"""Topology and dataflow graphs: paths, bottlenecks and latencies checked by hand."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from hermes_dsl.check import dataflow_graph, kv_fit, path_between, topology_graph
from hermes_dsl.compiler import check_file

SPEC = """hermes 1
gpu G { memory = 80 GB; mem_bandwidth = 3 TB/s; flops = { bf16 = 1 PFLOP/s } }
cpu C { memory = 512 GB; mem_bandwidth = 500 GB/s; flops = { fp32 = 5 TFLOP/s } }
link NV { bandwidth = 400 GB/s; latency = 10 us; efficiency = 0.5 }
link IB { bandwidth = 50 GB/s; latency = 20 us; efficiency = 0.9 }
link SPINE { bandwidth = SPINE_BW; latency = 200 us; efficiency = 0.6 }
memory POOL { capacity = 4 TB; bandwidth = 32 GB/s; lookup = 10 us }
model M { layers = 32; hidden = 4096; heads = 32; kv_heads = 8; ffn = 14336; vocab = 128256 }

hardware dc {
  rack r[2] {
    node n[2] {
      gpu g[4] : G
      cpu c : C
      link nv : NV connects g[*]
    }
    link ib : IB connects n[*]
    memory pool : POOL shared_by n[*]
  }
  link spine : SPINE connects r[*]
}

pipeline p {
  stage pre = preprocess(time = 1 ms) on dc.r[0].n[0].c
  stage prefill = prefill(M, tp = 2) on dc.r[0].n[*].g
  stage decode = decode(M, tp = 4) on dc.r[1].n[*].g
  flow pre -> prefill -> decode
}
"""


def _load(tmp_path: Path, spine: str = "12.5 GB/s"):  # type: ignore[no-untyped-def]
    spec = tmp_path / "t.hermes"
    spec.write_text(SPEC.replace("SPINE_BW", spine), encoding="utf-8")
    res = check_file(spec)
    assert res.ok, [d.message for d in res.diagnostics]
    return res


def test_same_node_uses_the_nvlink(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    p = path_between(topo, "dc.r[0].n[0].g[0]", "dc.r[0].n[0].g[3]")
    assert p is not None
    assert [lk.path for lk in p.links] == ["dc.r[0].n[0].nv"]
    assert p.bottleneck_bandwidth == pytest.approx(400e9 * 0.5)
    assert p.latency == pytest.approx(10e-6)


def test_other_node_same_rack(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    p = path_between(topo, "dc.r[0].n[0].g[1]", "dc.r[0].n[1].g[2]")
    assert p is not None
    assert [lk.path for lk in p.links] == ["dc.r[0].n[0].nv", "dc.r[0].ib", "dc.r[0].n[1].nv"]
    assert p.bottleneck_bandwidth == pytest.approx(50e9 * 0.9)  # IB: 45 GB/s < NV: 200 GB/s
    assert p.latency == pytest.approx((10 + 20 + 10) * 1e-6)
    assert p.bottleneck is not None and p.bottleneck.path == "dc.r[0].ib"


def test_other_rack_bottleneck_is_the_slowest_link(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    p = path_between(topo, "dc.r[0].n[1].g[0]", "dc.r[1].n[0].g[3]")
    assert p is not None
    names = [lk.path.rsplit(".", 1)[-1] for lk in p.links]
    assert names == ["nv", "ib", "spine", "ib", "nv"]
    assert p.bottleneck_bandwidth == pytest.approx(12.5e9 * 0.6)  # the spine, 7.5 GB/s
    assert p.latency == pytest.approx((10 + 20 + 200 + 20 + 10) * 1e-6)
    assert p.raw_bandwidth == pytest.approx(12.5e9)
    # a transfer of 75 MB: latency plus bytes at the bottleneck
    assert p.transfer_time(75e6) == pytest.approx(260e-6 + 0.01)
    # and with a fast spine the bottleneck moves to the InfiniBand
    fast = topology_graph(_load(tmp_path, "400 GB/s").program.platforms[0])
    q = path_between(fast, "dc.r[0].n[1].g[0]", "dc.r[1].n[0].g[3]")
    assert q is not None and q.bottleneck_bandwidth == pytest.approx(45e9)
    assert q.bottleneck is not None and q.bottleneck.path.endswith("ib")


def test_paths_are_symmetric_and_cached(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    a, b = "dc.r[0].n[0].g[0]", "dc.r[1].n[1].g[1]"
    pab, pba = topo.path(a, b), topo.path(b, a)
    assert pab is not None and pba is not None
    assert pab.bottleneck_bandwidth == pba.bottleneck_bandwidth
    assert pab.latency == pytest.approx(pba.latency)
    assert topo.path(a, b) is pab
    assert topo.path_key(a, b) == (-pab.bottleneck_bandwidth, pytest.approx(pab.latency), 5)
    same = topo.path(a, a)
    assert same is not None and same.links == () and math.isinf(same.bottleneck_bandwidth)


def test_a_cpu_on_no_link_reaches_its_node_fabric(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    p = topo.path("dc.r[0].n[0].c", "dc.r[0].n[1].g[0]")
    assert p is not None
    assert [lk.path.rsplit(".", 1)[-1] for lk in p.links] == ["ib", "nv"]


def test_no_link_no_path(tmp_path: Path) -> None:
    spec = tmp_path / "t.hermes"
    text = SPEC.replace("SPINE_BW", "1 GB/s").replace("  link spine : SPINE connects r[*]\n", "")
    spec.write_text(text, encoding="utf-8")
    res = check_file(spec)
    topo = topology_graph(res.program.platforms[0])
    assert topo.path("dc.r[0].n[0].g[0]", "dc.r[1].n[0].g[0]") is None
    assert topo.path("dc.r[0].n[0].g[0]", "dc.r[0].n[1].g[0]") is not None
    assert "W0410" in {d.code for d in res.diagnostics}


def test_memory_paths_and_common_links(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    p = topo.memory_path("dc.r[0].n[1].g[2]", "dc.r[0].pool")
    assert p is not None and [lk.path for lk in p.links] == ["dc.r[0].n[1].nv"]
    assert topo.memory_path("dc.r[1].n[0].g[0]", "dc.r[0].pool") is None
    nv = topo.common_link(["dc.r[0].n[0].g[0]", "dc.r[0].n[0].g[1]"])
    assert nv is not None and nv.path == "dc.r[0].n[0].nv"
    assert topo.common_link(["dc.r[0].n[0].g[0]", "dc.r[0].n[1].g[0]"]) is None


def test_graph_has_hubs_containment_and_memories(tmp_path: Path) -> None:
    topo = topology_graph(_load(tmp_path).program.platforms[0])
    g = topo.graph
    assert g.nodes["dc.r[0].ib"]["kind"] == "link"
    assert g.edges["dc.r[0].ib", "dc.r[0].n[1]"]["bandwidth"] == 50e9
    assert g.edges["dc.r[0].n[0]", "dc.r[0].n[0].g[0]"]["kind"] == "contains"
    assert g.edges["dc.r[0].pool", "dc.r[0].n[0]"]["kind"] == "memory"
    assert g.degree("dc.r[0].n[0].nv") == 4 + 1  # a hub: 4 GPUs and its node (uplink)


def test_dataflow_edges_say_what_flows(tmp_path: Path) -> None:
    res = _load(tmp_path)
    prog = res.program
    g = dataflow_graph(prog.pipelines[0], prog)
    kv = g.edges["prefill", "decode"]["payload"]
    assert kv.kind == "kv_cache"
    assert kv.bytes_per_token == prog.model("M").kv_bytes_per_token == 2 * 32 * 8 * 128 * 2
    assert g.edges["pre", "prefill"]["payload"].kind == "prompt"
    assert g.graph["entry"] == "pre" and g.graph["exits"] == ("decode",)
    tr = res.graphs.transfers[("p", "prefill", "decode")]
    assert tr.worst is not None and tr.worst.bottleneck_bandwidth == pytest.approx(7.5e9)


def test_kv_capacity(tmp_path: Path) -> None:
    res = _load(tmp_path)
    stage = res.program.pipelines[0].stage("decode")
    model = res.program.model("M")
    device = res.program.platforms[0].devices[0].spec
    fit = kv_fit(stage, model, device)
    assert fit.weights == pytest.approx(model.weight_bytes / 4)
    assert fit.kv_bytes_per_token == 2 * 32 * 2 * 128 * 2  # 8 KV heads over tp 4
    free = 80e9 * 0.9 - model.weight_bytes / 4
    assert fit.tokens == int(free // fit.kv_bytes_per_token) // 16 * 16
    infos = [i for i in res.info if i.topic == "kv_capacity" and i.stage == "decode"]
    assert infos and infos[0].value("tokens_per_client") == fit.tokens


def test_large_platform_is_fast(tmp_path: Path) -> None:
    spec = tmp_path / "big.hermes"
    text = SPEC.replace("SPINE_BW", "12.5 GB/s").replace("rack r[2]", "rack r[16]")
    text = text.replace("node n[2]", "node n[32]").replace("gpu g[4]", "gpu g[8]")
    text = text.replace("dc.r[0].n[*].g", "dc.r[0..8].n[*].g")
    text = text.replace("dc.r[1].n[*].g", "dc.r[8..16].n[*].g")
    spec.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    res = check_file(spec)
    took = time.perf_counter() - start
    assert res.ok and len(res.program.platforms[0].devices) == 16 * 32 * 9
    assert took < 10, took
