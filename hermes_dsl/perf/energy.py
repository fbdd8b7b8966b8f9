"""Power and energy of devices: idle floor plus a share of the dynamic range while busy.

A device draws ``idle_power`` whenever it is powered and up to ``tdp`` at full load.  Between the
two, power follows utilisation linearly: ``idle + (tdp - idle) * u``.  A bandwidth-bound decode
step keeps the memory system busy but leaves most of the tensor cores idle, so callers pass the
larger of the FLOP and bandwidth utilisations as ``u`` (clipped to 0..1).  Energy is power times
time, in joules; nothing here is a percentage.
"""

from __future__ import annotations

from hermes_dsl.ir.hardware import DeviceSpec, MemorySpec


def busy_power(device: DeviceSpec | MemorySpec, utilisation: float = 1.0) -> float:
    """Watts drawn at ``utilisation`` (0..1).  A device with no TDP figure draws nothing."""
    u = 0.0 if utilisation < 0.0 else (1.0 if utilisation > 1.0 else utilisation)
    idle = device.idle_power
    tdp = max(device.tdp, idle)
    return idle + (tdp - idle) * u


def energy(
    device: DeviceSpec | MemorySpec, seconds: float, utilisation: float = 1.0, count: int = 1
) -> float:
    """Joules of ``count`` devices over ``seconds`` at ``utilisation``."""
    return count * busy_power(device, utilisation) * seconds


def idle_energy(device: DeviceSpec | MemorySpec, seconds: float, count: int = 1) -> float:
    """Joules of ``count`` devices sitting idle for ``seconds``."""
    return count * device.idle_power * seconds


def energy_per_request(busy_joules: float, idle_joules: float, requests: int) -> float:
    """Joules per request when a run's busy and idle energy are shared by its requests."""
    if requests <= 0:
        return 0.0
    return (busy_joules + idle_joules) / requests


def energy_per_token(joules: float, tokens: int) -> float:
    """Joules per generated (or processed) token."""
    return joules / tokens if tokens > 0 else 0.0
