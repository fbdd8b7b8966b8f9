"""Does a model fit its devices, and how much KV cache is left?  Pure arithmetic on the IR.

With tensor parallelism ``tp`` and pipeline parallelism ``pp`` each device holds
``weight_bytes / (tp * pp)`` of the weights (layers split over ``pp``, every matrix split over
``tp``) and, per token, the KV of ``layers / pp`` layers and ``ceil(kv_heads / tp)`` KV heads:
when ``tp`` exceeds the KV heads they are replicated, as vLLM does.  A latent (MLA) cache is
not split by ``tp``.  Usable memory is ``memory * memory_util`` (vLLM's
``gpu_memory_utilization``, default 0.9); activations and CUDA graphs are left to that margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hermes_dsl.ir.hardware import DeviceSpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.ir.pipeline import Stage

DEFAULT_MEMORY_UTIL = 0.9
DEFAULT_KV_BLOCK = 16  # tokens per KV block, vLLM's default


@dataclass(frozen=True, slots=True)
class KVFit:
    """One client's memory budget on one device type."""

    device_type: str
    usable: float  # bytes per device
    weights: float  # bytes of weights per device
    kv_bytes_per_token: float  # per device
    tp: int
    pp: int
    memory_util: float
    kv_block: int

    @property
    def free(self) -> float:
        return self.usable - self.weights

    @property
    def weights_fit(self) -> bool:
        return self.weights <= self.usable

    @property
    def tokens(self) -> int:
        """KV-cache tokens one client holds, rounded down to whole blocks."""
        if self.free <= 0 or self.kv_bytes_per_token <= 0:
            return 0
        tokens = int(self.free // self.kv_bytes_per_token)
        return tokens // self.kv_block * self.kv_block

    @property
    def blocks(self) -> int:
        return self.tokens // self.kv_block


def kv_bytes_per_token_per_device(model: ModelSpec, tp: int = 1, pp: int = 1) -> float:
    if model.kind != "decoder":
        return 0.0
    layers = math.ceil(model.layers / pp)
    if model.kv_latent:
        return layers * model.kv_latent * model.kv_bytes_per_value
    heads = math.ceil(model.kv_heads / tp)
    return 2 * layers * heads * model.head_dim * model.kv_bytes_per_value


def kv_fit(stage: Stage, model: ModelSpec, device: DeviceSpec) -> KVFit:
    """The memory budget of ``stage``'s clients on ``device`` (see the module docstring)."""
    util = float(stage.option("memory_util", DEFAULT_MEMORY_UTIL))  # type: ignore[arg-type]
    block = int(stage.option("kv_block", DEFAULT_KV_BLOCK) or DEFAULT_KV_BLOCK)  # type: ignore[arg-type]
    tp, pp = stage.tp, stage.pp
    return KVFit(
        device_type=device.type_name,
        usable=device.memory * util,
        weights=model.weight_bytes / (tp * pp),
        kv_bytes_per_token=kv_bytes_per_token_per_device(model, tp, pp),
        tp=tp,
        pp=pp,
        memory_util=util,
        kv_block=max(1, block),
    )
