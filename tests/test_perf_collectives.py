"""Collectives, paths, memory tiers, RAG search and CPU-vs-GPU encoders, by hand."""

from __future__ import annotations

import pytest

from hermes_dsl.ir.hardware import DeviceSpec, LinkSpec, MemorySpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.perf.collectives import (
    COLLECTIVE_STARTUP,
    all_gather_time,
    all_reduce_time,
    kv_transfer_bytes,
    kv_transfer_time,
    p2p_time,
    path_link,
    transfer_time,
)
from hermes_dsl.perf.energy import busy_power, energy, energy_per_request
from hermes_dsl.perf.memory import Tier, tier_probabilities, tier_time
from hermes_dsl.perf.rag import context_transfer_time, embed_query_time, ivfpq_search

# HERMES platform presets: intra-node 450 GB/s, 0.01 ms, eff 0.65; inter-node 50 GB/s,
# 0.02 ms, eff 0.9; inter-rack 12.5 GB/s, 0.2 ms, eff 0.6.
INTRA = LinkSpec("intra", 450e9, 1e-5, 0.65)
INTER = LinkSpec("inter", 50e9, 2e-5, 0.9)
RACK = LinkSpec("rack", 12.5e9, 2e-4, 0.6)

# NVIDIA A100 80GB SXM datasheet (19.5 TFLOP/s FP32 on the CUDA cores).
A100 = DeviceSpec(
    "A100-80GB", "gpu", 80e9, 2039e9, (("bf16", 312e12), ("fp32", 19.5e12)),
    compute_units=108, tdp=400.0, idle_power=60.0,
)  # fmt: skip
# NVIDIA Grace CPU datasheet: 72 Arm Neoverse V2 cores, up to ~500 GB/s LPDDR5X; 4x128-bit
# SVE2 pipes at ~3.1 GHz give ~3.6 TFLOP/s FP32 and ~7 TFLOP/s BF16 across the chip.
GRACE = DeviceSpec(
    "Grace", "cpu", 480e9, 500e9, (("bf16", 7.1e12), ("fp32", 3.6e12)),
    compute_units=72, compute_eff=0.5, memory_eff=0.7, tdp=250.0, idle_power=50.0,
)  # fmt: skip
E5_BASE = ModelSpec("e5-base", "encoder", 12, 768, 12, 12, 64, 3072, 30522, gated_mlp=False)
MISTRAL_EMBED = ModelSpec("e5-mistral-7b", "encoder", 32, 4096, 32, 8, 128, 14336, 32000)


def test_ring_all_reduce_formula() -> None:
    m = 64e6
    expected = 2 * 7 * 1e-5 + 2 * 7 / 8 * m / (450e9 * 0.65) + COLLECTIVE_STARTUP
    assert all_reduce_time(m, 8, INTRA) == pytest.approx(expected)
    assert all_reduce_time(m, 1, INTRA) == 0.0
    ag = 7 * 1e-5 + 7 / 8 * m / (450e9 * 0.65) + COLLECTIVE_STARTUP
    assert all_gather_time(m, 8, INTRA) == pytest.approx(ag)


def test_slowest_link_bounds_a_path() -> None:
    path = path_link([INTRA, INTER, RACK])
    assert path.bandwidth == pytest.approx(12.5e9 * 0.6)
    assert path.latency == pytest.approx(1e-5 + 2e-5 + 2e-4)
    m = 1e9
    expected = 2.3e-4 + m / (12.5e9 * 0.6) + COLLECTIVE_STARTUP
    assert transfer_time(m, [INTRA, INTER, RACK]) == pytest.approx(expected)
    assert transfer_time(m, [INTRA, INTER, RACK]) > p2p_time(m, INTER)


def test_kv_transfer_counts_bytes_not_values() -> None:
    llama70 = ModelSpec("l70", "decoder", 80, 8192, 64, 8, 128, 28672, 128256)
    assert kv_transfer_bytes(1000, llama70) == 1000 * 2 * 80 * 8 * 128 * 2
    t = kv_transfer_time(1000, llama70, INTER)
    assert t == pytest.approx(2e-5 + 1000 * 327680 / (50e9 * 0.9) + COLLECTIVE_STARTUP)


