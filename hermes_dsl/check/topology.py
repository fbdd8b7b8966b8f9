"""The topology of a platform as a graph, and the paths data takes between its parts.

The graph (``networkx.Graph``) has one node per group, device, link and memory, named by its
fully qualified path, with the attribute ``kind`` (``hardware``/``rack``/``node``/``group``,
``gpu``/``cpu``/``accel``, ``link``, ``memory``) and ``obj`` (the IR instance).  Edges:

* ``contains``: a group and each group or device directly inside it;
* ``link``: a link and each of its endpoints.  A link joining N endpoints is a *hub* (a
  switch), a node of its own joined to each endpoint, so an 8-GPU NVLink is 8 edges, not 28;
  the edge carries the link's ``bandwidth`` (per endpoint), ``latency`` and ``efficiency``;
* ``uplink``: a link and the group it is declared in.  A link declared in a group is that
  group's internal fabric, and the way from the group's members out to anything the group
  itself is attached to (``link ib connects n[*]`` in a rack carries a node's traffic to the
  rack's own uplinks, such as ``link spine connects r[*]``);
* ``memory``: a memory and each group or device in its ``shared_by`` list, carrying the
  memory's ``bandwidth`` and ``lookup`` time.

Paths (:func:`path_between`) follow these rules rather than a plain shortest path over the
graph, because containment is not a wire: two GPUs in one node without a link are *not*
joined.  Data leaves a device over a link it is an endpoint of, crosses a hub, and either
arrives at a device on that hub, or climbs to the group the hub is declared in (``uplink``)
or to a group endpoint of the hub, and so on.  A device on no link at all (a host CPU nobody
wired up) is taken to reach the links of its enclosing group directly.  Paths pass only
through the two devices, the groups around them and links attached to those: there is no
transit through a third device.  Among the paths, the one with the highest bottleneck
bandwidth wins, then the lowest latency, then the fewest links.

Each device's reachable set (its *profile*: every hub and enclosing group it can reach, with
the best way there) is computed once and cached, so a path is a join of two small profiles and
no all-pairs computation is ever done.  A 4,096-GPU platform has about 4,096 profiles of a
dozen entries each.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from hermes_dsl.ir.hardware import Device, Group, Link, LinkSpec, Memory, Platform

if TYPE_CHECKING:
    import networkx as nx

INF = math.inf


@dataclass(frozen=True, slots=True)
class PathInfo:
    """The way data moves between two parts of a platform.

    ``links`` are the links crossed in order; ``bottleneck_bandwidth`` is the smallest
    *effective* bandwidth on the path (``bandwidth * efficiency`` of each link, B/s; infinite
    when no link is crossed); ``latency`` is the sum of the links' latencies (s).  ``hops`` are
    the graph nodes visited, ends included.
    """

    source: str
    target: str
    links: tuple[Link, ...]
    bottleneck_bandwidth: float
    latency: float
    hops: tuple[str, ...] = ()

    @property
    def raw_bandwidth(self) -> float:
        """The smallest datasheet bandwidth on the path (before efficiency)."""
        return min((lk.spec.bandwidth for lk in self.links), default=INF)

    @property
    def bottleneck(self) -> Link | None:
        """The link that limits the path's bandwidth (the first of equals)."""
        best: Link | None = None
        for lk in self.links:
            if best is None or _rate(lk) < _rate(best):
                best = lk
        return best

    def link_spec(self) -> LinkSpec:
        """The path as one link, in the form ``perf.collectives`` takes (efficiency folded in)."""
        return LinkSpec(
            type_name="+".join(lk.spec.type_name for lk in self.links) or "local",
            bandwidth=self.bottleneck_bandwidth,
            latency=self.latency,
            efficiency=1.0,
        )

    def transfer_time(self, nbytes: float) -> float:
        """Seconds to move ``nbytes`` along the path (latency plus bytes at the bottleneck)."""
        if nbytes <= 0:
            return 0.0
        if not self.links:
            return 0.0
        return self.latency + nbytes / self.bottleneck_bandwidth

    def describe(self) -> str:
        """``nv, ib, nv`` (link names relative to nothing: their last path component)."""
        return ", ".join(_short(lk.path) for lk in self.links) or "no link"


def _rate(link: Link) -> float:
    return link.spec.bandwidth * link.spec.efficiency


def _short(path: str) -> str:
    return path.rsplit(".", 1)[-1]


@dataclass(slots=True)
class _Label:
    """Best known way from a device to one node of its profile."""

    bandwidth: float
    latency: float
    links: tuple[Link, ...]
    hops: tuple[str, ...]

    def key(self) -> tuple[float, float, int]:
        return (-self.bandwidth, self.latency, len(self.links))


