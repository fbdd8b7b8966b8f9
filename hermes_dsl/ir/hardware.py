"""Hardware in the IR: device datasheets, and the instances a platform is built from.

A *spec* (DeviceSpec, LinkSpec, MemorySpec) is what a datasheet says about one kind of part;
an *instance* (Device, Link, Memory, Group) is one part placed in a platform, named by its fully
qualified path such as ``dc.r[0].n[3].g[7]``.  All values are SI floats.
"""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.source import NO_SPAN, Span

DEVICE_KINDS = ("gpu", "cpu", "accel")
GROUP_KINDS = ("datacenter", "rack", "node", "board", "group")


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A compute device's datasheet.

    ``flops`` maps a numeric type (bf16, fp8, int8, fp32, ...) to dense peak FLOP/s.
    ``compute_units`` (SMs, CUs, cores, TensorCores) lets the performance model quantise work
    into waves; ``compute_eff`` and ``memory_eff`` are the fractions of peak that well-shaped
    kernels reach.
    """

    type_name: str
    kind: str  # one of DEVICE_KINDS
    memory: float  # bytes of device memory (HBM, or host DRAM for a CPU)
    mem_bandwidth: float  # B/s
    flops: tuple[tuple[str, float], ...]  # (dtype, FLOP/s)
    compute_units: int = 1
    compute_eff: float = 0.75
    memory_eff: float = 0.85
    tdp: float = 0.0  # W at full load
    idle_power: float = 0.0  # W when idle
    interconnect: float = 0.0  # B/s per device on its scale-up fabric, from the datasheet
    vendor: str = ""

    def peak_flops(self, dtype: str) -> float:
        """Peak dense FLOP/s at a numeric type, falling back to the nearest wider type."""
        table = dict(self.flops)
        for candidate in _WIDER.get(dtype, (dtype,)):
            if candidate in table:
                return table[candidate]
        return max(table.values()) if table else 0.0


# If a device has no figure for a narrow type, it computes in the next wider one.
_WIDER: dict[str, tuple[str, ...]] = {
    "fp4": ("fp4", "fp8", "int8", "bf16", "fp16", "fp32"),
    "int4": ("int4", "int8", "fp8", "bf16", "fp16", "fp32"),
    "fp6": ("fp6", "fp8", "bf16", "fp16", "fp32"),
    "fp8": ("fp8", "int8", "bf16", "fp16", "fp32"),
    "int8": ("int8", "fp8", "bf16", "fp16", "fp32"),
    "bf16": ("bf16", "fp16", "fp32"),
    "fp16": ("fp16", "bf16", "fp32"),
    "tf32": ("tf32", "fp32"),
    "fp32": ("fp32", "tf32", "bf16"),
}


@dataclass(frozen=True, slots=True)
class LinkSpec:
    type_name: str
    bandwidth: float  # B/s per endpoint
    latency: float  # s
    efficiency: float = 1.0  # fraction of bandwidth achieved


@dataclass(frozen=True, slots=True)
class MemorySpec:
    """A memory tier outside a device: LPDDR/DDR/CXL pools, SSDs, remote storage."""

    type_name: str
    capacity: float  # bytes
    bandwidth: float  # B/s
    lookup: float = 0.0  # s, time to find an entry before data moves
    tdp: float = 0.0
    idle_power: float = 0.0


@dataclass(frozen=True, slots=True)
class Device:
    path: str
    spec: DeviceSpec
    parent: str  # path of the enclosing group ("" at top level)
    span: Span = NO_SPAN

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass(frozen=True, slots=True)
class Link:
    """A fabric joining ``endpoints`` (device or group paths); each endpoint gets ``bandwidth``."""

    path: str
    spec: LinkSpec
    endpoints: tuple[str, ...]
    parent: str
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Memory:
    path: str
    spec: MemorySpec
    shared_by: tuple[str, ...]  # paths of the groups/devices that can use it
    parent: str
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Group:
    """A rack, node or other container; ``children`` are paths of anything directly inside."""

    path: str
    kind: str
    children: tuple[str, ...]
    parent: str
    span: Span = NO_SPAN


@dataclass(frozen=True, slots=True)
class Platform:
    """One ``hardware`` block, flattened: every instance by path, in declaration order."""

    name: str
    groups: tuple[Group, ...]
    devices: tuple[Device, ...]
    links: tuple[Link, ...]
    memories: tuple[Memory, ...]
    span: Span = NO_SPAN