def test_two_tier_memory_formula_by_hand() -> None:
    size = 2e9
    tiers = [Tier(0.7, 1e-4, 128e9), Tier(0.9, 2e-2, 32e9)]
    recompute = 1.5
    t2 = 0.9 * (2e-2 + 2e9 / 32e9) + 0.1 * 1.5
    t1 = 0.7 * (1e-4 + 2e9 / 128e9) + 0.3 * t2
    assert tier_time(size, tiers, recompute) == pytest.approx(t1)
    assert tier_probabilities(tiers) == pytest.approx([0.7, 0.27, 0.03])
    lpddr = MemorySpec("lpddr", 1e12, 128e9, lookup=1e-4)
    assert Tier.of(lpddr, 0.5).bandwidth == 128e9


def test_ivfpq_switches_from_memory_to_compute_bound() -> None:
    # Many probes of short codes: scanning bytes dominates -> memory-bound.
    mem = ivfpq_search(A100, centroids=4096, dim=768, probes=50, points_per_probe=5000,
                       code_bytes=64)  # fmt: skip
    assert mem.bound == "memory"
    # Four million centroids of dimension 768 on one query: the coarse scan is 2 C d FLOPs
    # against C d 4-byte reads, but batching 256 queries reuses the centroids -> compute-bound.
    comp = ivfpq_search(A100, centroids=4_000_000, dim=768, probes=50, points_per_probe=5000,
                        code_bytes=64, queries=256)  # fmt: skip
    assert comp.bound == "compute"
    flops = 2 * 4e6 * 768 * 256 + 2 * 256 * 768 * 50 * 256 + 2 * 50 * 5000 * 256 * 64
    assert comp.flops == pytest.approx(flops)
    assert comp.seconds == pytest.approx(flops / (19.5e12 * A100.compute_eff))


def test_cpu_vs_gpu_embedding() -> None:
    small_cpu = embed_query_time(GRACE, E5_BASE, 1, 64)
    small_gpu = embed_query_time(A100, E5_BASE, 1, 64)
    big_cpu = embed_query_time(GRACE, MISTRAL_EMBED, 1, 64)
    big_gpu = embed_query_time(A100, MISTRAL_EMBED, 1, 64)
    # E5-base is milliseconds anywhere; a 7B embedder is much slower on the CPU.
    assert small_cpu < 5e-3 and small_gpu < 5e-3
    assert big_cpu > 4 * big_gpu
    # On the CPU 64 tokens of a 7B model are compute-bound: 2 x 64 x 7e9 FLOPs at half of
    # 7.1 TFLOP/s, well above streaming its 14 GB of weights at 350 GB/s.
    params = 32 * (4096 * (4096 + 2 * 1024) + 4096 * 4096 + 3 * 4096 * 14336)
    flops_time = 2 * 64 * params / (7.1e12 * 0.5)
    assert flops_time > params * 2 / (500e9 * 0.7)
    assert big_cpu == pytest.approx(flops_time, rel=0.05)


def test_context_transfer_is_small() -> None:
    pcie = LinkSpec("pcie4x4", 8e9, 1e-6, 0.9)
    t = context_transfer_time(20, 512, 4.0, pcie)
    assert t == pytest.approx(1e-6 + 20 * 512 * 4 / (8e9 * 0.9) + COLLECTIVE_STARTUP)


def test_energy_power_times_time() -> None:
    assert busy_power(A100, 1.0) == 400.0
    assert busy_power(A100, 0.0) == 60.0
    assert busy_power(A100, 0.5) == pytest.approx(230.0)
    assert energy(A100, 2.0, 0.5, count=8) == pytest.approx(8 * 230.0 * 2.0)
    assert energy_per_request(100.0, 20.0, 4) == pytest.approx(30.0)
