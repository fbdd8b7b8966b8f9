"""Swap preemption moves KV blocks over the platform's own device-to-CPU links."""

from __future__ import annotations

from pathlib import Path

from hermes_dsl.compiler import check_file
from hermes_dsl.sim.assemble import DEFAULT_HOST_BANDWIDTH, build_llm_clients, run_point

SPEC = """hermes 1
import std.hw.nvidia.{{H100_SXM, NVLink4}}
import std.hw.cpu.Grace
import std.hw.links.PCIe5_x16
import std.models.llama.Llama3_1_8B

hardware h {{
  node n[2] {{
    gpu g[2] : H100_SXM
    {cpus}
    link nv : NVLink4 connects g[*]
  }}
}}

pipeline p {{
  stage llm = generate(Llama3_1_8B, tp = {tp}, preemption = swap) on h.n[0].g, h.n[1].g
}}

workload w {{
  arrival = poisson(4 req/s)
  prompt = 256
  output = 16
  requests = 8
}}

experiment e {{ run p with w }}
"""

ONE_CPU = "cpu c : Grace\n    link host : PCIe5_x16 connects c, g[*]"
TWO_CPUS = "cpu c[2] : Grace\n    link host0 : PCIe5_x16 connects c[0], g[0]\n" + (
    "    link host1 : PCIe5_x16 connects c[1], g[1]"
)


ONE_CPU_TWO_LINKS = "cpu c : Grace\n    link host0 : PCIe5_x16 connects c, g[0]\n" + (
    "    link host1 : PCIe5_x16 connects c, g[1]"
)


def clients(tmp_path: Path, cpus: str, tp: int):  # type: ignore[no-untyped-def]
    path = tmp_path / "spec.hermes"
    path.write_text(SPEC.format(cpus=cpus, tp=tp))
    res = check_file(path)
    assert res.ok, [d.message for d in res.diagnostics]
    notes: list[str] = []
    stage = res.program.pipelines[0].stages[0]
    return res.program, build_llm_clients(res.program, stage, notes=notes), notes


def test_swap_uses_the_link_to_the_cpu(tmp_path: Path) -> None:
    pcie5 = 63e9 * 0.8  # PCIe5_x16: 63 GB/s at efficiency 0.8 (stdlib/std/hw/links.hermes)
    _, cl, notes = clients(tmp_path, ONE_CPU, tp=1)
    assert [c.host_bandwidth for c in cl] == [pcie5] * 4 and notes == []
    # Two GPUs of one client reach the same CPU: its end of the link is shared, not doubled.
    _, cl, _ = clients(tmp_path, ONE_CPU, tp=2)
    assert [c.host_bandwidth for c in cl] == [pcie5] * 2
    # Each GPU with a CPU of its own: the two links add up.
    _, cl, _ = clients(tmp_path, TWO_CPUS, tp=2)
    assert [c.host_bandwidth for c in cl] == [2 * pcie5] * 2
    # One CPU entered through two links: each link's end at the CPU carries its bandwidth.
    _, cl, _ = clients(tmp_path, ONE_CPU_TWO_LINKS, tp=2)
    assert [c.host_bandwidth for c in cl] == [2 * pcie5] * 2


NVLINK_ONLY = "cpu c : Grace"  # a CPU in the node, but no link names it


def test_swap_without_a_cpu_is_assumed_and_said(tmp_path: Path) -> None:
    for cpus in ("", NVLINK_ONLY):
        program, cl, notes = clients(tmp_path, cpus, tp=1)
        assert [c.host_bandwidth for c in cl] == [DEFAULT_HOST_BANDWIDTH] * 4, cpus
    program, cl, notes = clients(tmp_path, "", tp=1)
    assert [c.host_bandwidth for c in cl] == [DEFAULT_HOST_BANDWIDTH] * 4
    assert len(notes) == 1 and "reach no CPU" in notes[0]
    result = run_point(program, "e", 0)
    assert result.warnings == tuple(notes)
