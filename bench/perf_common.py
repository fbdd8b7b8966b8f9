"""Shared helpers of the performance benches: devices from datasheets and the Vidur data."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benches run as scripts from any directory
    sys.path.insert(0, str(ROOT))

from hermes_dsl.ir.hardware import DeviceSpec  # noqa: E402

# The data folder sits next to the repository, never inside it.
DATA = ROOT.parent / "shared" / "data"
VIDUR = DATA / "profiles" / "vidur"

# Idle powers are typical nvidia-smi readings of an idle board, not datasheet figures.
# NVIDIA A100 Tensor Core GPU datasheet (A100 80GB SXM): 312 TFLOP/s dense BF16, 624 dense
# FP8-class INT8 TOPS, 19.5 TFLOP/s FP32, 2,039 GB/s HBM2e, 108 SMs, 400 W, NVLink 600 GB/s.
A100 = DeviceSpec(
    type_name="A100-80GB-SXM",
    kind="gpu",
    memory=80e9,
    mem_bandwidth=2039e9,
    flops=(("bf16", 312e12), ("fp16", 312e12), ("int8", 624e12), ("fp32", 19.5e12)),
    compute_units=108,
    tdp=400.0,
    idle_power=60.0,
    interconnect=300e9,
    vendor="nvidia",
)

# NVIDIA A40 datasheet: 149.7 TFLOP/s dense BF16 tensor, 299.3 dense INT8 TOPS, 37.4 TFLOP/s
# FP32, 696 GB/s GDDR6, 84 SMs, 300 W, NVLink bridge 112.5 GB/s.
A40 = DeviceSpec(
    type_name="A40",
    kind="gpu",
    memory=48e9,
    mem_bandwidth=696e9,
    flops=(("bf16", 149.7e12), ("fp16", 149.7e12), ("int8", 299.3e12), ("fp32", 37.4e12)),
    compute_units=84,
    tdp=300.0,
    idle_power=30.0,
    interconnect=56.25e9,
    vendor="nvidia",
)

DEVICES = {"a100": A100, "a40": A40}
GEMM_OPS = ("qkv_proj", "o_proj", "mlp_up", "mlp_down")
OTHER_OPS = ("mlp_act", "input_norm", "post_norm", "add", "rope", "embedding")


def vidur_dataset(gpu: str) -> dict[str, list[tuple[object, float, float]]]:
    """Per operator: (LLMCost of the profiled shape at its tp, tokens, measured seconds).

    One LLMCost per (model file, tp), so the per-op code paths are those of the simulator.
    """
    from hermes_dsl.perf.llm import LLMCost
    from hermes_dsl.perf.profiles import VIDUR_OPERATORS, find_vidur_profiles, load_vidur_mlp

    out: dict[str, list[tuple[object, float, float]]] = {v: [] for v in VIDUR_OPERATORS.values()}
    for g, name, path in find_vidur_profiles(VIDUR):
        if g != gpu:
            continue
        prof = load_vidur_mlp(path)
        model = prof.shape.model_spec(name)
        costs: dict[int, LLMCost] = {}
        for rec in prof.records:
            cost = costs.get(rec.tp)
            if cost is None:
                cost = costs[rec.tp] = LLMCost(DEVICES[gpu], model, tp=rec.tp)
            for op, sec in rec.seconds.items():
                out[VIDUR_OPERATORS[op]].append((cost, float(rec.tokens), sec))
    return out