@dataclass
class Topology:
    """A platform's graph plus indexes for fast path queries.  Build with :func:`topology_graph`."""

    platform: Platform
    parent: dict[str, str]
    groups: dict[str, Group]
    devices: dict[str, Device]
    links: dict[str, Link]
    memories: dict[str, Memory]
    links_at: dict[str, tuple[Link, ...]]  # endpoint path -> links naming it
    uplinks_at: dict[str, tuple[Link, ...]]  # group path -> links declared in it
    _profiles: dict[str, dict[str, _Label]] = field(default_factory=dict, repr=False)
    _paths: dict[tuple[str, str], PathInfo | None] = field(default_factory=dict, repr=False)

    @cached_property
    def graph(self) -> nx.Graph:
        """The platform as a ``networkx.Graph`` (see the module docstring), built on first use:
        the checks and path queries use the indexes above, not the graph."""
        return _graph(self.platform)

    # ------------------------------------------------------------------------------ structure
    def ancestors(self, path: str) -> list[str]:
        """Enclosing groups, innermost first (the platform root last)."""
        out = []
        p = self.parent.get(path, "")
        while p:
            out.append(p)
            p = self.parent.get(p, "")
        return out

    def is_inside(self, path: str, group: str) -> bool:
        return path == group or group in self.ancestors(path)

    @cached_property
    def kind_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.platform.devices:
            out[d.kind] = out.get(d.kind, 0) + 1
        return out

    def device_class(self, path: str) -> tuple[str, tuple[str, ...]]:
        """Devices of one class (same parent, same links) have the same paths to everything else."""
        return (self.parent.get(path, ""), tuple(lk.path for lk in self.links_at.get(path, ())))

    # ------------------------------------------------------------------------------ profiles
    def profile(self, device: str) -> dict[str, _Label]:
        """Every hub and enclosing group ``device`` can reach, with the best way there."""
        found = self._profiles.get(device)
        if found is not None:
            return found
        allowed = {device, *self.ancestors(device)}
        best: dict[str, _Label] = {device: _Label(INF, 0.0, (), (device,))}
        heap: list[tuple[tuple[float, float, int], int, str]] = [(best[device].key(), 0, device)]
        counter = 1
        done: set[str] = set()
        while heap:
            _, _, node = heapq.heappop(heap)
            if node in done:
                continue
            done.add(node)
            here = best[node]
            for nxt, cost in self._moves(node, allowed):
                if nxt in done:
                    continue
                if cost is None:
                    label = _Label(here.bandwidth, here.latency, here.links, (*here.hops, nxt))
                else:
                    label = _Label(
                        min(here.bandwidth, _rate(cost)),
                        here.latency + cost.spec.latency,
                        (*here.links, cost),
                        (*here.hops, nxt),
                    )
                old = best.get(nxt)
                if old is None or label.key() < old.key():
                    best[nxt] = label
                    heapq.heappush(heap, (label.key(), counter, nxt))
                    counter += 1
        self._profiles[device] = best
        return best

    def _moves(self, node: str, allowed: set[str]):  # type: ignore[no-untyped-def]
        """Moves out of ``node``: (next node, link paid on the way or None)."""
        link = self.links.get(node)
        if link is not None:  # leaving a hub is free; its cost was paid on entry
            for e in link.endpoints:
                if e in allowed:
                    yield e, None
            if link.parent in allowed:
                yield link.parent, None
            return
        for lk in self.links_at.get(node, ()):
            yield lk.path, lk
        for lk in self.uplinks_at.get(node, ()):
            yield lk.path, lk
        if node in self.devices and not self.links_at.get(node):
            parent = self.parent.get(node, "")
            if parent:
                yield parent, None

    # ------------------------------------------------------------------------------ paths
    def path(self, a: str, b: str) -> PathInfo | None:
        """The best path between two devices, or None when no link joins them."""
        if a == b:
            return PathInfo(a, b, (), INF, 0.0, (a,))
        key = (a, b)
        if key in self._paths:
            return self._paths[key]
        pa, pb = self.profile(a), self.profile(b)
        best: tuple[tuple[float, float, int], str] | None = None
        for node, la in pa.items():
            lb = pb.get(node)
            if lb is None:
                continue
            bw, lat, n = self._join(node, la, lb)
            k = ((-bw, lat, n), node)
            if best is None or k < best:
                best = k
        result = None
        if best is not None:
            node = best[1]
            la, lb = pa[node], pb[node]
            links = la.links + tuple(reversed(lb.links))
            hops = la.hops + tuple(reversed(lb.hops[:-1]))
            if node in self.links:  # both sides paid the hub they meet at
                links = la.links + tuple(reversed(lb.links[:-1]))
            bw = min((_rate(lk) for lk in links), default=INF)
            lat = sum(lk.spec.latency for lk in links)
            result = PathInfo(a, b, links, bw, lat, hops)
        self._paths[key] = result
        return result

    def path_key(self, a: str, b: str) -> tuple[float, float, int] | None:
        """``(-bottleneck, latency, links)`` of the best path (smaller is better), or None.

        The same answer as :meth:`path` without building the path: what a check comparing
        thousands of device pairs wants.
        """
        if a == b:
            return (-INF, 0.0, 0)
        pa, pb = self.profile(a), self.profile(b)
        best: tuple[float, float, int] | None = None
        for node, la in pa.items():
            lb = pb.get(node)
            if lb is None:
                continue
            bw, lat, n = self._join(node, la, lb)
            k = (-bw, lat, n)
            if best is None or k < best:
                best = k
        return best

    def _join(self, node: str, la: _Label, lb: _Label) -> tuple[float, float, int]:
        bw = min(la.bandwidth, lb.bandwidth)
        lat = la.latency + lb.latency
        n = len(la.links) + len(lb.links)
        hub = self.links.get(node)
        if hub is not None:
            lat -= hub.spec.latency
            n -= 1
        return bw, lat, n

    def memory_path(self, device: str, memory: str) -> PathInfo | None:
        """Links between a device and a memory it can use (shared by it or a group around it).

        The memory's own bandwidth and lookup are not folded in: they are the memory's, see
        ``Topology.memories[memory].spec``.
        """
        mem = self.memories.get(memory)
        if mem is None:
            return None
        prof = self.profile(device)
        best: _Label | None = None
        for sharer in mem.shared_by:
            lab = prof.get(sharer)
            if lab is not None and (best is None or lab.key() < best.key()):
                best = lab
        if best is None:
            return None
        return PathInfo(
            device, memory, best.links, best.bandwidth, best.latency, (*best.hops, memory)
        )

    def common_link(self, devices: tuple[str, ...] | list[str]) -> Link | None:
        """The fastest single link that names every one of ``devices`` as an endpoint."""
        if not devices:
            return None
        common: set[str] | None = None
        for d in devices:
            names = {lk.path for lk in self.links_at.get(d, ())}
            common = names if common is None else common & names
            if not common:
                return None
        if not common:
            return None
        return max(
            (self.links[p] for p in common), key=lambda lk: (_rate(lk), -lk.spec.latency, lk.path)
        )


