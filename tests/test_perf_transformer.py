"""Transformer operator counts and LLM iteration times, checked against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hermes_dsl.ir.hardware import DeviceSpec, LinkSpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.perf.collectives import all_reduce_time, p2p_time
from hermes_dsl.perf.kernels import GEMM_MEM_EFF
from hermes_dsl.perf.llm import LLMCost
from hermes_dsl.perf.transformer import TransformerPlan, experts_touched

# NVIDIA A100 80GB SXM datasheet: 312 TFLOP/s dense BF16, 2,039 GB/s, 108 SMs, 400 W.
A100 = DeviceSpec(
    "A100-80GB",
    "gpu",
    80e9,
    2039e9,
    (("bf16", 312e12), ("int8", 624e12), ("fp32", 19.5e12)),
    compute_units=108,
    tdp=400.0,
    idle_power=60.0,
    interconnect=300e9,
)
LLAMA2_7B = ModelSpec("llama-2-7b", "decoder", 32, 4096, 32, 32, 128, 11008, 32000)
LLAMA31_70B = ModelSpec("llama-3.1-70b", "decoder", 80, 8192, 64, 8, 128, 28672, 128256)
NVLINK = LinkSpec("nvlink", 300e9, 2e-6, 0.8)


def test_llama2_7b_operator_counts_by_hand() -> None:
    plan = TransformerPlan(LLAMA2_7B, tp=1)
    t = 512
    pairs = 512 * 513 / 2
    c = plan.layer_counts(t, pairs, 1, 0, 0)
    assert c["qkv_proj"].flops == 2 * 512 * 4096 * (3 * 4096)
    assert c["qkv_proj"].bytes == 4096 * 12288 * 2 + 512 * (4096 + 12288) * 2
    assert c["o_proj"].flops == 2 * 512 * 4096 * 4096
    assert c["mlp_up"].flops == 2 * 512 * 4096 * (2 * 11008)
    assert c["mlp_up"].bytes == 4096 * 22016 * 2 + 512 * (4096 + 22016) * 2
    assert c["mlp_down"].flops == 2 * 512 * 11008 * 4096
    # QK^T and PV: 2 * head_dim FLOPs each per (query, key) pair and head.
    assert c["attn_prefill"].flops == pytest.approx(32 * pairs * (2 * 128 + 2 * 128))
    assert c["input_norm"].bytes == 512 * 4096 * 2 * 2
    # Decode: 8 requests with 1000 cached tokens each read 2 x 32 heads x 128 x 2 B per token.
    d = plan.layer_counts(0, 0.0, 0, 8, 8000)
    assert d["attn_decode"].bytes >= 8000 * 2 * 32 * 128 * 2
    assert d["attn_decode"].flops == 4 * 32 * 128 * 8000
    assert d["qkv_proj"].flops == 2 * 8 * 4096 * 12288
    head = plan.iteration_counts(1, 8, 8)["lm_head"]
    assert head.flops == 2 * 9 * 4096 * 32000


def test_llama31_70b_tp8_operator_counts_by_hand() -> None:
    plan = TransformerPlan(LLAMA31_70B, tp=8)
    c = plan.layer_counts(256, 256 * 257 / 2, 1, 0, 0)
    # Per device: 8 query heads and 1 KV head of 128: QKV output (8 + 2) * 128 = 1280.
    assert c["qkv_proj"].flops == 2 * 256 * 8192 * 1280
    assert c["qkv_proj"].bytes == 8192 * 1280 * 2 + 256 * (8192 + 1280) * 2
    assert c["o_proj"].flops == 2 * 256 * 1024 * 8192
    assert c["mlp_up"].flops == 2 * 256 * 8192 * (2 * 28672 // 8)
    assert c["mlp_down"].flops == 2 * 256 * (28672 // 8) * 8192
    assert plan.kv_layer_bytes == 2 * 1 * 128 * 2
    # KV cache of the whole model per token: 2 x 80 layers x 8 heads x 128 x 2 bytes.
    assert LLAMA31_70B.kv_bytes_per_token == 2 * 80 * 8 * 128 * 2
    assert plan.iteration_counts(4, 0, 4)["lm_head"].flops == 2 * 4 * 8192 * 128256 / 8


def test_weight_dtype_and_kv_dtype_change_bytes() -> None:
    fp8 = ModelSpec(
        "l", "decoder", 32, 4096, 32, 32, 128, 11008, 32000, dtype="fp8", kv_dtype="int4"
    )
    plan = TransformerPlan(fp8)
    c = plan.layer_counts(0, 0.0, 0, 1, 100)
    assert c["mlp_down"].bytes == 11008 * 4096 * 1 + 1 * (11008 + 4096) * 2
    assert plan.kv_layer_bytes == 2 * 32 * 128 * 0.5


def test_decode_small_batch_is_weight_streaming() -> None:
    cost = LLMCost(A100, LLAMA31_70B)
    t = cost.iteration_time(0, 0.0, 0, 1, 100)
    expected = LLAMA31_70B.weight_bytes / (A100.mem_bandwidth * GEMM_MEM_EFF)
    assert t == pytest.approx(expected, rel=0.06)


def test_breakdown_adds_up_and_vector_path_agrees() -> None:
    cost = LLMCost(A100, LLAMA2_7B)
    shape = (384, 384 * 385 / 2 + 384 * 1000, 2, 30, 30 * 700)
    t = cost.iteration_time(*shape)
    assert sum(cost.breakdown(*shape).values()) == pytest.approx(t, rel=1e-9)
    arrays = [np.array([s, 0, 1]) for s in shape]
    arrays[3][1] = 4
    arrays[4][1] = 4000
    vec = cost.iteration_times(*arrays)
    assert vec[0] == pytest.approx(t, rel=1e-9)
    assert vec[1] == pytest.approx(cost.iteration_time(0, 0, 0, 4, 4000), rel=1e-9)
    assert cost.iteration_time(0, 0, 0, 0, 0) == 0.0


def test_tensor_parallel_adds_two_ring_allreduces_per_layer() -> None:
    cost = LLMCost(A100, LLAMA31_70B, tp=8, link=NVLINK)
    b = cost.breakdown(0, 0.0, 0, 16, 16 * 1000)
    one = 2 * 7 * 2e-6 + 2 * 7 / 8 * (16 * 8192 * 2) / (300e9 * 0.8) + 5e-6
    assert all_reduce_time(16 * 8192 * 2, 8, NVLINK) == pytest.approx(one)
    # Two per layer, plus the one after the vocabulary-parallel embedding.
    assert b["tp_allreduce"] == pytest.approx((2 * 80 + 1) * one)


def test_pipeline_bounded_by_slowest_stage_plus_transfer() -> None:
    cost = LLMCost(A100, LLAMA31_70B, tp=4, pp=3, link=NVLINK)
    shape = (512, 512 * 513 / 2, 1, 0, 0)
    stages = cost.stage_times(*shape)
    assert len(stages) == 3
    assert cost.stages == [(27, 0), (27, 0), (26, 0)]
    xfer = p2p_time(512 * 8192 * 2, NVLINK)
    expected = max(stages[0] + xfer, stages[1] + xfer, stages[2])
    assert cost.iteration_time(*shape) == pytest.approx(expected)
    vec = cost.iteration_times(*[np.array([s]) for s in shape])
    assert vec[0] == pytest.approx(expected, rel=1e-9)


def test_moe_expert_load() -> None:
    assert experts_touched(64, 8, 1) == pytest.approx(8.0)
    assert experts_touched(64, 8, 4) == pytest.approx(64 * (1 - (56 / 64) ** 4))
    assert experts_touched(64, 8, 10_000) == pytest.approx(64.0)
    moe = ModelSpec(
        "moe", "decoder", 16, 2048, 16, 16, 128, 1024, 50000,
        experts=64, top_k=8, moe_ffn=1024, shared_experts=0,
    )  # fmt: skip
    cost = LLMCost(A100, moe)
    one = cost.iteration_time(0, 0.0, 0, 1, 100)
    many = cost.iteration_time(0, 0.0, 0, 64, 6400)
    assert many > one  # more experts' weights are read with more tokens
    c = TransformerPlan(moe).layer_counts(0, 0.0, 0, 1, 100, moe=True)
    per_expert = 3 * 2048 * 1024 * 2
    assert c["experts_up"].bytes + c["experts_down"].bytes == pytest.approx(
        8 * per_expert + 8 * (2048 + 2048 + 1024 + 2048) * 2
    )


def test_energy_is_power_times_time() -> None:
    cost = LLMCost(A100, LLAMA2_7B, tp=2, link=NVLINK)
    shape = (2048, 2048 * 2049 / 2, 1, 0, 0)
    t = cost.iteration_time(*shape)
    u = cost.utilisation(*shape)
    assert 0.0 < u <= 1.0
    power = 60.0 + (400.0 - 60.0) * u
    assert cost.iteration_energy(*shape) == pytest.approx(2 * power * t)


def test_repeated_shapes_are_cached_and_fast_enough() -> None:
    cost = LLMCost(A100, LLAMA2_7B)
    shape = (256, 256 * 257 / 2, 1, 40, 40 * 900)
    first = cost.iteration_time(*shape)
    assert cost.iteration_time(*shape) == first
    assert math.isfinite(first) and first > 0
