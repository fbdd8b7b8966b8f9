"""Simulation of "specs/units_and_params.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/units_and_params.hermes"
SPEC_SHA256 = "a0a00ae11cc9008e2181d2b49f19590da5baf033d4d317520063c34140bcaa25"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `Custom`, as `rig.g[0]`  specs/units_and_params.hermes:28
GPU_CUSTOM = DeviceSpec(
    type_name="Custom",
    kind="gpu",
    memory=103079215104.0,
    mem_bandwidth=4e12,
    flops=(("bf16", 1e15), ("fp8", 2e15)),
    compute_units=128,
    tdp=700.0,
    idle_power=70.0,
)

# link `Fabric`, as `rig.f`  specs/units_and_params.hermes:29
LINK_FABRIC = LinkSpec(type_name="Fabric", bandwidth=50e9, latency=2e-6, efficiency=0.85)

# memory tier `Staging`, as `rig.buf`  specs/units_and_params.hermes:30
MEMORY_STAGING = MemorySpec(type_name="Staging", capacity=100e6, bandwidth=50e9, lookup=1e-6)

# model `Tiny`  specs/units_and_params.hermes:25
MODEL_TINY = ModelSpec(
    name="Tiny",
    kind="decoder",
    layers=4,
    hidden=512,
    heads=8,
    kv_heads=2,
    head_dim=64,
    ffn=1536,
    vocab=32000,
    span=at("specs/units_and_params.hermes", 25, 7),
)

# hardware `rig`  specs/units_and_params.hermes:27
HARDWARE_RIG = Platform(
    name="rig",
    groups=(
        Group(
            path="rig",
            kind="hardware",
            children=("rig.g[0]", "rig.g[1]", "rig.f", "rig.buf"),
            parent="",
        ),
    ),
    devices=(
        Device(path="rig.g[0]", spec=GPU_CUSTOM, parent="rig"),
        Device(path="rig.g[1]", spec=GPU_CUSTOM, parent="rig"),
    ),
    links=(Link(path="rig.f", spec=LINK_FABRIC, endpoints=("rig.g[0]", "rig.g[1]"), parent="rig"),),
    memories=(
        Memory(
            path="rig.buf",
            spec=MEMORY_STAGING,
            shared_by=("rig.g[0]", "rig.g[1]"),
            parent="rig",
        ),
    ),
)

# pipeline `p`  specs/units_and_params.hermes:33
PIPELINE_P = Pipeline(
    name="p",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="Tiny",
            devices=("rig.g[0]", "rig.g[1]"),
            batching=Batching(policy="continuous"),
            span=at("specs/units_and_params.hermes", 34, 3),
        ),
    ),
    edges=(),
    routes=(),
    span=at("specs/units_and_params.hermes", 33, 10),
)

# workload `w`  specs/units_and_params.hermes:37
WORKLOAD_W = Workload(
    name="w",
    arrival=Distribution(
        kind="uniform",
        params=(("rate", 20.0),),
        span=at("specs/units_and_params.hermes", 38, 14),
    ),
    prompt=Distribution(
        kind="fixed",
        params=(("value", 256.0),),
        span=at("specs/units_and_params.hermes", 39, 14),
    ),
    output=Distribution(
        kind="fixed",
        params=(("value", 32.0),),
        span=at("specs/units_and_params.hermes", 40, 14),
    ),
    requests=500,
    span=at("specs/units_and_params.hermes", 37, 10),
)

# experiment `main`  specs/units_and_params.hermes:44
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="p",
    workload="w",
    report=("ttft.mean", "tpot.mean"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/units_and_params.hermes",
            params=(
                ParamValue(name="link_speed", type="bandwidth", value=50e9),
                ParamValue(name="hbm", type="bytes", value=103079215104.0),
                ParamValue(name="window", type="time", value=0.002),
                ParamValue(name="requests", type="int", value=500),
            ),
            models=(MODEL_TINY,),
            platforms=(HARDWARE_RIG,),
            pipelines=(PIPELINE_P,),
            workloads=(WORKLOAD_W,),
            experiments=(EXPERIMENT_MAIN,),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
