"""Simulation of "specs/imports_and_parts.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/imports_and_parts.hermes"
SPEC_SHA256 = "0bfb6ac5aa0ea4029c8ad773c7df6a07942d718ec360125ec105aca5a06ed593"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `lab.fast[0].g[0]`  specs/lib/parts.hermes:12
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

# cpu `SapphireRapids_8480`, as `lab.fast[0].c`  specs/lib/parts.hermes:13
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

# gpu `H100_Capped`, as `lab.capped.g[0]`  specs/imports_and_parts.hermes:14
GPU_H100_CAPPED = DeviceSpec(
    type_name="H100_Capped",
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
    tdp=500.0,
    idle_power=70.0,
    interconnect=450e9,
    vendor="NVIDIA",
)

# gpu `nvidia.A100_80GB`, as `lab.old.g[0]`  specs/imports_and_parts.hermes:16
GPU_NVIDIA_A100_80GB = DeviceSpec(
    type_name="nvidia.A100_80GB",
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

# link `NVLink4`, as `lab.fast[0].nv`  specs/lib/parts.hermes:14
LINK_NVLINK4 = LinkSpec(type_name="NVLink4", bandwidth=450e9, latency=2e-6, efficiency=0.65)

# link `PCIe5_x16`, as `lab.fast[0].pcie`  specs/lib/parts.hermes:15
LINK_PCIE5_X16 = LinkSpec(type_name="PCIe5_x16", bandwidth=63e9, latency=2e-6, efficiency=0.8)

# link `PCIe4_x16`, as `lab.old.pcie`  specs/imports_and_parts.hermes:17
LINK_PCIE4_X16 = LinkSpec(type_name="PCIe4_x16", bandwidth=31.5e9, latency=2e-6, efficiency=0.8)

# link `IB`, as `lab.net`  specs/imports_and_parts.hermes:19
LINK_IB = LinkSpec(type_name="IB", bandwidth=50e9, latency=20e-6, efficiency=0.9)

# model `L8`  stdlib/std/models/llama.hermes:68
MODEL_L8 = ModelSpec(
    name="L8",
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

# hardware `lab`  specs/imports_and_parts.hermes:12
HARDWARE_LAB = Platform(
    name="lab",
    groups=(
        Group(
            path="lab.fast[0]",
            kind="node",
            children=(
                "lab.fast[0].g[0]",
                "lab.fast[0].g[1]",
                "lab.fast[0].g[2]",
                "lab.fast[0].g[3]",
                "lab.fast[0].g[4]",
                "lab.fast[0].g[5]",
                "lab.fast[0].g[6]",
                "lab.fast[0].g[7]",
                "lab.fast[0].c",
                "lab.fast[0].nv",
                "lab.fast[0].pcie",
            ),
            parent="lab",
        ),
        Group(
            path="lab.fast[1]",
            kind="node",
            children=(
                "lab.fast[1].g[0]",
                "lab.fast[1].g[1]",
                "lab.fast[1].g[2]",
                "lab.fast[1].g[3]",
                "lab.fast[1].g[4]",
                "lab.fast[1].g[5]",
                "lab.fast[1].g[6]",
                "lab.fast[1].g[7]",
                "lab.fast[1].c",
                "lab.fast[1].nv",
                "lab.fast[1].pcie",
            ),
            parent="lab",
        ),
        Group(
            path="lab.capped",
            kind="node",
            children=(
                "lab.capped.g[0]",
                "lab.capped.g[1]",
                "lab.capped.g[2]",
                "lab.capped.g[3]",
                "lab.capped.g[4]",
                "lab.capped.g[5]",
                "lab.capped.g[6]",
                "lab.capped.g[7]",
                "lab.capped.c",
                "lab.capped.nv",
                "lab.capped.pcie",
            ),
            parent="lab",
        ),
        Group(
            path="lab.old",
            kind="node",
            children=(
                "lab.old.g[0]",
                "lab.old.g[1]",
                "lab.old.g[2]",
                "lab.old.g[3]",
                "lab.old.pcie",
            ),
            parent="lab",
        ),
        Group(
            path="lab",
            kind="hardware",
            children=("lab.fast[0]", "lab.fast[1]", "lab.capped", "lab.old", "lab.net"),
            parent="",
        ),
    ),
    devices=(
        Device(path="lab.fast[0].g[0]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[1]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[2]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[3]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[4]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[5]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[6]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].g[7]", spec=GPU_H100_SXM, parent="lab.fast[0]"),
        Device(path="lab.fast[0].c", spec=CPU_SAPPHIRERAPIDS_8480, parent="lab.fast[0]"),
        Device(path="lab.fast[1].g[0]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[1]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[2]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[3]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[4]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[5]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[6]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].g[7]", spec=GPU_H100_SXM, parent="lab.fast[1]"),
        Device(path="lab.fast[1].c", spec=CPU_SAPPHIRERAPIDS_8480, parent="lab.fast[1]"),
        Device(path="lab.capped.g[0]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[1]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[2]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[3]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[4]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[5]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[6]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.g[7]", spec=GPU_H100_CAPPED, parent="lab.capped"),
        Device(path="lab.capped.c", spec=CPU_SAPPHIRERAPIDS_8480, parent="lab.capped"),
        Device(path="lab.old.g[0]", spec=GPU_NVIDIA_A100_80GB, parent="lab.old"),
        Device(path="lab.old.g[1]", spec=GPU_NVIDIA_A100_80GB, parent="lab.old"),
        Device(path="lab.old.g[2]", spec=GPU_NVIDIA_A100_80GB, parent="lab.old"),
        Device(path="lab.old.g[3]", spec=GPU_NVIDIA_A100_80GB, parent="lab.old"),
    ),
    links=(
        Link(
            path="lab.fast[0].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "lab.fast[0].g[0]",
                "lab.fast[0].g[1]",
                "lab.fast[0].g[2]",
                "lab.fast[0].g[3]",
                "lab.fast[0].g[4]",
                "lab.fast[0].g[5]",
                "lab.fast[0].g[6]",
                "lab.fast[0].g[7]",
            ),
            parent="lab.fast[0]",
        ),
        Link(
            path="lab.fast[0].pcie",
            spec=LINK_PCIE5_X16,
            endpoints=(
                "lab.fast[0].c",
                "lab.fast[0].g[0]",
                "lab.fast[0].g[1]",
                "lab.fast[0].g[2]",
                "lab.fast[0].g[3]",
                "lab.fast[0].g[4]",
                "lab.fast[0].g[5]",
                "lab.fast[0].g[6]",
                "lab.fast[0].g[7]",
            ),
            parent="lab.fast[0]",
        ),
        Link(
            path="lab.fast[1].nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "lab.fast[1].g[0]",
                "lab.fast[1].g[1]",
                "lab.fast[1].g[2]",
                "lab.fast[1].g[3]",
                "lab.fast[1].g[4]",
                "lab.fast[1].g[5]",
                "lab.fast[1].g[6]",
                "lab.fast[1].g[7]",
            ),
            parent="lab.fast[1]",
        ),
        Link(
            path="lab.fast[1].pcie",
            spec=LINK_PCIE5_X16,
            endpoints=(
                "lab.fast[1].c",
                "lab.fast[1].g[0]",
                "lab.fast[1].g[1]",
                "lab.fast[1].g[2]",
                "lab.fast[1].g[3]",
                "lab.fast[1].g[4]",
                "lab.fast[1].g[5]",
                "lab.fast[1].g[6]",
                "lab.fast[1].g[7]",
            ),
            parent="lab.fast[1]",
        ),
        Link(
            path="lab.capped.nv",
            spec=LINK_NVLINK4,
            endpoints=(
                "lab.capped.g[0]",
                "lab.capped.g[1]",
                "lab.capped.g[2]",
                "lab.capped.g[3]",
                "lab.capped.g[4]",
                "lab.capped.g[5]",
                "lab.capped.g[6]",
                "lab.capped.g[7]",
            ),
            parent="lab.capped",
        ),
        Link(
            path="lab.capped.pcie",
            spec=LINK_PCIE5_X16,
            endpoints=(
                "lab.capped.c",
                "lab.capped.g[0]",
                "lab.capped.g[1]",
                "lab.capped.g[2]",
                "lab.capped.g[3]",
                "lab.capped.g[4]",
                "lab.capped.g[5]",
                "lab.capped.g[6]",
                "lab.capped.g[7]",
            ),
            parent="lab.capped",
        ),
        Link(
            path="lab.old.pcie",
            spec=LINK_PCIE4_X16,
            endpoints=("lab.old.g[0]", "lab.old.g[1]", "lab.old.g[2]", "lab.old.g[3]"),
            parent="lab.old",
        ),
        Link(
            path="lab.net",
            spec=LINK_IB,
            endpoints=("lab.fast[0]", "lab.fast[1]", "lab.capped", "lab.old"),
            parent="lab",
        ),
    ),
    memories=(),
)

# pipeline `serve`  specs/imports_and_parts.hermes:22
PIPELINE_SERVE = Pipeline(
    name="serve",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="L8",
            devices=(
                "lab.fast[0].g[0]",
                "lab.fast[0].g[1]",
                "lab.fast[0].g[2]",
                "lab.fast[0].g[3]",
                "lab.fast[0].g[4]",
                "lab.fast[0].g[5]",
                "lab.fast[0].g[6]",
                "lab.fast[0].g[7]",
                "lab.fast[1].g[0]",
                "lab.fast[1].g[1]",
                "lab.fast[1].g[2]",
                "lab.fast[1].g[3]",
                "lab.fast[1].g[4]",
                "lab.fast[1].g[5]",
                "lab.fast[1].g[6]",
                "lab.fast[1].g[7]",
                "lab.capped.g[0]",
                "lab.capped.g[1]",
                "lab.capped.g[2]",
                "lab.capped.g[3]",
                "lab.capped.g[4]",
                "lab.capped.g[5]",
                "lab.capped.g[6]",
                "lab.capped.g[7]",
            ),
            tp=2,
            batching=Batching(policy="continuous"),
            span=at("specs/imports_and_parts.hermes", 23, 3),
        ),
    ),
    edges=(),
    routes=(),
    span=at("specs/imports_and_parts.hermes", 22, 10),
)

# pipeline `legacy`  specs/imports_and_parts.hermes:26
PIPELINE_LEGACY = Pipeline(
    name="legacy",
    stages=(
        Stage(
            name="llm",
            kind="generate",
            model="L8",
            devices=("lab.old.g[0]", "lab.old.g[1]", "lab.old.g[2]", "lab.old.g[3]"),
            tp=4,
            batching=Batching(policy="continuous"),
            span=at("specs/imports_and_parts.hermes", 27, 3),
        ),
    ),
    edges=(),
    routes=(),
    span=at("specs/imports_and_parts.hermes", 26, 10),
)

# workload `w`  specs/imports_and_parts.hermes:30
WORKLOAD_W = Workload(
    name="w",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 6.0),),
        span=at("specs/imports_and_parts.hermes", 31, 14),
    ),
    prompt=Distribution(
        kind="uniform",
        params=(("min", 128.0), ("max", 2048.0)),
        span=at("specs/imports_and_parts.hermes", 32, 14),
    ),
    output=Distribution(
        kind="uniform",
        params=(("min", 16.0), ("max", 256.0)),
        span=at("specs/imports_and_parts.hermes", 33, 14),
    ),
    span=at("specs/imports_and_parts.hermes", 30, 10),
)

# experiment `main`  specs/imports_and_parts.hermes:37
EXPERIMENT_MAIN = Experiment(
    name="main",
    pipeline="serve",
    workload="w",
    report=("ttft.p50", "tpot.p50", "e2e.p90", "energy"),
)

# experiment `old_nodes`  specs/imports_and_parts.hermes:42
EXPERIMENT_OLD_NODES = Experiment(
    name="old_nodes",
    pipeline="legacy",
    workload="w",
    report=("ttft.p50", "tpot.p50", "e2e.p90", "energy"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="main",
        swept=(),
        program=Program(
            file="specs/imports_and_parts.hermes",
            params=(ParamValue(name="requests", type="int", value=1000),),
            models=(MODEL_L8,),
            platforms=(HARDWARE_LAB,),
            pipelines=(PIPELINE_SERVE, PIPELINE_LEGACY),
            workloads=(WORKLOAD_W,),
            experiments=(EXPERIMENT_MAIN, EXPERIMENT_OLD_NODES),
        ),
    ),
    Point(
        experiment="old_nodes",
        swept=(),
        program=Program(
            file="specs/imports_and_parts.hermes",
            params=(ParamValue(name="requests", type="int", value=1000),),
            models=(MODEL_L8,),
            platforms=(HARDWARE_LAB,),
            pipelines=(PIPELINE_SERVE, PIPELINE_LEGACY),
            workloads=(WORKLOAD_W,),
            experiments=(EXPERIMENT_MAIN, EXPERIMENT_OLD_NODES),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