def topology_graph(platform: Platform) -> Topology:
    """Build the indexes of one platform (linear in its size); ``Topology.graph`` on demand."""
    parent: dict[str, str] = {}
    groups = {gr.path: gr for gr in platform.groups}
    devices = {d.path: d for d in platform.devices}
    links = {lk.path: lk for lk in platform.links}
    memories = {m.path: m for m in platform.memories}
    for d in platform.devices:
        parent[d.path] = d.parent
    for gr in platform.groups:
        parent[gr.path] = gr.parent
    links_at: dict[str, list[Link]] = {}
    uplinks_at: dict[str, list[Link]] = {}
    for lk in platform.links:
        parent[lk.path] = lk.parent
        for e in dict.fromkeys(lk.endpoints):
            links_at.setdefault(e, []).append(lk)
        if lk.parent:
            uplinks_at.setdefault(lk.parent, []).append(lk)
    for m in platform.memories:
        parent[m.path] = m.parent
    return Topology(
        platform=platform,
        parent=parent,
        groups=groups,
        devices=devices,
        links=links,
        memories=memories,
        links_at={k: tuple(v) for k, v in links_at.items()},
        uplinks_at={k: tuple(v) for k, v in uplinks_at.items()},
    )


def _graph(platform: Platform) -> nx.Graph:
    import networkx as nx

    g = nx.Graph(name=platform.name)
    for gr in platform.groups:
        g.add_node(gr.path, kind=gr.kind, obj=gr)
    for d in platform.devices:
        g.add_node(d.path, kind=d.kind, obj=d)
    for gr in platform.groups:
        if gr.parent:
            g.add_edge(gr.parent, gr.path, kind="contains")
    for d in platform.devices:
        if d.parent:
            g.add_edge(d.parent, d.path, kind="contains")
    for lk in platform.links:
        g.add_node(lk.path, kind="link", obj=lk)
        attrs = {
            "kind": "link",
            "link": lk.path,
            "bandwidth": lk.spec.bandwidth,
            "latency": lk.spec.latency,
            "efficiency": lk.spec.efficiency,
        }
        for e in dict.fromkeys(lk.endpoints):
            g.add_edge(lk.path, e, **attrs)
        if lk.parent:
            g.add_edge(lk.path, lk.parent, kind="uplink", link=lk.path)
    for m in platform.memories:
        g.add_node(m.path, kind="memory", obj=m)
        for s in m.shared_by:
            g.add_edge(m.path, s, kind="memory", bandwidth=m.spec.bandwidth, latency=m.spec.lookup)
    return g


def path_between(topo: Topology, a: str, b: str) -> PathInfo | None:
    """The best path between devices ``a`` and ``b`` (see the module docstring), or None."""
    return topo.path(a, b)
