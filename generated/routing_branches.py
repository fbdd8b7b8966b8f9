"""Simulation of "specs/routing_branches.hermes", compiled by hermes "0.1.0".

Generated code: edit the spec and run `hermes compile` again rather than editing this file.
Run it on its own with `python THIS_FILE --seed 3 --out results/`, or through `hermes run`.
Every value below was resolved and unit-checked from the spec; all are SI (bytes, seconds,
FLOP/s, watts).  Comments name the spec line each block comes from.
"""

from __future__ import annotations

from hermes_dsl.ir.hardware import (
    Device,
    DeviceSpec,
    Group,
    Link,
    LinkSpec,
    Memory,
    MemorySpec,
    Platform,
)
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.ir.pipeline import Batching, Edge, Pipeline, Route, Stage
from hermes_dsl.ir.workload import Distribution, Reasoning, Workload
from hermes_dsl.ir.experiment import Experiment, ParamValue, Program, SloTerm, Sweep
from hermes_dsl.lower.entry import Point, data_file, main
from hermes_dsl.source import Span

SPEC = "specs/routing_branches.hermes"
SPEC_SHA256 = "6d929164f000f2d2e1c6bf2976db7bad80c6f9860f1209474718a50e9275f3b1"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `mixed.new.g[0]`  specs/routing_branches.hermes:20
GPU_H100_SXM = DeviceSpec(
    type_name="H100_SXM",
    kind="gpu",
    memory=80e9,
    mem_bandwidth=3.35e12,
    flops=(
        ("bf16", 989e12),
        ("fp16", 989e12),
        ("fp8", 1.979e15),
        ("int8", 1.979e15),
        ("tf32", 494.5e12),
        ("fp32", 67e12),
    ),
    compute_units=132,
    tdp=700.0,
    idle_power=70.0,
    interconnect=450e9,
    vendor="NVIDIA",
)

# cpu `Grace`, as `mixed.new.c`  specs/routing_branches.hermes:21
CPU_GRACE = DeviceSpec(
    type_name="Grace",
    kind="cpu",
    memory=480e9,
    mem_bandwidth=512e9,
    flops=(("fp32", 7.1e12), ("bf16", 7.1e12)),
    compute_units=72,
    tdp=250.0,
    idle_power=50.0,
    vendor="NVIDIA",
)

# gpu `A100_80GB`, as `mixed.old.g[0]`  specs/routing_branches.hermes:25
GPU_A100_80GB = DeviceSpec(
    type_name="A100_80GB",
    kind="gpu",
    memory=80e9,
    mem_bandwidth=2.039e12,
    flops=(
        ("bf16", 312e12),
        ("fp16", 312e12),
        ("tf32", 156e12),
        ("int8", 624e12),
        ("fp32", 19.5e12),
    ),
    compute_units=108,
    tdp=400.0,
    idle_power=40.0,
    interconnect=300e9,
    vendor="NVIDIA",
)

# link `NVLink4`, as `mixed.new.nv`  specs/routing_branches.hermes:22
LINK_NVLINK4 = LinkSpec(type_name="NVLink4", bandwidth=450e9, latency=2e-6, efficiency=0.65)

# link `NVLink3`, as `mixed.old.nv`  specs/routing_branches.hermes:26
LINK_NVLINK3 = LinkSpec(type_name="NVLink3", bandwidth=300e9, latency=2e-6, efficiency=0.65)

# link `InterNode`, as `mixed.net`  specs/routing_branches.hermes:28
LINK_INTERNODE = LinkSpec(type_name="InterNode", bandwidth=50e9, latency=20e-6, efficiency=0.9)

# memory tier `PerClientLPDDR`, as `mixed.lpddr`  specs/routing_branches.hermes:29
MEMORY_PERCLIENTLPDDR = MemorySpec(
    type_name="PerClientLPDDR",
    capacity=1e12,
    bandwidth=128e9,
    lookup=1e-6,
)

# model `E5_Large`  stdlib/std/models/embed.hermes:19
MODEL_E5_LARGE = ModelSpec(
    name="E5_Large",
    kind="encoder",
    layers=24,
    hidden=1024,
    heads=16,
    kv_heads=16,
    head_dim=64,
    ffn=4096,
    vocab=30522,
    gated_mlp=False,
    dtype="fp16",
    kv_dtype="fp16",
    max_context=512,
    span=at("stdlib/std/models/embed.hermes", 19, 7),
)

