"""Simulation of "specs/single_llm.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/single_llm.hermes"
SPEC_SHA256 = "0526d8b73006405d6c83219b017e47233d1c5c672679cf15c65de6e8d6e5729e"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `box.g`  specs/single_llm.hermes:11
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

# model `Llama2_7B`  stdlib/std/models/llama.hermes:10
MODEL_LLAMA2_7B = ModelSpec(
    name="Llama2_7B",
    kind="decoder",
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=32,
    head_dim=128,
    ffn=11008,
    vocab=32000,
    dtype="fp16",
    kv_dtype="fp16",
    span=at("stdlib/std/models/llama.hermes", 10, 7),
)

# hardware `box`  specs/single_llm.hermes:10
HARDWARE_BOX = Platform(
    name="box",
    groups=(Group(path="box", kind="hardware", children=("box.g",), parent=""),),
    devices=(Device(path="box.g", spec=GPU_H100_SXM, parent="box"),),
    links=(),
    memories=(),
)

# pipeline `serve`  specs/single_llm.hermes:14
PIPELINE_SERVE = Pipeline(
    name="serve",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="Llama2_7B",
            devices=("box.g",),
            batching=Batching(policy="continuous", max_batch=128),
            span=at("specs/single_llm.hermes", 15, 3),
        ),
    ),
    edges=(),
    routes=(),
    span=at("specs/single_llm.hermes", 14, 10),
)

# workload `fixed_lengths`  specs/single_llm.hermes:19
WORKLOAD_FIXED_LENGTHS = Workload(
    name="fixed_lengths",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 8.0),),
        span=at("specs/single_llm.hermes", 20, 14),
    ),
    prompt=Distribution(
        kind="fixed",
        params=(("value", 512.0),),
        span=at("specs/single_llm.hermes", 21, 14),
    ),
    output=Distribution(
        kind="fixed",
        params=(("value", 128.0),),
        span=at("specs/single_llm.hermes", 22, 14),
    ),
    requests=2000,
    span=at("specs/single_llm.hermes", 19, 10),
)

# experiment `main`  specs/single_llm.hermes:26
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="serve",
    workload="fixed_lengths",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=0.25),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.025),
    ),
    report=("ttft.p50", "ttft.p90", "tpot.p90", "e2e.p99", "throughput", "goodput", "energy"),
    seed=1,
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/single_llm.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=8.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA2_7B,),
            platforms=(HARDWARE_BOX,),
            pipelines=(PIPELINE_SERVE,),
            workloads=(WORKLOAD_FIXED_LENGTHS,),
            experiments=(EXPERIMENT_MAIN,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
