"""Speed of the pipeline runtime on the HERMES remote-KV case study at full scale.

256 H100s in 4 racks as 128 clients of TP2 serving Llama-3.1-70B (weights in fp8 so that each
TP2 client keeps room for a KV cache; bf16 weights fill 141 of its 144 usable GB), Poisson
arrivals at 240 req/s of 4K-token prompts and 128-token outputs, each request's KV cache
fetched from the platform-shared memory tier (`specs/remote_kv.hermes`, pipeline
`platform_kv`, hit rate 1), routed least-loaded by queued tokens; 10 simulated minutes.

    python bench/pipeline_remote_kv.py [--minutes 10] [--rate 240]

Prints the wall time and simulated requests per wall-clock second.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from hermes_dsl.compiler import check_file
from hermes_dsl.sim.assemble import run_point

SPEC = Path(__file__).resolve().parents[1] / "specs" / "remote_kv.hermes"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="simulated minutes")
    ap.add_argument("--rate", type=float, default=240.0, help="arrival rate, req/s")
    args = ap.parse_args()
    seconds = args.minutes * 60.0
    requests = int(args.rate * seconds * 1.05) + 100  # arrivals outlast the horizon
    t0 = time.perf_counter()
    program = check_file(
        SPEC, params={"requests": str(requests), "rate": f"{args.rate} req/s", "hit": "1"}
    ).program
    models = tuple(
        dataclasses.replace(m, dtype="fp8") if m.name == "Llama3_1_70B" else m
        for m in program.models
    )
    experiments = tuple(
        dataclasses.replace(e, horizon=seconds) if e.name == "platform_shared" else e
        for e in program.experiments
    )
    program = dataclasses.replace(program, models=models, experiments=experiments)
    t1 = time.perf_counter()
    result = run_point(program, "platform_shared", 1)
    t2 = time.perf_counter()
    s = result.summary()
    arrived = int((result.requests["arrival"] <= seconds).sum())
    done = s["completed"]
    wall = t2 - t1
    print(
        f"remote KV, 128 x H100 TP2, Llama-3.1-70B (fp8 weights), {args.rate:g} req/s Poisson, "
        f"4096/128 tokens, KV from the platform-shared tier, {args.minutes:g} simulated min"
    )
    print(
        f"  {arrived:,} requests arrived, {done:,} completed, {s['events']:,} events; "
        f"TTFT p50 {s['ttft.p50'] * 1e3:.1f} ms p90 {s['ttft.p90'] * 1e3:.1f} ms, "
        f"TPOT p90 {s['tpot.p90'] * 1e3:.1f} ms, KV fetch p90 "
        f"{result.metric('stage.kv.p90') * 1e3:.1f} ms, LLM utilisation {s['utilization']:.2f}"
    )
    print(
        f"  build {t1 - t0:.2f} s, simulate {wall:.2f} s wall -> {done / wall:,.0f} simulated "
        f"req/wall-s, {s['events'] / wall:,.0f} events/wall-s"
    )


if __name__ == "__main__":
    main()
