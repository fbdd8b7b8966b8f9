"""What each kind of declaration may contain: field names, their types and defaults.

A schema is data, so the checker, the docs and ``hermes explain`` all read the same table.
Types: ("qty", dim) a quantity; "int"; "num" a plain number; "frac" in [0, 1]; "bool"; "str";
("enum", choices); "flops" a record mapping numeric types to FLOP/s.
"""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.ir.model import DTYPE_BYTES, MODEL_KINDS
from hermes_dsl.units import BANDWIDTH, BYTES, POWER, TIME


@dataclass(frozen=True, slots=True)
class FieldSpec:
    type: object
    required: bool = False
    default: object = None
    doc: str = ""


DTYPES = tuple(DTYPE_BYTES)

DEVICE_FIELDS: dict[str, FieldSpec] = {
    "vendor": FieldSpec("str", default=""),
    "memory": FieldSpec(("qty", BYTES), required=True, doc="device memory (HBM, or host DRAM)"),
    "mem_bandwidth": FieldSpec(("qty", BANDWIDTH), required=True, doc="memory bandwidth"),
    "flops": FieldSpec("flops", required=True, doc="dense peak FLOP/s per numeric type"),
    "compute_units": FieldSpec("int", default=1, doc="SMs, CUs or cores"),
    "compute_eff": FieldSpec("frac", default=0.75, doc="fraction of peak FLOP/s reached"),
    "memory_eff": FieldSpec("frac", default=0.85, doc="fraction of peak bandwidth reached"),
    "interconnect": FieldSpec(("qty", BANDWIDTH), default=0.0, doc="scale-up bandwidth"),
    "tdp": FieldSpec(("qty", POWER), default=0.0, doc="power at full load"),
    "idle_power": FieldSpec(("qty", POWER), default=0.0, doc="power when idle"),
}

LINK_FIELDS: dict[str, FieldSpec] = {
    "bandwidth": FieldSpec(("qty", BANDWIDTH), required=True, doc="per endpoint, per direction"),
    "latency": FieldSpec(("qty", TIME), default=0.0),
    "efficiency": FieldSpec("frac", default=1.0, doc="fraction of bandwidth achieved"),
}

MEMORY_FIELDS: dict[str, FieldSpec] = {
    "capacity": FieldSpec(("qty", BYTES), required=True),
    "bandwidth": FieldSpec(("qty", BANDWIDTH), required=True),
    "lookup": FieldSpec(("qty", TIME), default=0.0, doc="time to find an entry"),
    "tdp": FieldSpec(("qty", POWER), default=0.0),
    "idle_power": FieldSpec(("qty", POWER), default=0.0),
}

MODEL_FIELDS: dict[str, FieldSpec] = {
    "kind": FieldSpec(("enum", MODEL_KINDS), default="decoder"),
    "layers": FieldSpec("int", required=True),
    "hidden": FieldSpec("int", required=True),
    "heads": FieldSpec("int", required=True),
    "kv_heads": FieldSpec("int", doc="defaults to `heads` (no grouped-query attention)"),
    "head_dim": FieldSpec("int", doc="defaults to hidden / heads"),
    "ffn": FieldSpec("int", required=True),
    "vocab": FieldSpec("int", required=True),
    "experts": FieldSpec("int", default=0),
    "top_k": FieldSpec("int", default=0),
    "moe_ffn": FieldSpec("int", default=0),
    "shared_experts": FieldSpec("int", default=0),
    "dense_layers": FieldSpec("int", default=0),
    "kv_latent": FieldSpec("int", default=0),
    "gated_mlp": FieldSpec("bool", default=True),
    "tied_embeddings": FieldSpec("bool", default=False),
    "dtype": FieldSpec(("enum", DTYPES), default="bf16"),
    "kv_dtype": FieldSpec(("enum", DTYPES), doc="defaults to `dtype`"),
    "max_context": FieldSpec("int", default=4096),
}

PART_SCHEMAS: dict[str, dict[str, FieldSpec]] = {
    "gpu": DEVICE_FIELDS,
    "cpu": DEVICE_FIELDS,
    "accel": DEVICE_FIELDS,
    "link": LINK_FIELDS,
    "memory": MEMORY_FIELDS,
    "model": MODEL_FIELDS,
}

GROUP_KINDS = ("hardware", "rack", "node", "group")
DEVICE_KINDS = ("gpu", "cpu", "accel")
HARDWARE_KINDS = (*GROUP_KINDS[1:], *DEVICE_KINDS, "memory", "link")
