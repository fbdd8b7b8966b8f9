"""Simulation of "specs/trace_replay.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/trace_replay.hermes"
SPEC_SHA256 = "e0f8bd34e4fceff272ba06c12b2dd08df536ae87bad7bb1549bcfb304cf7a043"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `box.g`  specs/trace_replay.hermes:12
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

# hardware `box`  specs/trace_replay.hermes:12
HARDWARE_BOX = Platform(
    name="box",
    groups=(Group(path="box", kind="hardware", children=("box.g",), parent=""),),
    devices=(Device(path="box.g", spec=GPU_H100_SXM, parent="box"),),
    links=(),
    memories=(),
)

# pipeline `serve`  specs/trace_replay.hermes:14
PIPELINE_SERVE = Pipeline(
    name="serve",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="Llama3_1_8B",
            devices=("box.g",),
            batching=Batching(policy="chunked", max_tokens=2048),
            span=at("specs/trace_replay.hermes", 15, 3),
        ),
    ),
    edges=(),
    routes=(),
    span=at("specs/trace_replay.hermes", 14, 10),
)

# workload `azure_conv`  specs/trace_replay.hermes:18
WORKLOAD_AZURE_CONV = Workload(
    name="azure_conv",
    arrival=Distribution(
        kind="trace",
        params=(("rate", 8.0),),
        path=data_file("traces/splitwise_conv.csv", SPEC),
        span=at("specs/trace_replay.hermes", 19, 14),
    ),
    prompt=Distribution(
        kind="trace",
        path=data_file("traces/splitwise_conv.csv", SPEC),
        column="num_prefill_tokens",
        span=at("specs/trace_replay.hermes", 20, 14),
    ),
    output=Distribution(
        kind="trace",
        path=data_file("traces/splitwise_conv.csv", SPEC),
        column="num_decode_tokens",
        span=at("specs/trace_replay.hermes", 21, 14),
    ),
    requests=2000,
    span=at("specs/trace_replay.hermes", 18, 10),
)

# experiment `main`  specs/trace_replay.hermes:25
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="serve",
    workload="azure_conv",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=0.5),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.05),
    ),
    report=("ttft.p50", "ttft.p99", "tpot.p90", "e2e.p99", "throughput", "goodput"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/trace_replay.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=8.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA3_1_8B,),
            platforms=(HARDWARE_BOX,),
            pipelines=(PIPELINE_SERVE,),
            workloads=(WORKLOAD_AZURE_CONV,),
            experiments=(EXPERIMENT_MAIN,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
