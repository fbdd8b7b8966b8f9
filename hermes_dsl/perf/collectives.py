"""Collectives and point-to-point transfers over links.

Ring algorithms, as NCCL runs them for the message sizes that matter in serving: an all-reduce
of ``M`` bytes over ``N`` devices is a reduce-scatter followed by an all-gather, each ``N - 1``
steps moving ``M / N`` bytes per device, hence ``2(N-1)`` link latencies and ``2(N-1)/N * M``
bytes through each device's link.  A small fixed start-up (kernel launch and the first
handshake) is paid once per collective.

A *path* of several links (GPU -> PCIe switch -> NIC -> network) moves data at the pace of its
slowest link and pays every hop's latency.
"""

from __future__ import annotations

from collections.abc import Sequence

from hermes_dsl.ir.hardware import LinkSpec
from hermes_dsl.ir.model import ModelSpec

# Fixed start-up of one collective or transfer (launch + first handshake), in seconds.  Chosen
# from the smallest-message timings of the A100 NVLink profiles (bench/perf_accuracy.py prints
# the comparison): 2-GPU all-reduces of 2 KiB take 7-10 us there.
COLLECTIVE_STARTUP = 5.0e-6
# Latency assumed for a device's scale-up fabric when a spec gives no link (NVLink-class hop).
DEFAULT_SCALE_UP_LATENCY = 2.0e-6


def _rate(link: LinkSpec) -> float:
    return link.bandwidth * link.efficiency


def all_reduce_time(
    nbytes: float, n: int, link: LinkSpec, startup: float = COLLECTIVE_STARTUP
) -> float:
    """Ring all-reduce: ``2(N-1) * latency + 2(N-1)/N * M / (BW * eff) + startup``; 0 if N < 2."""
    if n < 2 or nbytes <= 0:
        return 0.0
    steps = 2 * (n - 1)
    return steps * link.latency + steps / n * nbytes / _rate(link) + startup


def all_gather_time(
    nbytes: float, n: int, link: LinkSpec, startup: float = COLLECTIVE_STARTUP
) -> float:
    """Ring all-gather of a result of ``nbytes`` in total: ``(N-1)`` steps of ``M / N``."""
    if n < 2 or nbytes <= 0:
        return 0.0
    return (n - 1) * link.latency + (n - 1) / n * nbytes / _rate(link) + startup


def reduce_scatter_time(
    nbytes: float, n: int, link: LinkSpec, startup: float = COLLECTIVE_STARTUP
) -> float:
    """Ring reduce-scatter of an input of ``nbytes``: same traffic as an all-gather."""
    return all_gather_time(nbytes, n, link, startup)


def p2p_time(nbytes: float, link: LinkSpec, startup: float = COLLECTIVE_STARTUP) -> float:
    """One send/receive of ``nbytes`` over one link (or a path collapsed by :func:`path_link`)."""
    if nbytes <= 0:
        return 0.0
    return link.latency + nbytes / _rate(link) + startup


def path_link(links: Sequence[LinkSpec]) -> LinkSpec:
    """The link equivalent to a path: slowest effective bandwidth, summed latencies.

    Efficiency is folded into the bandwidth of the result (its efficiency is 1) so that the
    bottleneck is chosen on what each link really delivers.
    """
    if not links:
        raise ValueError("a path needs at least one link")
    if len(links) == 1:
        return links[0]
    rate = min(_rate(link) for link in links)
    latency = sum(link.latency for link in links)
    name = "+".join(link.type_name for link in links)
    return LinkSpec(type_name=name, bandwidth=rate, latency=latency, efficiency=1.0)


def transfer_time(
    nbytes: float, links: LinkSpec | Sequence[LinkSpec], startup: float = COLLECTIVE_STARTUP
) -> float:
    """Seconds to move ``nbytes`` over a link or a path of links."""
    link = links if isinstance(links, LinkSpec) else path_link(links)
    return p2p_time(nbytes, link, startup)


def kv_transfer_bytes(tokens: float, model: ModelSpec) -> float:
    """Bytes of a request's KV cache: ``tokens * model.kv_bytes_per_token`` (bytes, not values)."""
    return tokens * model.kv_bytes_per_token


def kv_transfer_time(
    tokens: float,
    model: ModelSpec,
    links: LinkSpec | Sequence[LinkSpec],
    startup: float = COLLECTIVE_STARTUP,
) -> float:
    """Moving a KV cache of ``tokens`` from a prefill client to a decode client."""
    return transfer_time(kv_transfer_bytes(tokens, model), links, startup)


def scale_up_link(bandwidth: float, latency: float = DEFAULT_SCALE_UP_LATENCY) -> LinkSpec:
    """A stand-in link for a device's own fabric, for callers that were given no link."""
    return LinkSpec(type_name="scale-up", bandwidth=bandwidth, latency=latency, efficiency=1.0)
