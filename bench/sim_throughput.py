"""How fast the simulation runtime is: simulated requests per wall second, events per second.

Run from the repository root:  python bench/sim_throughput.py [--quick]

(a) Llama-2-7B on one H100 (TP1), prompts 512 / outputs 128 tokens, Poisson 8 req/s, 10,000
    requests, continuous batching of at most 128 (Vidur simulates this at about 430 req/s);
(b) 100,000 requests replayed from splitwise_conv.csv (Azure 2023 conversations, repeated end
    to end) on one Llama-3.1-8B H100 client;
(c) cost growth 10k -> 100k -> 1M requests of setup (a): the per-request cost should be flat.
Wall time includes building the workload, the cost model and the client.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benches run as scripts from any directory
    sys.path.insert(0, str(ROOT))

from hermes_dsl.ir.hardware import DeviceSpec  # noqa: E402
from hermes_dsl.ir.model import ModelSpec  # noqa: E402
from hermes_dsl.sim import (  # noqa: E402
    FixedLength,
    KVCache,
    LinearCost,
    LLMClient,
    PoissonArrivals,
    Workload,
    continuous,
    load_trace,
    simulate,
)

DATA = ROOT.parent / "shared" / "data"

# NVIDIA H100 Tensor Core GPU datasheet, SXM5 column: 989 TFLOP/s dense BF16 (1,979 with
# sparsity), 80 GB HBM3 at 3.35 TB/s, NVLink 900 GB/s bidirectional (450 per direction), up to
# 700 W; 132 SMs from the H100 architecture whitepaper.  Idle power (70 W) is an estimate.
H100 = DeviceSpec(
    type_name="H100-SXM",
    kind="gpu",
    memory=80e9,
    mem_bandwidth=3.35e12,
    flops=(("bf16", 989e12), ("fp16", 989e12), ("fp8", 1979e12), ("int8", 1979e12)),
    compute_units=132,
    tdp=700.0,
    idle_power=70.0,
    interconnect=450e9,
    vendor="nvidia",
)

# config.json of meta-llama/Llama-2-7b-hf.
LLAMA2_7B = ModelSpec(
    name="Llama-2-7B",
    kind="decoder",
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=32,
    head_dim=128,
    ffn=11008,
    vocab=32000,
    dtype="bf16",
    kv_dtype="bf16",
    max_context=4096,
)

# config.json of meta-llama/Llama-3.1-8B.
LLAMA31_8B = ModelSpec(
    name="Llama-3.1-8B",
    kind="decoder",
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=8,
    head_dim=128,
    ffn=14336,
    vocab=128256,
    dtype="bf16",
    kv_dtype="bf16",
    max_context=131072,
)

GPU_MEMORY_UTILISATION = 0.9  # vLLM's default share of device memory it manages
ACTIVATION_RESERVE = 2e9  # bytes kept for activations and CUDA graphs (rough vLLM figure)


def cost_model(model: ModelSpec):
    """The roofline LLMCost when present, else a linear fit of the same roofline by hand."""
    try:
        from hermes_dsl.perf.llm import LLMCost
    except ImportError:
        eff_bw = H100.mem_bandwidth * 0.85
        return LinearCost(
            base=model.weight_bytes / eff_bw + 1e-4,
            per_prefill_token=2 * model.active_params / (989e12 * 0.6),
            per_decode_context=model.kv_bytes_per_token / eff_bw,
        ), "LinearCost (hand roofline)"
    return LLMCost(H100, model, tp=1), "LLMCost (roofline)"


def make_client(model: ModelSpec, cost, max_batch: int = 128) -> LLMClient:
    free = H100.memory * GPU_MEMORY_UTILISATION - model.weight_bytes - ACTIVATION_RESERVE
    kv = KVCache.from_memory(
        capacity_bytes=free, kv_bytes_per_token=model.kv_bytes_per_token, block_size=16
    )
    return LLMClient(
        name="h100",
        cost=cost,
        kv=kv,
        policy=continuous(max_batch=max_batch),
        kv_bytes_per_token=model.kv_bytes_per_token,
        busy_power=H100.tdp,
        idle_power=H100.idle_power,
    )


def run_a(n: int, seed: int = 1):
    t0 = time.perf_counter()
    reqs = Workload(PoissonArrivals(8.0), FixedLength(512), FixedLength(128), n).generate(seed)
    cost, label = cost_model(LLAMA2_7B)
    res = simulate(reqs, make_client(LLAMA2_7B, cost))
    return time.perf_counter() - t0, res, label


def report(tag: str, n: int, wall: float, res) -> None:
    s = res.summary()
    print(
        f"{tag}: {n:,} requests in {wall:.3f} s wall -> {n / wall:,.0f} req/wall-s, "
        f"{res.events / wall:,.0f} events/wall-s ({res.events:,} events); "
        f"simulated {s['duration_s']:.1f} s, completed {s['completed']:,}, "
        f"TTFT p50 {s['ttft_p50'] * 1e3:.1f} ms, TPOT p50 {s['tpot_p50'] * 1e3:.2f} ms, "
        f"E2E p99 {s['e2e_p99']:.2f} s, util {s['h100.utilisation']:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 1M-request point")
    args = ap.parse_args()

    wall, res, label = run_a(10_000)
    print(f"cost model: {label}")
    report("(a) Llama-2-7B H100 TP1, 512/128, Poisson 8/s, continuous max 128", 10_000, wall, res)
    print(f"    target >= 8,700 req/wall-s (20x Vidur's ~430): {10_000 / wall / 430:.1f}x Vidur")

    trace = DATA / "traces" / "splitwise_conv.csv"
    if trace.exists():
        t0 = time.perf_counter()
        reqs = load_trace(trace, num_requests=100_000)
        cost, _ = cost_model(LLAMA31_8B)
        res = simulate(reqs, make_client(LLAMA31_8B, cost, max_batch=256))
        wall = time.perf_counter() - t0
        report("(b) splitwise_conv x100k, Llama-3.1-8B H100", 100_000, wall, res)
    else:
        print(f"(b) skipped: the shared data folder is missing ({trace})")

    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    print("(c) cost growth, setup (a):")
    for n in sizes:
        wall, res, _ = run_a(n)
        print(
            f"    {n:>9,} requests: {wall:8.3f} s wall, {wall / n * 1e6:6.1f} us/request, "
            f"{n / wall:,.0f} req/wall-s, {res.events / wall:,.0f} events/wall-s"
        )


if __name__ == "__main__":
    main()
