"""Time `hermes check` plus `hermes diagram` on generated platforms of 256 and 4,096 GPUs.

Run ``python bench/check_diagram.py``.  Each spec is racks x nodes x 8 H100 (NVLink in a node,
InfiniBand in a rack, a spine between racks, a rack-shared and a platform-shared memory) with
a disaggregated pipeline: a CPU preprocess, a KV fetch, prefill (tp 8) on half of each rack's
nodes and decode (tp 2) on the other half, so the checks compare every pair of nodes for the
KV transfer.  Prints, for each: resolving, the structure checks, writing the DOT files, and
Graphviz rendering SVG and PNG (when `dot` is installed).  Targets: check + diagram under 2 s
for 256 GPUs and under 10 s for 4,096.  ``--profile`` prints the top of a cProfile instead.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from hermes_dsl.check import check_program
from hermes_dsl.render import diagrams, write_diagrams
from hermes_dsl.render.output import dot_executable
from hermes_dsl.resolve.program import resolve_file

SPEC = """hermes 1
import std.hw.nvidia.{{H100_SXM, NVLink4}}
import std.hw.cpu.Grace
import std.hw.links.{{InterNode, InterRack}}
import std.hw.memory.{{RackShared, PlatformShared}}
import std.models.llama.Llama3_1_70B

hardware dc {{
  rack r[{racks}] {{
    node n[{nodes}] {{
      gpu g[8] : H100_SXM
      cpu c : Grace
      link nv : NVLink4 connects g[*]
    }}
    link ib : InterNode connects n[*]
    memory pool : RackShared shared_by n[*]
  }}
  link spine : InterRack connects r[*]
  memory shared : PlatformShared shared_by r[*]
}}

pipeline chat {{
  stage pre     = preprocess(time = 1 ms) on dc.r[*].n[0].c
  stage kv      = kv_fetch(Llama3_1_70B, tiers = [dc.shared], hit = [0.6])
  stage prefill = prefill(Llama3_1_70B, tp = 8, batching = chunked) on dc.r[*].n[0..{half}].g
  stage decode  = decode(Llama3_1_70B, tp = 2) on dc.r[*].n[{half}..{nodes}].g
  flow pre -> kv -> prefill -> decode
}}
"""

CASES = (("256 GPUs", 4, 8), ("4,096 GPUs", 16, 32))


def one(label: str, racks: int, nodes: int, folder: Path) -> float:
    spec = folder / f"gpus_{racks * nodes * 8}.hermes"
    spec.write_text(SPEC.format(racks=racks, nodes=nodes, half=nodes // 2), encoding="utf-8")
    t0 = time.perf_counter()
    res = resolve_file(spec)
    t1 = time.perf_counter()
    assert res.program is not None and not res.diagnostics, res.diagnostics
    checked = check_program(res.program)
    t2 = time.perf_counter()
    assert not checked.diagnostics, [d.message for d in checked.diagnostics]
    texts = diagrams(res.program, checked.graphs)
    t3 = time.perf_counter()
    files = write_diagrams(res.program, checked.graphs, folder / "out", spec.stem)
    t4 = time.perf_counter()
    graphviz = (t4 - t3) if dot_executable() else 0.0
    total = t4 - t0
    size = sum(len(t) for t in texts.values())
    print(
        f"{label:>10}: resolve {t1 - t0:6.3f} s  checks {t2 - t1:6.3f} s  "
        f"DOT {t3 - t2:6.3f} s ({len(texts)} files, {size / 1e3:.0f} kB)  "
        f"graphviz {graphviz:6.3f} s ({len(files.images)} images)  total {total:6.3f} s"
    )
    return total


def main() -> None:
    if not dot_executable():
        print("Graphviz `dot` not found: timing DOT only (apt-get install graphviz)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "--profile" in sys.argv:
            prof = cProfile.Profile()
            prof.enable()
            one(*CASES[1], folder)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            return
        targets = {"256 GPUs": 2.0, "4,096 GPUs": 10.0}
        for label, racks, nodes in CASES:
            total = one(label, racks, nodes, folder)
            verdict = "ok" if total < targets[label] else "OVER TARGET"
            print(f"{'':>10}  target {targets[label]:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
