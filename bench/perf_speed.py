"""Evaluations per second of LLMCost.iteration_time: repeated shapes, fresh shapes, numpy.

Run ``python bench/perf_speed.py``.  The simulator calls iteration_time on every iteration, so
the repeated-shape path (a dict hit) should exceed 200,000 evaluations per second.  The last
lines time ProfiledCost (a spec's `profile`) on a synthetic table of the same model, and the
analytical model on the same shapes in the same process.
"""

from __future__ import annotations

import random
import sys
import time

import numpy as np
from perf_common import A100

from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.perf.llm import LLMCost
from hermes_dsl.perf.profiles import ProfiledCost, TableRow, analytical_kernel_time

TABLE_OPS = ("input_norm", "qkv_proj", "rope", "o_proj", "post_norm", "mlp_up", "mlp_act")
TABLE_OPS += ("mlp_down", "add", "embedding")
LLAMA3_70B = ModelSpec("llama-3.1-70b", "decoder", 80, 8192, 64, 8, 128, 28672, 128256)


def shapes(n: int, seed: int, distinct_tokens: int | None = None) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chunk = rng.choice((0, 0, 128, 256, 512)) if distinct_tokens else rng.randint(0, 512)
        dec = rng.randint(1, 64)
        ctx = dec * rng.randint(100, 4000)
        seqs = 1 if chunk else 0
        out.append((chunk, chunk * (rng.randint(0, 2000) + (chunk + 1) / 2), seqs, dec, ctx))
    return out


def rate(fn, args: list[tuple]) -> float:
    t0 = time.perf_counter()
    for a in args:
        fn(*a)
    return len(args) / (time.perf_counter() - t0)


def main() -> int:
    n = 100_000
    cost = LLMCost(A100, LLAMA3_70B, tp=8)
    pool = shapes(200, seed=1, distinct_tokens=8)
    for s in pool:
        cost.iteration_time(*s)
    repeated = [pool[i % len(pool)] for i in range(n)]
    print(f"repeated shapes (cache hits):          {rate(cost.iteration_time, repeated):12,.0f} /s")

    warm = LLMCost(A100, LLAMA3_70B, tp=8)
    fresh = shapes(n, seed=2, distinct_tokens=8)
    for t in range(0, 600):  # token-count parts warm, whole shapes new (a simulation's case)
        warm._token_part(t)
    print(f"fresh shapes, token counts seen:       {rate(warm.iteration_time, fresh):12,.0f} /s")

    cold = LLMCost(A100, LLAMA3_70B, tp=8)
    # Every shape has a token count never seen before: the whole operator model runs.
    fresh2 = [(c + 1, (c + 1) * (c + 2) / 2, 1, 0, 0) for c in range(3_000)]
    print(f"every shape a new token count:         {rate(cold.iteration_time, fresh2):12,.0f} /s")

    arr = [np.array(c, dtype=float) for c in zip(*shapes(n, seed=4))]
    t0 = time.perf_counter()
    LLMCost(A100, LLAMA3_70B, tp=8).iteration_times(*arr)
    dt = time.perf_counter() - t0
    print(f"numpy path, {n:,} shapes:            {n / dt:12,.0f} /s")

    # A measured table: every token operator at 32 token counts, at tp=8 (times from the
    # analytical model itself; only the lookup speed matters here).
    ana = LLMCost(A100, LLAMA3_70B, tp=8)
    rows = [
        TableRow(op, t, 1.0, 8, analytical_kernel_time(ana, op, t))
        for op in TABLE_OPS
        for t in np.geomspace(1, 8192, 32).round()
    ]
    mixed = shapes(n, seed=5, distinct_tokens=8)
    for label, fn in (
        ("ProfiledCost, fresh shapes:            ", ProfiledCost(A100, LLAMA3_70B, rows, tp=8)),
        ("LLMCost on the same shapes:            ", LLMCost(A100, LLAMA3_70B, tp=8)),
    ):
        print(f"{label}{rate(fn.iteration_time, mixed):12,.0f} /s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