# model `Llama3_1_8B`  stdlib/std/models/llama.hermes:68
MODEL_LLAMA3_1_8B = ModelSpec(
    name="Llama3_1_8B",
    kind="decoder",
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=8,
    head_dim=128,
    ffn=14336,
    vocab=128256,
    max_context=131072,
    span=at("stdlib/std/models/llama.hermes", 68, 7),
)

# model `BGE_Reranker_Large`  stdlib/std/models/rerank.hermes:6
MODEL_BGE_RERANKER_LARGE = ModelSpec(
    name="BGE_Reranker_Large",
    kind="cross_encoder",
    layers=24,
    hidden=1024,
    heads=16,
    kv_heads=16,
    head_dim=64,
    ffn=4096,
    vocab=250002,
    gated_mlp=False,
    dtype="fp16",
    kv_dtype="fp16",
    max_context=512,
    span=at("stdlib/std/models/rerank.hermes", 6, 7),
)

# hardware `mixed`  specs/routing_branches.hermes:18
HARDWARE_MIXED = Platform(
    name="mixed",
    groups=(
        Group(
            path="mixed.new",
            kind="node",
            children=(
                "mixed.new.g[0]",
                "mixed.new.g[1]",
                "mixed.new.g[2]",
                "mixed.new.g[3]",
                "mixed.new.c",
                "mixed.new.nv",
            ),
            parent="mixed",
        ),
        Group(
            path="mixed.old",
            kind="node",
            children=(
                "mixed.old.g[0]",
                "mixed.old.g[1]",
                "mixed.old.g[2]",
                "mixed.old.g[3]",
                "mixed.old.nv",
            ),
            parent="mixed",
        ),
        Group(
            path="mixed",
            kind="hardware",
            children=("mixed.new", "mixed.old", "mixed.net", "mixed.lpddr"),
            parent="",
        ),
    ),
    devices=(
        Device(path="mixed.new.g[0]", spec=GPU_H100_SXM, parent="mixed.new"),
        Device(path="mixed.new.g[1]", spec=GPU_H100_SXM, parent="mixed.new"),
        Device(path="mixed.new.g[2]", spec=GPU_H100_SXM, parent="mixed.new"),
        Device(path="mixed.new.g[3]", spec=GPU_H100_SXM, parent="mixed.new"),
        Device(path="mixed.new.c", spec=CPU_GRACE, parent="mixed.new"),
        Device(path="mixed.old.g[0]", spec=GPU_A100_80GB, parent="mixed.old"),
        Device(path="mixed.old.g[1]", spec=GPU_A100_80GB, parent="mixed.old"),
        Device(path="mixed.old.g[2]", spec=GPU_A100_80GB, parent="mixed.old"),
        Device(path="mixed.old.g[3]", spec=GPU_A100_80GB, parent="mixed.old"),
    ),
    links=(
        Link(
            path="mixed.new.nv",
            spec=LINK_NVLINK4,
            endpoints=("mixed.new.g[0]", "mixed.new.g[1]", "mixed.new.g[2]", "mixed.new.g[3]"),
            parent="mixed.new",
        ),
        Link(
            path="mixed.old.nv",
            spec=LINK_NVLINK3,
            endpoints=("mixed.old.g[0]", "mixed.old.g[1]", "mixed.old.g[2]", "mixed.old.g[3]"),
            parent="mixed.old",
        ),
        Link(
            path="mixed.net",
            spec=LINK_INTERNODE,
            endpoints=("mixed.new", "mixed.old"),
            parent="mixed",
        ),
    ),
    memories=(
        Memory(
            path="mixed.lpddr",
            spec=MEMORY_PERCLIENTLPDDR,
            shared_by=("mixed.new", "mixed.old"),
            parent="mixed",
        ),
    ),
)

