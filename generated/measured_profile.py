"""Simulation of "specs/measured_profile.hermes", compiled by hermes "0.1.0".

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
from hermes_dsl.ir.profile import Profile
from hermes_dsl.ir.pipeline import Batching, Edge, Pipeline, Route, Stage
from hermes_dsl.ir.workload import Distribution, Reasoning, Workload
from hermes_dsl.ir.experiment import Experiment, ParamValue, Program, SloTerm, Sweep
from hermes_dsl.lower.entry import Point, data_file, main
from hermes_dsl.source import Span

SPEC = "specs/measured_profile.hermes"
SPEC_SHA256 = "52bf0b521b76bd8f3a3d654cb613aba3cd5d5835562a0d5f9a888a9f20d00ef5"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `A100_80GB`, as `box.n.g[0]`  specs/measured_profile.hermes:16
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

# link `NVLink3`, as `box.n.nv`  specs/measured_profile.hermes:17
LINK_NVLINK3 = LinkSpec(type_name="NVLink3", bandwidth=300e9, latency=2e-6, efficiency=0.65)

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

# hardware `box`  specs/measured_profile.hermes:14
HARDWARE_BOX = Platform(
    name="box",
    groups=(
        Group(
            path="box.n",
            kind="node",
            children=("box.n.g[0]", "box.n.g[1]", "box.n.g[2]", "box.n.g[3]", "box.n.nv"),
            parent="box",
        ),
        Group(path="box", kind="hardware", children=("box.n",), parent=""),
    ),
    devices=(
        Device(path="box.n.g[0]", spec=GPU_A100_80GB, parent="box.n"),
        Device(path="box.n.g[1]", spec=GPU_A100_80GB, parent="box.n"),
        Device(path="box.n.g[2]", spec=GPU_A100_80GB, parent="box.n"),
        Device(path="box.n.g[3]", spec=GPU_A100_80GB, parent="box.n"),
    ),
    links=(
        Link(
            path="box.n.nv",
            spec=LINK_NVLINK3,
            endpoints=("box.n.g[0]", "box.n.g[1]", "box.n.g[2]", "box.n.g[3]"),
            parent="box.n",
        ),
    ),
    memories=(),
)

# profile `llama7b_a100`  specs/measured_profile.hermes:21
PROFILE_LLAMA7B_A100 = Profile(
    name="llama7b_a100",
    device=GPU_A100_80GB,
    model="Llama2_7B",
    path=data_file("profiles/vidur/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv", SPEC),
    format="vidur",
    span=at("specs/measured_profile.hermes", 21, 9),
)

# pipeline `serve`  specs/measured_profile.hermes:28
PIPELINE_SERVE = Pipeline(
    name="serve",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="Llama2_7B",
            devices=("box.n.g[0]", "box.n.g[1]", "box.n.g[2]", "box.n.g[3]"),
            batching=Batching(policy="continuous", max_batch=64),
            span=at("specs/measured_profile.hermes", 29, 3),
        ),
    ),
    edges=(),
    routes=(
        Route(stage="llm", policy="least_loaded", span=at("specs/measured_profile.hermes", 30, 3)),
    ),
    span=at("specs/measured_profile.hermes", 28, 10),
)

# workload `chat`  specs/measured_profile.hermes:33
WORKLOAD_CHAT = Workload(
    name="chat",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 8.0),),
        span=at("specs/measured_profile.hermes", 34, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 1024.0), ("std", 256.0), ("min", 64.0), ("max", 3072.0)),
        span=at("specs/measured_profile.hermes", 35, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 256.0), ("std", 64.0), ("min", 8.0), ("max", 1024.0)),
        span=at("specs/measured_profile.hermes", 36, 14),
    ),
    requests=2000,
    span=at("specs/measured_profile.hermes", 33, 10),
)

# experiment `main`  specs/measured_profile.hermes:40
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="serve",
    workload="chat",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=0.3),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.03),
    ),
    sweeps=(Sweep(param="rate", values=(8.0, 16.0, 32.0)),),
    report=("ttft.p50", "ttft.p99", "tpot.p90", "e2e.p99", "throughput", "goodput"),
    seed=7,
)

# workload `chat`  specs/measured_profile.hermes:33
WORKLOAD_CHAT_2 = Workload(
    name="chat",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 16.0),),
        span=at("specs/measured_profile.hermes", 34, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 1024.0), ("std", 256.0), ("min", 64.0), ("max", 3072.0)),
        span=at("specs/measured_profile.hermes", 35, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 256.0), ("std", 64.0), ("min", 8.0), ("max", 1024.0)),
        span=at("specs/measured_profile.hermes", 36, 14),
    ),
    requests=2000,
    span=at("specs/measured_profile.hermes", 33, 10),
)

# workload `chat`  specs/measured_profile.hermes:33
WORKLOAD_CHAT_3 = Workload(
    name="chat",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 32.0),),
        span=at("specs/measured_profile.hermes", 34, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 1024.0), ("std", 256.0), ("min", 64.0), ("max", 3072.0)),
        span=at("specs/measured_profile.hermes", 35, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 256.0), ("std", 64.0), ("min", 8.0), ("max", 1024.0)),
        span=at("specs/measured_profile.hermes", 36, 14),
    ),
    requests=2000,
    span=at("specs/measured_profile.hermes", 33, 10),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(("rate", 8.0),),
        program=Program(
            file="specs/measured_profile.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=8.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA2_7B,),
            platforms=(HARDWARE_BOX,),
            pipelines=(PIPELINE_SERVE,),
            workloads=(WORKLOAD_CHAT,),
            experiments=(EXPERIMENT_MAIN,),
            profiles=(PROFILE_LLAMA7B_A100,),
        ),
    ),
    Point(
        experiment="main",
        swept=(("rate", 16.0),),
        program=Program(
            file="specs/measured_profile.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=16.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA2_7B,),
            platforms=(HARDWARE_BOX,),
            pipelines=(PIPELINE_SERVE,),
            workloads=(WORKLOAD_CHAT_2,),
            experiments=(EXPERIMENT_MAIN,),
            profiles=(PROFILE_LLAMA7B_A100,),
        ),
    ),
    Point(
        experiment="main",
        swept=(("rate", 32.0),),
        program=Program(
            file="specs/measured_profile.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=32.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA2_7B,),
            platforms=(HARDWARE_BOX,),
            pipelines=(PIPELINE_SERVE,),
            workloads=(WORKLOAD_CHAT_3,),
            experiments=(EXPERIMENT_MAIN,),
            profiles=(PROFILE_LLAMA7B_A100,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
