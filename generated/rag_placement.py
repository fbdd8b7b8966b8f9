"""Simulation of "specs/rag_placement.hermes", compiled by hermes "0.1.0".

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

SPEC = "specs/rag_placement.hermes"
SPEC_SHA256 = "7486e8c8bf2badcbe8cf38b92b6e7e5fcbe03fd00c414451eb3aedb714c13999"
COMPILER = "0.1.0"


def at(file: str, line: int, col: int) -> Span:
    """A place in the spec: errors raised while running a block are reported there."""
    return Span(file, 0, 0, line, col, line, col)


# gpu `H100_SXM`, as `server.llm_gpu`  specs/rag_placement.hermes:16
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

# gpu `A100_80GB`, as `server.embed_gpu`  specs/rag_placement.hermes:17
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

# cpu `Grace`, as `server.grace`  specs/rag_placement.hermes:18
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

# cpu `SapphireRapids_8480`, as `server.spr`  specs/rag_placement.hermes:19
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

# link `HermesCPUGPU`, as `server.pcie`  specs/rag_placement.hermes:20
LINK_HERMESCPUGPU = LinkSpec(type_name="HermesCPUGPU", bandwidth=32e9, latency=2e-6, efficiency=0.8)

# model `E5_Base`  stdlib/std/models/embed.hermes:6
MODEL_E5_BASE = ModelSpec(
    name="E5_Base",
    kind="encoder",
    layers=12,
    hidden=768,
    heads=12,
    kv_heads=12,
    head_dim=64,
    ffn=3072,
    vocab=30522,
    gated_mlp=False,
    dtype="fp16",
    kv_dtype="fp16",
    max_context=512,
    span=at("stdlib/std/models/embed.hermes", 6, 7),
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

# model `E5_Mistral_7B`  stdlib/std/models/embed.hermes:28
MODEL_E5_MISTRAL_7B = ModelSpec(
    name="E5_Mistral_7B",
    kind="encoder",
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=8,
    head_dim=128,
    ffn=14336,
    vocab=32000,
    dtype="fp16",
    kv_dtype="fp16",
    span=at("stdlib/std/models/embed.hermes", 28, 7),
)

# hardware `server`  specs/rag_placement.hermes:15
HARDWARE_SERVER = Platform(
    name="server",
    groups=(
        Group(
            path="server",
            kind="hardware",
            children=(
                "server.llm_gpu",
                "server.embed_gpu",
                "server.grace",
                "server.spr",
                "server.pcie",
            ),
            parent="",
        ),
    ),
    devices=(
        Device(path="server.llm_gpu", spec=GPU_H100_SXM, parent="server"),
        Device(path="server.embed_gpu", spec=GPU_A100_80GB, parent="server"),
        Device(path="server.grace", spec=CPU_GRACE, parent="server"),
        Device(path="server.spr", spec=CPU_SAPPHIRERAPIDS_8480, parent="server"),
    ),
    links=(
        Link(
            path="server.pcie",
            spec=LINK_HERMESCPUGPU,
            endpoints=("server.grace", "server.spr", "server.llm_gpu", "server.embed_gpu"),
            parent="server",
        ),
    ),
    memories=(),
)

# shared by several blocks below
VALUES = (
    ("batch", 1),
    ("centroids", 4000000),
    ("code_bytes", 64.0),
    ("dim", 768),
    ("doc_tokens", 512.0),
    ("docs", 20),
    ("points_per_probe", 5000),
    ("probes", 50),
)

# pipeline `rag_grace`  specs/rag_placement.hermes:23
PIPELINE_RAG_GRACE = Pipeline(
    name="rag_grace",
    stages=(
        Stage(
            name="embed",
            kind="embed",
            model="E5_Base",
            devices=("server.grace",),
            options=(("batch", 1),),
            span=at("specs/rag_placement.hermes", 24, 3),
        ),
        Stage(
            name="retrieve",
            kind="ivfpq",
            model=None,
            devices=("server.grace",),
            options=VALUES,
            span=at("specs/rag_placement.hermes", 25, 3),
        ),
        Stage(
            name="llm",
            kind="generate",
            model="Llama3_1_8B",
            devices=("server.llm_gpu",),
            batching=Batching(policy="continuous"),
            span=at("specs/rag_placement.hermes", 26, 3),
        ),
    ),
    edges=(Edge(source="embed", target="retrieve"), Edge(source="retrieve", target="llm")),
    routes=(),
    span=at("specs/rag_placement.hermes", 23, 10),
)

# pipeline `rag_spr`  specs/rag_placement.hermes:30
PIPELINE_RAG_SPR = Pipeline(
    name="rag_spr",
    stages=(
        Stage(
            name="embed",
            kind="embed",
            model="E5_Base",
            devices=("server.spr",),
            options=(("batch", 1),),
            span=at("specs/rag_placement.hermes", 31, 3),
        ),
        Stage(
            name="retrieve",
            kind="ivfpq",
            model=None,
            devices=("server.spr",),
            options=VALUES,
            span=at("specs/rag_placement.hermes", 32, 3),
        ),
        Stage(
            name="llm",
            kind="generate",
            model="Llama3_1_8B",
            devices=("server.llm_gpu",),
            batching=Batching(policy="continuous"),
            span=at("specs/rag_placement.hermes", 33, 3),
        ),
    ),
    edges=(Edge(source="embed", target="retrieve"), Edge(source="retrieve", target="llm")),
    routes=(),
    span=at("specs/rag_placement.hermes", 30, 10),
)

# pipeline `rag_big_embedder_gpu`  specs/rag_placement.hermes:37
PIPELINE_RAG_BIG_EMBEDDER_GPU = Pipeline(
    name="rag_big_embedder_gpu",
    stages=(
        Stage(
            name="embed",
            kind="embed",
            model="E5_Mistral_7B",
            devices=("server.embed_gpu",),
            options=(("batch", 1),),
            span=at("specs/rag_placement.hermes", 38, 3),
        ),
        Stage(
            name="retrieve",
            kind="ivfpq",
            model=None,
            devices=("server.grace",),
            options=VALUES,
            span=at("specs/rag_placement.hermes", 39, 3),
        ),
        Stage(
            name="llm",
            kind="generate",
            model="Llama3_1_8B",
            devices=("server.llm_gpu",),
            batching=Batching(policy="continuous"),
            span=at("specs/rag_placement.hermes", 40, 3),
        ),
    ),
    edges=(Edge(source="embed", target="retrieve"), Edge(source="retrieve", target="llm")),
    routes=(),
    span=at("specs/rag_placement.hermes", 37, 10),
)

# workload `questions`  specs/rag_placement.hermes:44
WORKLOAD_QUESTIONS = Workload(
    name="questions",
    arrival=Distribution(
        kind="poisson",
        params=(("rate", 2.0),),
        span=at("specs/rag_placement.hermes", 45, 14),
    ),
    prompt=Distribution(
        kind="normal",
        params=(("mean", 128.0), ("std", 32.0), ("min", 16.0), ("max", 512.0)),
        span=at("specs/rag_placement.hermes", 46, 14),
    ),
    output=Distribution(
        kind="normal",
        params=(("mean", 256.0), ("std", 64.0), ("min", 16.0), ("max", 1024.0)),
        span=at("specs/rag_placement.hermes", 47, 14),
    ),
    span=at("specs/rag_placement.hermes", 44, 10),
)

# experiment `grace`  specs/rag_placement.hermes:51
EXPERIMENT_GRACE = Experiment(
    name="grace",
    pipeline="rag_grace",
    workload="questions",
    report=("e2e.p50", "stage.embed.p50", "stage.retrieve.p50", "stage.llm.p50"),
)

# experiment `spr`  specs/rag_placement.hermes:52
EXPERIMENT_SPR = Experiment(
    name="spr",
    pipeline="rag_spr",
    workload="questions",
    report=("e2e.p50", "stage.embed.p50", "stage.retrieve.p50", "stage.llm.p50"),
)

# experiment `big_embedder`  specs/rag_placement.hermes:53
EXPERIMENT_BIG_EMBEDDER = Experiment(
    name="big_embedder",
    pipeline="rag_big_embedder_gpu",
    workload="questions",
    report=("e2e.p50", "stage.embed.p50", "stage.llm.p50"),
)

# Experiment points: one per experiment and combination of swept values.
POINTS = (
    Point(
        experiment="grace",
        swept=(),
        program=Program(
            file="specs/rag_placement.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=2.0),
                ParamValue(name="requests", type="int", value=1000),
            ),
            models=(MODEL_E5_BASE, MODEL_LLAMA3_1_8B, MODEL_E5_MISTRAL_7B),
            platforms=(HARDWARE_SERVER,),
            pipelines=(PIPELINE_RAG_GRACE, PIPELINE_RAG_SPR, PIPELINE_RAG_BIG_EMBEDDER_GPU),
            workloads=(WORKLOAD_QUESTIONS,),
            experiments=(EXPERIMENT_GRACE, EXPERIMENT_SPR, EXPERIMENT_BIG_EMBEDDER),
        ),
    ),
    Point(
        experiment="spr",
        swept=(),
        program=Program(
            file="specs/rag_placement.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=2.0),
                ParamValue(name="requests", type="int", value=1000),
            ),
            models=(MODEL_E5_BASE, MODEL_LLAMA3_1_8B, MODEL_E5_MISTRAL_7B),
            platforms=(HARDWARE_SERVER,),
            pipelines=(PIPELINE_RAG_GRACE, PIPELINE_RAG_SPR, PIPELINE_RAG_BIG_EMBEDDER_GPU),
            workloads=(WORKLOAD_QUESTIONS,),
            experiments=(EXPERIMENT_GRACE, EXPERIMENT_SPR, EXPERIMENT_BIG_EMBEDDER),
        ),
    ),
    Point(
        experiment="big_embedder",
        swept=(),
        program=Program(
            file="specs/rag_placement.hermes",
            params=(
                ParamValue(name="rate", type="rate", value=2.0),
                ParamValue(name="requests", type="int", value=1000),
            ),
            models=(MODEL_E5_BASE, MODEL_LLAMA3_1_8B, MODEL_E5_MISTRAL_7B),
            platforms=(HARDWARE_SERVER,),
            pipelines=(PIPELINE_RAG_GRACE, PIPELINE_RAG_SPR, PIPELINE_RAG_BIG_EMBEDDER_GPU),
            workloads=(WORKLOAD_QUESTIONS,),
            experiments=(EXPERIMENT_GRACE, EXPERIMENT_SPR, EXPERIMENT_BIG_EMBEDDER),
        ),
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(POINTS, SPEC, SPEC_SHA256))