# pipeline `router`  specs/routing_branches.hermes:32
PIPELINE_ROUTER = Pipeline(
    name="router",
    stages=(
        Stage(
            name="pre",
            kind="preprocess",
            model=None,
            devices=("mixed.new.c",),
            options=(("per_token", 1e-6), ("time", 0.002), ("workers", 1)),
            span=at("specs/routing_branches.hermes", 33, 3),
        ),
        Stage(
            name="embed",
            kind="embed",
            model="E5_Large",
            devices=("mixed.new.c",),
            options=(("batch", 16),),
            span=at("specs/routing_branches.hermes", 34, 3),
        ),
        Stage(
            name="kv",
            kind="kv_fetch",
            model="Llama3_1_8B",
            devices=(),
            options=(("hit", (0.9,)), ("shared", False), ("tiers", ("mixed.lpddr",))),
            span=at("specs/routing_branches.hermes", 35, 3),
        ),
        Stage(
            name="retrieve",
            kind="ivfpq",
            model=None,
            devices=("mixed.new.c",),
            options=(
                ("batch", 1),
                ("centroids", 1000000),
                ("code_bytes", 64.0),
                ("dim", 768),
                ("doc_tokens", 256.0),
                ("docs", 10),
                ("points_per_probe", 2000),
                ("probes", 32),
            ),
            span=at("specs/routing_branches.hermes", 36, 3),
        ),
        Stage(
            name="rerank",
            kind="rerank",
            model="BGE_Reranker_Large",
            devices=("mixed.old.g[0]",),
            options=(("batch", 1), ("doc_tokens", 256.0), ("docs", 10), ("keep", 4)),
            span=at("specs/routing_branches.hermes", 37, 3),
        ),
        Stage(
            name="llm",
            kind="generate",
            model="Llama3_1_8B",
            devices=(
                "mixed.new.g[0]",
                "mixed.new.g[1]",
                "mixed.new.g[2]",
                "mixed.new.g[3]",
                "mixed.old.g[1]",
                "mixed.old.g[2]",
                "mixed.old.g[3]",
            ),
            batching=Batching(policy="continuous"),
            span=at("specs/routing_branches.hermes", 38, 3),
        ),
        Stage(
            name="post",
            kind="postprocess",
            model=None,
            devices=("mixed.new.c",),
            options=(("per_token", 0.0), ("time", 0.001), ("workers", 1)),
            span=at("specs/routing_branches.hermes", 39, 3),
        ),
    ),
    edges=(
        Edge(source="pre", target="embed", kind="branch", fraction=0.3),
        Edge(source="pre", target="llm", kind="branch", fraction=0.7),
        Edge(source="embed", target="retrieve", kind="fan"),
        Edge(source="embed", target="kv", kind="fan"),
        Edge(source="retrieve", target="rerank"),
        Edge(source="kv", target="rerank"),
        Edge(source="rerank", target="llm"),
        Edge(source="llm", target="post"),
    ),
    routes=(
        Route(
            stage="llm",
            policy="heavy_light",
            options=(("threshold", 2048.0), ("heavy", 0.5)),
            span=at("specs/routing_branches.hermes", 40, 3),
        ),
    ),
    span=at("specs/routing_branches.hermes", 32, 10),
)

# workload `mixed_lengths`  specs/routing_branches.hermes:45
WORKLOAD_MIXED_LENGTHS = Workload(
    name="mixed_lengths",
    arrival=Distribution(
        kind="gamma",
        params=(("rate", 6.0), ("cv", 2.0)),
        span=at("specs/routing_branches.hermes", 46, 14),
    ),
    prompt=Distribution(
        kind="uniform",
        params=(("min", 64.0), ("max", 4096.0)),
        span=at("specs/routing_branches.hermes", 47, 14),
    ),
    output=Distribution(
        kind="uniform",
        params=(("min", 16.0), ("max", 512.0)),
        span=at("specs/routing_branches.hermes", 48, 14),
    ),
    requests=1500,
    span=at("specs/routing_branches.hermes", 45, 10),
)

# experiment `main`  specs/routing_branches.hermes:52
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="router",
    workload="mixed_lengths",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=1.0),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.03),
    ),
    report=("ttft.p50", "ttft.p90", "tpot.p90", "e2e.p90", "stage.rerank.p90", "goodput"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/routing_branches.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=6.0),
                ParamValue(name="requests", type="int", value=1500),
            ),
            models=(MODEL_E5_LARGE, MODEL_LLAMA3_1_8B, MODEL_BGE_RERANKER_LARGE),
            platforms=(HARDWARE_MIXED,),
            pipelines=(PIPELINE_ROUTER,),
            workloads=(WORKLOAD_MIXED_LENGTHS,),
            experiments=(EXPERIMENT_MAIN,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
