"""Simulation of "specs/multistep_moe.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/multistep_moe.hermes"
SPEC_SHA256 = "e9e25ce18d495dcfcc7ca3478560826bca7160785391ba1ddd7bc897b54a4263"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `MI300X`, as `amd.g[0]`  specs/multistep_moe.hermes:17
GPU_MI300X = DeviceSpec(
    type_name="MI300X",
    kind="gpu",
    memory=192e9,
    mem_bandwidth=5.3e12,
    flops=(
        ("bf16", 1.3074e15),
        ("fp16", 1.3074e15),
        ("fp8", 2.6149e15),
        ("int8", 2.6149e15),
        ("tf32", 653.7e12),
        ("fp32", 163.4e12),
    ),
    compute_units=304,
    tdp=750.0,
    idle_power=75.0,
    interconnect=448e9,
    vendor="AMD",
)

# cpu `SapphireRapids_8480`, as `amd.c`  specs/multistep_moe.hermes:18
CPU_SAPPHIRERAPIDS_8480 = DeviceSpec(
    type_name="SapphireRapids_8480",
    kind="cpu",
    memory=1e12,
    mem_bandwidth=307.2e9,
    flops=(("bf16", 114.7e12), ("int8", 229.4e12), ("fp32", 7.17e12)),
    compute_units=56,
    tdp=350.0,
    idle_power=90.0,
    vendor="Intel",
)

# link `InfinityFabric`, as `amd.xgmi`  specs/multistep_moe.hermes:19
LINK_INFINITYFABRIC = LinkSpec(
    type_name="InfinityFabric",
    bandwidth=448e9,
    latency=2e-6,
    efficiency=0.65,
)

# model `mixtral_fp8`  specs/multistep_moe.hermes:13
MODEL_MIXTRAL_FP8 = ModelSpec(
    name="mixtral_fp8",
    kind="decoder",
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=8,
    head_dim=128,
    ffn=14336,
    vocab=32000,
    experts=8,
    top_k=2,
    moe_ffn=14336,
    dtype="fp8",
    max_context=32768,
    span=at("specs/multistep_moe.hermes", 13, 7),
)

# model `lite_int4`  specs/multistep_moe.hermes:14
MODEL_LITE_INT4 = ModelSpec(
    name="lite_int4",
    kind="decoder",
    layers=27,
    hidden=2048,
    heads=16,
    kv_heads=16,
    head_dim=128,
    ffn=10944,
    vocab=102400,
    experts=64,
    top_k=6,
    moe_ffn=1408,
    shared_experts=2,
    dense_layers=1,
    kv_latent=576,
    dtype="int4",
    max_context=163840,
    span=at("specs/multistep_moe.hermes", 14, 7),
)

# hardware `amd`  specs/multistep_moe.hermes:16
HARDWARE_AMD = Platform(
    name="amd",
    groups=(
        Group(
            path="amd",
            kind="hardware",
            children=("amd.g[0]", "amd.g[1]", "amd.c", "amd.xgmi"),
            parent="",
        ),
    ),
    devices=(
        Device(path="amd.g[0]", spec=GPU_MI300X, parent="amd"),
        Device(path="amd.g[1]", spec=GPU_MI300X, parent="amd"),
        Device(path="amd.c", spec=CPU_SAPPHIRERAPIDS_8480, parent="amd"),
    ),
    links=(
        Link(
            path="amd.xgmi",
            spec=LINK_INFINITYFABRIC,
            endpoints=("amd.g[0]", "amd.g[1]"),
            parent="amd",
        ),
    ),
    memories=(),
)

# pipeline `agent`  specs/multistep_moe.hermes:22
PIPELINE_AGENT = Pipeline(
    name="agent",
    stages=(
        Stage(
            name="retrieve",
            kind="ivfpq",
            model=None,
            devices=("amd.c",),
            options=(
                ("batch", 1),
                ("centroids", 1000000),
                ("code_bytes", 64.0),
                ("dim", 768),
                ("doc_tokens", 256.0),
                ("docs", 4),
                ("points_per_probe", 2000),
                ("probes", 16),
            ),
            span=at("specs/multistep_moe.hermes", 23, 3),
        ),
        Stage(
            name="llm",
            kind="generate",
            model="mixtral_fp8",
            devices=("amd.g[0]", "amd.g[1]"),
            tp=2,
            batching=Batching(policy="continuous", max_batch=64),
            span=at("specs/multistep_moe.hermes", 24, 3),
        ),
    ),
    edges=(
        Edge(source="retrieve", target="llm"),
        Edge(source="llm", target="retrieve", kind="loop", max_times=2),
    ),
    routes=(),
    span=at("specs/multistep_moe.hermes", 22, 10),
)

# workload `tasks`  specs/multistep_moe.hermes:29
WORKLOAD_TASKS = Workload(
    name="tasks",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 1.0),),
        span=at("specs/multistep_moe.hermes", 30, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 512.0), ("std", 128.0), ("min", 32.0), ("max", 2048.0)),
        span=at("specs/multistep_moe.hermes", 31, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 128.0), ("std", 32.0), ("min", 8.0), ("max", 512.0)),
        span=at("specs/multistep_moe.hermes", 32, 14),
    ),
    span=at("specs/multistep_moe.hermes", 29, 10),
)

# experiment `main`  specs/multistep_moe.hermes:36
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="agent",
    workload="tasks",
    report=("e2e.p50", "e2e.p90", "stage.llm.p90", "energy"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/multistep_moe.hermes",
            params=(ParamValue(name="requests", type="int", value=1000),),
            models=(MODEL_MIXTRAL_FP8, MODEL_LITE_INT4),
            platforms=(HARDWARE_AMD,),
            pipelines=(PIPELINE_AGENT,),
            workloads=(WORKLOAD_TASKS,),
            experiments=(EXPERIMENT_MAIN,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
