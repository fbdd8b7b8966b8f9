"""Simulation of "specs/prefix_cache.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/prefix_cache.hermes"
SPEC_SHA256 = "37176ece72f7fc6b1c2db6cc08edf858a4576f04e0cd7150ddd005c6da5c3eb2"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `box.g[0]`  specs/prefix_cache.hermes:11
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

# link `NVLink4`, as `box.nv`  specs/prefix_cache.hermes:12
LINK_NVLINK4 = LinkSpec(type_name="NVLink4", bandwidth=450e9, latency=2e-6, efficiency=0.65)

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

# hardware `box`  specs/prefix_cache.hermes:10
HARDWARE_BOX = Platform(
    name="box",
    groups=(
        Group(path="box", kind="hardware", children=("box.g[0]", "box.g[1]", "box.nv"), parent=""),
    ),
    devices=(
        Device(path="box.g[0]", spec=GPU_H100_SXM, parent="box"),
        Device(path="box.g[1]", spec=GPU_H100_SXM, parent="box"),
    ),
    links=(
        Link(path="box.nv", spec=LINK_NVLINK4, endpoints=("box.g[0]", "box.g[1]"), parent="box"),
    ),
    memories=(),
)

# pipeline `serve`  specs/prefix_cache.hermes:15
PIPELINE_SERVE = Pipeline(
    name="serve",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="Llama3_1_8B",
            devices=("box.g[0]", "box.g[1]"),
            batching=Batching(policy="chunked", max_tokens=4096),
            span=at("specs/prefix_cache.hermes", 16, 3),
        ),
    ),
    edges=(),
    routes=(
        Route(
            stage="llm",
            policy="least_loaded",
            measure="kv",
            span=at("specs/prefix_cache.hermes", 17, 3),
        ),
    ),
    span=at("specs/prefix_cache.hermes", 15, 10),
)

# workload `mooncake`  specs/prefix_cache.hermes:20
WORKLOAD_MOONCAKE = Workload(
    name="mooncake",
    arrival=Distribution(
        kind="trace",
        path=data_file("traces/mooncake/conversation_trace.jsonl", SPEC),
        span=at("specs/prefix_cache.hermes", 21, 14),
    ),
    prompt=Distribution(
        kind="trace",
        path=data_file("traces/mooncake/conversation_trace.jsonl", SPEC),
        column="input_length",
        span=at("specs/prefix_cache.hermes", 22, 14),
    ),
    output=Distribution(
        kind="trace",
        path=data_file("traces/mooncake/conversation_trace.jsonl", SPEC),
        column="output_length",
        span=at("specs/prefix_cache.hermes", 23, 14),
    ),
    requests=2000,
    prefix=Distribution(
        kind="trace",
        params=(("block", 512.0),),
        path=data_file("traces/mooncake/conversation_trace.jsonl", SPEC),
        span=at("specs/prefix_cache.hermes", 24, 14),
    ),
    span=at("specs/prefix_cache.hermes", 20, 10),
)

# experiment `main`  specs/prefix_cache.hermes:28
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="serve",
    workload="mooncake",
    report=("ttft.p50", "ttft.p90", "e2e.p90", "throughput"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/prefix_cache.hermes",
            params=(ParamValue(name="requests", type="int", value=2000),),
            models=(MODEL_LLAMA3_1_8B,),
            platforms=(HARDWARE_BOX,),
            pipelines=(PIPELINE_SERVE,),
            workloads=(WORKLOAD_MOONCAKE,),
            experiments=(EXPERIMENT_MAIN,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
