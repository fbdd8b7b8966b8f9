"""Simulation of "specs/hybrid_batching.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/hybrid_batching.hermes"
SPEC_SHA256 = "e6e552a70ae384b426f87364ff80482b5cbd1a1f40f8268466441a5ad4a3fbda"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `pod.n[0].g[0]`  specs/hybrid_batching.hermes:19
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

# link `NVLink4`, as `pod.n[0].nv`  specs/hybrid_batching.hermes:20
LINK_NVLINK4 = LinkSpec(type_name="NVLink4", bandwidth=450e9, latency=2e-6, efficiency=0.65)

# link `InterNode`, as `pod.ib`  specs/hybrid_batching.hermes:22
LINK_INTERNODE = LinkSpec(type_name="InterNode", bandwidth=50e9, latency=20e-6, efficiency=0.9)

# model `llama70`  specs/hybrid_batching.hermes:12
MODEL_LLAMA70 = ModelSpec(
    name="llama70",
    kind="decoder",
    layers=80,
    hidden=8192,
    heads=64,
    kv_heads=8,
    head_dim=128,
    ffn=28672,
    vocab=128256,
    dtype="fp8",
    max_context=131072,
    span=at("specs/hybrid_batching.hermes", 12, 7),
)

# hardware `pod`  specs/hybrid_batching.hermes:17
HARDWARE_POD = Platform(
    name="pod",
    groups=(
        Group(
            path="pod.n[0]",
            kind="node",
            children=(
                "pod.n[0].g[0]",
                "pod.n[0].g[1]",
                "pod.n[0].g[2]",
                "pod.n[0].g[3]",
                "pod.n[0].g[4]",
                "pod.n[0].g[5]",
                "pod.n[0].g[6]",
                "pod.n[0].g[7]",
                "pod.n[0].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[1]",
            kind="node",
            children=(
                "pod.n[1].g[0]",
                "pod.n[1].g[1]",
                "pod.n[1].g[2]",
                "pod.n[1].g[3]",
                "pod.n[1].g[4]",
                "pod.n[1].g[5]",
                "pod.n[1].g[6]",
                "pod.n[1].g[7]",
                "pod.n[1].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[2]",
            kind="node",
            children=(
                "pod.n[2].g[0]",
                "pod.n[2].g[1]",
                "pod.n[2].g[2]",
                "pod.n[2].g[3]",
                "pod.n[2].g[4]",
                "pod.n[2].g[5]",
                "pod.n[2].g[6]",
                "pod.n[2].g[7]",
                "pod.n[2].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[3]",
            kind="node",
            children=(
                "pod.n[3].g[0]",
                "pod.n[3].g[1]",
                "pod.n[3].g[2]",
                "pod.n[3].g[3]",
                "pod.n[3].g[4]",
                "pod.n[3].g[5]",
                "pod.n[3].g[6]",
                "pod.n[3].g[7]",
                "pod.n[3].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[4]",
            kind="node",
            children=(
                "pod.n[4].g[0]",
                "pod.n[4].g[1]",
                "pod.n[4].g[2]",
                "pod.n[4].g[3]",
                "pod.n[4].g[4]",
                "pod.n[4].g[5]",
                "pod.n[4].g[6]",
                "pod.n[4].g[7]",
                "pod.n[4].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[5]",
            kind="node",
            children=(
                "pod.n[5].g[0]",
                "pod.n[5].g[1]",
                "pod.n[5].g[2]",
                "pod.n[5].g[3]",
                "pod.n[5].g[4]",
                "pod.n[5].g[5]",
                "pod.n[5].g[6]",
                "pod.n[5].g[7]",
                "pod.n[5].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[6]",
            kind="node",
            children=(
                "pod.n[6].g[0]",
                "pod.n[6].g[1]",
                "pod.n[6].g[2]",
                "pod.n[6].g[3]",
                "pod.n[6].g[4]",
                "pod.n[6].g[5]",
                "pod.n[6].g[6]",
                "pod.n[6].g[7]",
                "pod.n[6].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod.n[7]",
            kind="node",
            children=(
                "pod.n[7].g[0]",
                "pod.n[7].g[1]",
                "pod.n[7].g[2]",
                "pod.n[7].g[3]",
                "pod.n[7].g[4]",
                "pod.n[7].g[5]",
                "pod.n[7].g[6]",
                "pod.n[7].g[7]",
                "pod.n[7].nv",
            ),
            parent="pod",
        ),
        Group(
            path="pod",
            kind="hardware",
            children=(
                "pod.n[0]",
                "pod.n[1]",
                "pod.n[2]",
                "pod.n[3]",
                "pod.n[4]",
                "pod.n[5]",
                "pod.n[6]",
                "pod.n[7]",
                "pod.ib",
            ),
            parent="",
        ),
    ),
    devices=(
        Device(path="pod.n[0].g[0]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[1]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[2]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[3]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[4]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[5]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[6]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[0].g[7]", spec=GPU_H100_SXM, parent="pod.n[0]"),
        Device(path="pod.n[1].g[0]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[1]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[2]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[3]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[4]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[5]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[6]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[1].g[7]", spec=GPU_H100_SXM, parent="pod.n[1]"),
        Device(path="pod.n[2].g[0]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[1]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[2]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[3]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[4]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[5]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[6]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[2].g[7]", spec=GPU_H100_SXM, parent="pod.n[2]"),
        Device(path="pod.n[3].g[0]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[1]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[2]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[3]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[4]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[5]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[6]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[3].g[7]", spec=GPU_H100_SXM, parent="pod.n[3]"),
        Device(path="pod.n[4].g[0]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[1]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[2]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[3]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[4]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[5]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[6]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[4].g[7]", spec=GPU_H100_SXM, parent="pod.n[4]"),
        Device(path="pod.n[5].g[0]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[1]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[2]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[3]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[4]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[5]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[6]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[5].g[7]", spec=GPU_H100_SXM, parent="pod.n[5]"),
        Device(path="pod.n[6].g[0]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[1]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[2]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[3]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[4]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[5]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[6]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[6].g[7]", spec=GPU_H100_SXM, parent="pod.n[6]"),
        Device(path="pod.n[7].g[0]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[1]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[2]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[3]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[4]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[5]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[6]", spec=GPU_H100_SXM, parent="pod.n[7]"),
        Device(path="pod.n[7].g[7]", spec=GPU_H100_SXM, parent="pod.n[7]"),
    ),
    links=(
        Link(
            path="pod.n[0].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[0].g[0]",
                "pod.n[0].g[1]",
                "pod.n[0].g[2]",
                "pod.n[0].g[3]",
                "pod.n[0].g[4]",
                "pod.n[0].g[5]",
                "pod.n[0].g[6]",
                "pod.n[0].g[7]",
            ),
            parent="pod.n[0]",
        ),
        Link(
            path="pod.n[1].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[1].g[0]",
                "pod.n[1].g[1]",
                "pod.n[1].g[2]",
                "pod.n[1].g[3]",
                "pod.n[1].g[4]",
                "pod.n[1].g[5]",
                "pod.n[1].g[6]",
                "pod.n[1].g[7]",
            ),
            parent="pod.n[1]",
        ),
        Link(
            path="pod.n[2].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[2].g[0]",
                "pod.n[2].g[1]",
                "pod.n[2].g[2]",
                "pod.n[2].g[3]",
                "pod.n[2].g[4]",
                "pod.n[2].g[5]",
                "pod.n[2].g[6]",
                "pod.n[2].g[7]",
            ),
            parent="pod.n[2]",
        ),
        Link(
            path="pod.n[3].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[3].g[0]",
                "pod.n[3].g[1]",
                "pod.n[3].g[2]",
                "pod.n[3].g[3]",
                "pod.n[3].g[4]",
                "pod.n[3].g[5]",
                "pod.n[3].g[6]",
                "pod.n[3].g[7]",
            ),
            parent="pod.n[3]",
        ),
        Link(
            path="pod.n[4].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[4].g[0]",
                "pod.n[4].g[1]",
                "pod.n[4].g[2]",
                "pod.n[4].g[3]",
                "pod.n[4].g[4]",
                "pod.n[4].g[5]",
                "pod.n[4].g[6]",
                "pod.n[4].g[7]",
            ),
            parent="pod.n[4]",
        ),
        Link(
            path="pod.n[5].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[5].g[0]",
                "pod.n[5].g[1]",
                "pod.n[5].g[2]",
                "pod.n[5].g[3]",
                "pod.n[5].g[4]",
                "pod.n[5].g[5]",
                "pod.n[5].g[6]",
                "pod.n[5].g[7]",
            ),
            parent="pod.n[5]",
        ),
        Link(
            path="pod.n[6].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[6].g[0]",
                "pod.n[6].g[1]",
                "pod.n[6].g[2]",
                "pod.n[6].g[3]",
                "pod.n[6].g[4]",
                "pod.n[6].g[5]",
                "pod.n[6].g[6]",
                "pod.n[6].g[7]",
            ),
            parent="pod.n[6]",
        ),
        Link(
            path="pod.n[7].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "pod.n[7].g[0]",
                "pod.n[7].g[1]",
                "pod.n[7].g[2]",
                "pod.n[7].g[3]",
                "pod.n[7].g[4]",
                "pod.n[7].g[5]",
                "pod.n[7].g[6]",
                "pod.n[7].g[7]",
            ),
            parent="pod.n[7]",
        ),
        Link(
            path="pod.ib",
            spec=LINK_INTERNODE,
            endpoints=(
                "pod.n[0]",
                "pod.n[1]",
                "pod.n[2]",
                "pod.n[3]",
                "pod.n[4]",
                "pod.n[5]",
                "pod.n[6]",
                "pod.n[7]",
            ),
            parent="pod",
        ),
    ),
    memories=(),
)

# shared by several blocks below
PATHS = (
    "pod.n[0].g[0]",
    "pod.n[0].g[1]",
    "pod.n[0].g[2]",
    "pod.n[0].g[3]",
    "pod.n[0].g[4]",
    "pod.n[0].g[5]",
    "pod.n[0].g[6]",
    "pod.n[0].g[7]",
    "pod.n[1].g[0]",
    "pod.n[1].g[1]",
    "pod.n[1].g[2]",
    "pod.n[1].g[3]",
    "pod.n[1].g[4]",
    "pod.n[1].g[5]",
    "pod.n[1].g[6]",
    "pod.n[1].g[7]",
    "pod.n[2].g[0]",
    "pod.n[2].g[1]",
    "pod.n[2].g[2]",
    "pod.n[2].g[3]",
    "pod.n[2].g[4]",
    "pod.n[2].g[5]",
    "pod.n[2].g[6]",
    "pod.n[2].g[7]",
    "pod.n[3].g[0]",
    "pod.n[3].g[1]",
    "pod.n[3].g[2]",
    "pod.n[3].g[3]",
    "pod.n[3].g[4]",
    "pod.n[3].g[5]",
    "pod.n[3].g[6]",
    "pod.n[3].g[7]",
    "pod.n[4].g[0]",
    "pod.n[4].g[1]",
    "pod.n[4].g[2]",
    "pod.n[4].g[3]",
    "pod.n[4].g[4]",
    "pod.n[4].g[5]",
    "pod.n[4].g[6]",
    "pod.n[4].g[7]",
    "pod.n[5].g[0]",
    "pod.n[5].g[1]",
    "pod.n[5].g[2]",
    "pod.n[5].g[3]",
    "pod.n[5].g[4]",
    "pod.n[5].g[5]",
    "pod.n[5].g[6]",
    "pod.n[5].g[7]",
    "pod.n[6].g[0]",
    "pod.n[6].g[1]",
    "pod.n[6].g[2]",
    "pod.n[6].g[3]",
    "pod.n[6].g[4]",
    "pod.n[6].g[5]",
    "pod.n[6].g[6]",
    "pod.n[6].g[7]",
    "pod.n[7].g[0]",
    "pod.n[7].g[1]",
    "pod.n[7].g[2]",
    "pod.n[7].g[3]",
    "pod.n[7].g[4]",
    "pod.n[7].g[5]",
    "pod.n[7].g[6]",
    "pod.n[7].g[7]",
)

# pipeline `continuous_p`  specs/hybrid_batching.hermes:25
PIPELINE_CONTINUOUS_P = Pipeline(
    name="continuous_p",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="llama70",
            devices=PATHS,
            tp=2,
            batching=Batching(policy="continuous", max_batch=128),
            span=at("specs/hybrid_batching.hermes", 26, 3),
        ),
    ),
    edges=(),
    routes=(
        Route(stage="llm", policy="round_robin", span=at("specs/hybrid_batching.hermes", 27, 3)),
    ),
    span=at("specs/hybrid_batching.hermes", 25, 10),
)

# pipeline `chunked_p`  specs/hybrid_batching.hermes:30
PIPELINE_CHUNKED_P = Pipeline(
    name="chunked_p",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="llama70",
            devices=PATHS,
            tp=2,
            batching=Batching(policy="chunked", max_tokens=2048, packing="least_work_left"),
            span=at("specs/hybrid_batching.hermes", 31, 3),
        ),
    ),
    edges=(),
    routes=(
        Route(stage="llm", policy="least_loaded", span=at("specs/hybrid_batching.hermes", 32, 3)),
    ),
    span=at("specs/hybrid_batching.hermes", 30, 10),
)

# pipeline `p16d16`  specs/hybrid_batching.hermes:35
PIPELINE_P16D16 = Pipeline(
    name="p16d16",
    stages=(
        Stage(
            name="prefill",
            kind="prefill",
            model="llama70",
            devices=(
                "pod.n[0].g[0]",
                "pod.n[0].g[1]",
                "pod.n[0].g[2]",
                "pod.n[0].g[3]",
                "pod.n[0].g[4]",
                "pod.n[0].g[5]",
                "pod.n[0].g[6]",
                "pod.n[0].g[7]",
                "pod.n[1].g[0]",
                "pod.n[1].g[1]",
                "pod.n[1].g[2]",
                "pod.n[1].g[3]",
                "pod.n[1].g[4]",
                "pod.n[1].g[5]",
                "pod.n[1].g[6]",
                "pod.n[1].g[7]",
                "pod.n[2].g[0]",
                "pod.n[2].g[1]",
                "pod.n[2].g[2]",
                "pod.n[2].g[3]",
                "pod.n[2].g[4]",
                "pod.n[2].g[5]",
                "pod.n[2].g[6]",
                "pod.n[2].g[7]",
                "pod.n[3].g[0]",
                "pod.n[3].g[1]",
                "pod.n[3].g[2]",
                "pod.n[3].g[3]",
                "pod.n[3].g[4]",
                "pod.n[3].g[5]",
                "pod.n[3].g[6]",
                "pod.n[3].g[7]",
            ),
            tp=2,
            batching=Batching(policy="chunked"),
            span=at("specs/hybrid_batching.hermes", 36, 3),
        ),
        Stage(
            name="decode",
            kind="decode",
            model="llama70",
            devices=(
                "pod.n[4].g[0]",
                "pod.n[4].g[1]",
                "pod.n[4].g[2]",
                "pod.n[4].g[3]",
                "pod.n[4].g[4]",
                "pod.n[4].g[5]",
                "pod.n[4].g[6]",
                "pod.n[4].g[7]",
                "pod.n[5].g[0]",
                "pod.n[5].g[1]",
                "pod.n[5].g[2]",
                "pod.n[5].g[3]",
                "pod.n[5].g[4]",
                "pod.n[5].g[5]",
                "pod.n[5].g[6]",
                "pod.n[5].g[7]",
                "pod.n[6].g[0]",
                "pod.n[6].g[1]",
                "pod.n[6].g[2]",
                "pod.n[6].g[3]",
                "pod.n[6].g[4]",
                "pod.n[6].g[5]",
                "pod.n[6].g[6]",
                "pod.n[6].g[7]",
                "pod.n[7].g[0]",
                "pod.n[7].g[1]",
                "pod.n[7].g[2]",
                "pod.n[7].g[3]",
                "pod.n[7].g[4]",
                "pod.n[7].g[5]",
                "pod.n[7].g[6]",
                "pod.n[7].g[7]",
            ),
            tp=2,
            batching=Batching(policy="continuous"),
            span=at("specs/hybrid_batching.hermes", 37, 3),
        ),
    ),
    edges=(Edge(source="prefill", target="decode"),),
    routes=(
        Route(
            stage="prefill",
            policy="least_loaded",
            span=at("specs/hybrid_batching.hermes", 38, 3),
        ),
        Route(
            stage="decode",
            policy="least_loaded",
            measure="kv",
            span=at("specs/hybrid_batching.hermes", 39, 3),
        ),
    ),
    span=at("specs/hybrid_batching.hermes", 35, 10),
)

# workload `conversation`  specs/hybrid_batching.hermes:43
WORKLOAD_CONVERSATION = Workload(
    name="conversation",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 16.0),),
        span=at("specs/hybrid_batching.hermes", 44, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 1155.0), ("std", 600.0), ("min", 16.0), ("max", 8192.0)),
        span=at("specs/hybrid_batching.hermes", 45, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 211.0), ("std", 120.0), ("min", 4.0), ("max", 1024.0)),
        span=at("specs/hybrid_batching.hermes", 46, 14),
    ),
    requests=2000,
    span=at("specs/hybrid_batching.hermes", 43, 10),
)

# experiment `continuous`  specs/hybrid_batching.hermes:50
EXPERIMENT_CONTINUOUS = Experiment(
    name="continuous",
    pipeline="continuous_p",
    workload="conversation",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=0.25),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.025),
    ),
    sweeps=(Sweep(param="rate", values=(16.0, 32.0, 64.0)),),
    report=("ttft.p90", "tpot.p90", "goodput"),
)

# experiment `chunked`  specs/hybrid_batching.hermes:51
EXPERIMENT_CHUNKED = Experiment(
    name="chunked",
    pipeline="chunked_p",
    workload="conversation",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=0.25),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.025),
    ),
    sweeps=(Sweep(param="rate", values=(16.0, 32.0, 64.0)),),
    report=("ttft.p90", "tpot.p90", "goodput"),
)

# experiment `disaggregated`  specs/hybrid_batching.hermes:52
EXPERIMENT_DISAGGREGATED = Experiment(
    name="disaggregated",
    pipeline="p16d16",
    workload="conversation",
    slo=(
        SloTerm(metric="ttft", statistic="p90", op="<", bound=0.25),
        SloTerm(metric="tpot", statistic="p90", op="<", bound=0.025),
    ),
    sweeps=(Sweep(param="rate", values=(16.0, 32.0, 64.0)),),
    report=("ttft.p90", "tpot.p90", "goodput"),
)

# workload `conversation`  specs/hybrid_batching.hermes:43
WORKLOAD_CONVERSATION_2 = Workload(
    name="conversation",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 32.0),),
        span=at("specs/hybrid_batching.hermes", 44, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 1155.0), ("std", 600.0), ("min", 16.0), ("max", 8192.0)),
        span=at("specs/hybrid_batching.hermes", 45, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 211.0), ("std", 120.0), ("min", 4.0), ("max", 1024.0)),
        span=at("specs/hybrid_batching.hermes", 46, 14),
    ),
    requests=2000,
    span=at("specs/hybrid_batching.hermes", 43, 10),
)

# workload `conversation`  specs/hybrid_batching.hermes:43
WORKLOAD_CONVERSATION_3 = Workload(
    name="conversation",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 64.0),),
        span=at("specs/hybrid_batching.hermes", 44, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 1155.0), ("std", 600.0), ("min", 16.0), ("max", 8192.0)),
        span=at("specs/hybrid_batching.hermes", 45, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 211.0), ("std", 120.0), ("min", 4.0), ("max", 1024.0)),
        span=at("specs/hybrid_batching.hermes", 46, 14),
    ),
    requests=2000,
    span=at("specs/hybrid_batching.hermes", 43, 10),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="continuous",
        swept=(("rate", 16.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=16.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="continuous",
        swept=(("rate", 32.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=32.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION_2,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="continuous",
        swept=(("rate", 64.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=64.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION_3,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="chunked",
        swept=(("rate", 16.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=16.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="chunked",
        swept=(("rate", 32.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=32.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION_2,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="chunked",
        swept=(("rate", 64.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=64.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION_3,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="disaggregated",
        swept=(("rate", 16.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=16.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="disaggregated",
        swept=(("rate", 32.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=32.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION_2,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
    Point(
        experiment="disaggregated",
        swept=(("rate", 64.0),),
        program=Program(
            file="specs/hybrid_batching.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=64.0),
                ParamValue(name="requests", type="int", value=2000),
            ),
            models=(MODEL_LLAMA70,),
            platforms=(HARDWARE_POD,),
            pipelines=(PIPELINE_CONTINUOUS_P, PIPELINE_CHUNKED_P, PIPELINE_P16D16),
            workloads=(WORKLOAD_CONVERSATION_3,),
            experiments=(EXPERIMENT_CONTINUOUS, EXPERIMENT_CHUNKED, EXPERIMENT_DISAGGREGATED),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
