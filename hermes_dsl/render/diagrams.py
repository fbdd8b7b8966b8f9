"""Diagrams of a checked program as Graphviz DOT text: hardware, dataflow and placement.

* ``hardware``: the platform as nested clusters (racks, nodes, ...).  A run of identical
  devices (``gpu g[8] : H100_SXM``) is one node labelled ``g[0..7]`` with its count and key
  figures; a run of identical sibling groups (8 nodes of a rack with the same parts and links)
  is one cluster labelled ``n[0..7]``; racks stay apart up to four of them.  ``expand=True``
  draws every instance.  Each link is a hub node (bandwidth, latency, efficiency) joined to
  what it connects; a memory is a cylinder joined (dashed) to the groups that share it.
* ``dataflow``: one pipeline's stages (model, batching, parallelism, clients) and edges with
  what flows (prompt, context, KV cache with bytes per token, tokens) and branch fractions.
* ``placement``: the hardware again, each run of devices coloured and labelled with the stage
  it serves; runs and groups are collapsed only where their stages are the same too.

Ranges in labels are inclusive (``g[0..7]`` is eight GPUs), and every label says the count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx

from hermes_dsl.check.dataflow import forward_graph
from hermes_dsl.check.rules import Graphs
from hermes_dsl.check.topology import Topology
from hermes_dsl.ir.experiment import Program
from hermes_dsl.ir.pipeline import LLM_STAGES, Pipeline, Stage
from hermes_dsl.render.dot import Dot, fmt_bytes, fmt_count, fmt_rate, fmt_time, quote

# Stage colours (fill), in declaration order; readable with black text.
PALETTE = (
    "#8dd3c7",
    "#fdb462",
    "#bebada",
    "#fb8072",
    "#80b1d3",
    "#b3de69",
    "#fccde5",
    "#ffffb3",
    "#bc80bd",
    "#ccebc5",
)
FONT = "Helvetica"
RACK_COLLAPSE_OVER = 4  # racks are drawn one by one up to this many
_INDEXED = re.compile(r"^(.*)\[(\d+)\]$")


def _local(path: str) -> tuple[str, int | None]:
    name = path.rsplit(".", 1)[-1]
    m = _INDEXED.match(name)
    if m:
        return m.group(1), int(m.group(2))
    return name, None


def _range(stem: str, first: int | None, last: int | None) -> str:
    if first is None:
        return stem
    if first == last:
        return f"{stem}[{first}]"
    return f"{stem}[{first}..{last}]"


def stage_colors(pipeline: Pipeline) -> dict[str, str]:
    return {s.name: PALETTE[i % len(PALETTE)] for i, s in enumerate(pipeline.stages)}


# ---------------------------------------------------------------------------------- hardware
@dataclass
class _Tree:
    """Drawing state for one platform: which drawn node stands for which instance."""

    topo: Topology
    expand: bool
    assign: dict[str, tuple[str, ...]]  # device path -> stages on it (placement view)
    colors: dict[str, str]
    show_links: bool = True
    rack_collapse_over: int = RACK_COLLAPSE_OVER
    sig_table: dict[tuple, int] = field(default_factory=dict)  # type: ignore[type-arg]
    sigs: dict[str, int] = field(default_factory=dict)
    drawn: dict[str, str] = field(default_factory=dict)  # instance path -> node or cluster id
    clusters: set[str] = field(default_factory=set)
    anchor: dict[str, str] = field(default_factory=dict)  # cluster id -> a node inside it
    counts: dict[str, int] = field(default_factory=dict)  # drawn id -> instances it stands for
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.children = {g.path: g.children for g in self.topo.platform.groups}

    def kind(self, path: str) -> str:
        t = self.topo
        if path in t.devices:
            return "device"
        if path in t.links:
            return "link"
        if path in t.memories:
            return "memory"
        return "group"

    def sig(self, path: str) -> int:
        found = self.sigs.get(path)
        if found is not None:
            return found
        t = self.topo
        kind = self.kind(path)
        if kind == "device":
            d = t.devices[path]
            key: tuple = ("d", d.spec, self.assign.get(path, ()))  # type: ignore[type-arg]
        elif kind == "link":
            lk = t.links[path]
            key = ("l", lk.spec, tuple(_rel(e, lk.parent) for e in lk.endpoints))
        elif kind == "memory":
            m = t.memories[path]
            key = ("m", m.spec, tuple(_rel(e, m.parent) for e in m.shared_by))
        else:
            g = t.groups[path]
            key = (
                "g",
                g.kind,
                tuple((_local(c)[0], self.sig(c)) for c in self.children.get(path, ())),
            )
        sid = self.sig_table.setdefault(key, len(self.sig_table))
        self.sigs[path] = sid
        return sid

    def runs(self, paths: tuple[str, ...], parent_kind: str) -> list[list[str]]:
        """Consecutive siblings of one array with the same signature, to draw as one."""
        out: list[list[str]] = []
        for p in paths:
            stem, idx = _local(p)
            if out and not self.expand and idx is not None:
                last = out[-1][-1]
                lstem, lidx = _local(last)
                kind = self.kind(p)
                if (
                    kind in ("device", "group")
                    and self.kind(last) == kind
                    and lstem == stem
                    and lidx is not None
                    and lidx + 1 == idx
                    and self.sig(last) == self.sig(p)
                ):
                    out[-1].append(p)
                    continue
            out.append([p])
        final: list[list[str]] = []
        for run in out:
            kind = self.kind(run[0])
            if (
                len(run) > 1
                and kind == "group"
                and self.topo.groups[run[0]].kind == "rack"
                and len(run) <= self.rack_collapse_over
            ):
                final.extend([p] for p in run)
            else:
                final.append(run)
        return final

    # drawing ------------------------------------------------------------------------------
    def draw(self, dot: Dot, root: str) -> None:
        self._group(dot, [root])
        self._edges(dot)

    def _group(self, dot: Dot, run: list[str]) -> None:
        rep = run[0]
        g = self.topo.groups[rep]
        stem, first = _local(rep)
        last = _local(run[-1])[1]
        name = _range(stem, first, last)
        label = f"{g.kind} {name}" if g.kind != "hardware" else f"platform {rep}"
        if len(run) > 1:
            label += f"  ({len(run)} identical)"
        dot.open_cluster(
            rep,
            label=label,
            style="rounded" + (",filled" if g.kind in ("node", "group") else ""),
            fillcolor="#f7f7f7" if g.kind in ("node", "group") else None,
            color="#555555" if g.kind != "node" else "#999999",
            penwidth=2 if len(run) > 1 else 1,
            fontname=FONT,
            fontsize=14 if g.kind in ("hardware", "rack") else 12,
        )
        self.clusters.add(rep)
        self.drawn[rep] = rep
        self.counts[rep] = len(run)
        first_node = None  # the cluster's anchor: its top, a hub or memory declared in it
        top_node = None
        row: list[str] = []  # anchors of the child groups, kept left to right in order
        loose: list[str] = []  # devices on no drawn link: kept below the cluster's hubs
        for sub in self.runs(self.children.get(rep, ()), g.kind):
            kind = self.kind(sub[0])
            if kind == "group":
                self._group(dot, sub)
                node = self.anchor.get(sub[0])
                if node is not None:
                    row.append(node)
            elif kind == "device":
                node = self._devices(dot, sub)
            elif kind == "link":
                node = self._link(dot, sub[0])
            else:
                node = self._memory(dot, sub[0])
            if kind in ("link", "memory") and top_node is None and node is not None:
                top_node = node
            if kind == "device" and node is not None and not self._wired(sub[0]):
                loose.append(node)
            if first_node is None and node is not None:
                first_node = node
        first_node = top_node or first_node
        if top_node is not None:
            for node in loose:
                dot.edge(top_node, node, style="invis")
        if first_node is None:
            first_node = rep + "#empty"
            dot.node(first_node, label="", shape="point", style="invis")
        self.anchor[rep] = first_node
        dot.close()
        if len(row) > 1:
            dot.line("{rank=same; " + " ".join(quote(a) for a in row) + "}")
        for member in run[1:]:
            self._alias(member, rep)

    def _wired(self, device: str) -> bool:
        return bool(self.topo.links_at.get(device))

    def _alias(self, member: str, rep: str) -> None:
        """Map every instance inside ``member`` to the drawing of its twin inside ``rep``."""
        todo = [member]
        while todo:
            p = todo.pop()
            twin = rep + p[len(member) :]
            if twin in self.drawn:
                self.drawn[p] = self.drawn[twin]
            todo.extend(self.children.get(p, ()))

    def _devices(self, dot: Dot, run: list[str]) -> str:
        d = self.topo.devices[run[0]]
        stem, first = _local(run[0])
        name = _range(stem, first, _local(run[-1])[1])
        node_id = run[0] if len(run) == 1 else f"{run[0]}..{_local(run[-1])[1]}"
        spec = d.spec
        count = f"{len(run)} × {spec.type_name}" if len(run) > 1 else spec.type_name
        lines = [f"{name}", count, f"{fmt_bytes(spec.memory)} · {fmt_rate(spec.mem_bandwidth)}"]
        stages = self.assign.get(run[0], ())
        style = "rounded,filled"
        fill = {"gpu": "#e8f1fa", "cpu": "#eeeeee", "accel": "#eef7e8"}.get(d.kind, "#ffffff")
        if self.colors:
            if stages:
                fill = ":".join(self.colors[s] for s in stages)
                lines.insert(0, " + ".join(stages))
                style = "rounded,filled,bold" if len(stages) == 1 else "rounded,striped"
            else:
                fill = "#ffffff"
                style = "rounded,dashed"
                lines.insert(0, "(unused)")
        dot.node(node_id, label="\n".join(lines), shape="box", style=style, fillcolor=fill)
        for p in run:
            self.drawn[p] = node_id
        self.counts[node_id] = len(run)
        return node_id

    def _link(self, dot: Dot, path: str) -> str | None:
        if not self.show_links:
            # invisible, but still there: its edges keep siblings in declaration order
            dot.node(path, label="", shape="point", width=0.01, style="invis")
            self.drawn[path] = path
            return path
        lk = self.topo.links[path]
        s = lk.spec
        label = (
            f"{_local(path)[0]} · {s.type_name}\n{fmt_rate(s.bandwidth)} · {fmt_time(s.latency)}"
        )
        if s.efficiency != 1.0:
            label += f" · eff {s.efficiency:g}"
        dot.node(
            path,
            label=label,
            shape="box",
            style="filled",
            fillcolor="#fff7d6",
            color="#b08900",
            fontsize=10,
        )
        self.drawn[path] = path
        return path

    def _memory(self, dot: Dot, path: str) -> str | None:
        m = self.topo.memories[path]
        if self.colors and path not in self.assign:
            return None
        s = m.spec
        label = (
            f"{_local(path)[0]} · {s.type_name}\n{fmt_bytes(s.capacity)} · {fmt_rate(s.bandwidth)}"
        )
        if s.lookup:
            label += f"\nlookup {fmt_time(s.lookup)}"
        stages = self.assign.get(path, ())
        if stages:
            label = " + ".join(stages) + "\n" + label
        fill = ":".join(self.colors[x] for x in stages) if stages else "#f0e6ff"
        dot.node(path, label=label, shape="cylinder", style="filled", fillcolor=fill, fontsize=10)
        self.drawn[path] = path
        return path

    def _target(self, path: str) -> tuple[str, str | None] | None:
        """(node id, cluster for lhead) standing for an instance, or None if not drawn."""
        d = self.drawn.get(path)
        if d is None:
            return None
        if d in self.clusters:
            return self.anchor[d], "cluster_" + d
        return d, None

    def _edges(self, dot: Dot) -> None:
        t = self.topo
        for lk in t.platform.links:
            if self.drawn.get(lk.path) != lk.path:
                continue
            if self.show_links:
                self._fan(dot, lk.path, lk.endpoints, color="#b08900", arrowhead="none")
            else:
                self._fan(dot, lk.path, lk.endpoints, style="invis", label=None)
        for m in t.platform.memories:
            if self.drawn.get(m.path) != m.path:
                continue
            # dashed and not ranked: many of them scramble the order of racks; one invisible
            # edge keeps the memory above what shares it
            first = self._fan(
                dot,
                m.path,
                m.shared_by,
                style="dashed",
                color="#7a5db0",
                arrowhead="none",
                constraint="false",
            )
            if first is not None:
                dot.edge(m.path, first, style="invis")

    def _fan(self, dot: Dot, hub: str, ends: tuple[str, ...], **style: object) -> str | None:
        seen: dict[tuple[str, str | None], int] = {}
        for e in ends:
            target = self._target(e)
            if target is None:
                continue
            seen[target] = seen.get(target, 0) + 1
        for (node, cluster), n in seen.items():
            # n counts drawn members; a collapsed drawing stands for several instances
            label = f"×{n}" if n > 1 else None
            style = {"label": label, **style}
            dot.edge(hub, node, lhead=cluster, fontsize=9, **style)
        return next(iter(seen))[0] if seen else None


def _rel(path: str, base: str) -> str:
    return path[len(base) :] if base and path.startswith(base + ".") else path


def hardware_dot(topo: Topology, expand: bool = False) -> str:
    p = topo.platform
    dot = Dot(
        f"hardware {p.name}",
        compound="true",
        rankdir="TB",
        fontname=FONT,
        nodesep="0.25",
        ranksep="0.45",
        newrank="true",
    )
    dot.defaults("node", fontname=FONT, fontsize=11)
    dot.defaults("edge", fontname=FONT, fontsize=9)
    tree = _Tree(topo, expand, {}, {})
    tree.draw(dot, p.name)
    return dot.text()


def placement_dot(
    topo: Topology, program: Program, pipeline: Pipeline, expand: bool = False
) -> str:
    colors = stage_colors(pipeline)
    assign: dict[str, tuple[str, ...]] = {}
    for s in pipeline.stages:
        for d in s.devices:
            if d in topo.devices:
                assign[d] = (*assign.get(d, ()), s.name)
        if s.kind == "kv_fetch":
            for tier in s.option("tiers", ()) or ():  # type: ignore[union-attr]
                if tier in topo.memories:
                    assign[tier] = (*assign.get(tier, ()), s.name)
    dot = Dot(
        f"placement {pipeline.name} on {topo.platform.name}",
        compound="true",
        rankdir="TB",
        fontname=FONT,
        nodesep="0.25",
        ranksep="0.4",
        newrank="true",
        label=f"pipeline {pipeline.name} placed on {topo.platform.name}",
        labelloc="t",
        fontsize=16,
    )
    dot.defaults("node", fontname=FONT, fontsize=11)
    dot.defaults("edge", fontname=FONT, fontsize=9)
    # identical racks collapse here too: the hardware view already shows each of them
    tree = _Tree(topo, expand, assign, colors, show_links=False, rack_collapse_over=1)
    tree.draw(dot, topo.platform.name)
    # legend: every stage, its colour and its clients
    dot.open_cluster("legend", label="stages", style="rounded", color="#999999", fontname=FONT)
    prev = None
    for s in pipeline.stages:
        node_id = f"legend.{s.name}"
        dot.node(
            node_id,
            label=f"{s.name}\n{_stage_summary(s, program)}",
            shape="box",
            style="rounded,filled",
            fillcolor=colors[s.name],
        )
        if prev is not None:
            dot.edge(prev, node_id, style="invis")
        prev = node_id
    dot.close()
    return dot.text()


# ---------------------------------------------------------------------------------- dataflow
def _stage_summary(s: Stage, program: Program) -> str:
    parts = [s.kind + (f"({s.model})" if s.model else "")]
    if s.kind in LLM_STAGES:
        par = f"tp {s.tp}" + (f" · pp {s.pp}" if s.pp > 1 else "")
        parts.append(f"{s.clients} client{'s' * (s.clients != 1)} × {par}")
    elif s.devices:
        parts.append(f"{len(s.devices)} device{'s' * (len(s.devices) != 1)}")
    return " · ".join(parts)


def _stage_label(s: Stage, program: Program, graphs: Graphs | None, pipeline: str) -> str:
    lines = [s.name]
    head = s.kind + (f" · {s.model}" if s.model else "")
    lines.append(head)
    if s.batching is not None:
        b = s.batching
        args = []
        if b.policy in ("chunked", "mixed", "continuous"):
            args.append(f"max_tokens={b.max_tokens}")
        args.append(f"max_batch={b.max_batch}")
        if b.packing != "fcfs":
            args.append(b.packing)
        lines.append(f"{b.policy}({', '.join(args)})")
    if s.kind in LLM_STAGES:
        par = f"tp {s.tp}" + (f" · pp {s.pp}" if s.pp > 1 else "")
        lines.append(
            f"{s.clients} client{'s' * (s.clients != 1)} × {par} ({len(s.devices)} devices)"
        )
        if graphs is not None:
            for fit in graphs.kv_fits.get((pipeline, s.name), ()):
                lines.append(f"KV {fit.tokens:,} tokens/client on {fit.device_type}")
    elif s.kind == "ivfpq":
        lines.append(
            f"{fmt_count(float(s.option('centroids', 0)))} centroids · "  # type: ignore[arg-type]
            f"{s.option('probes')} probes · {s.option('docs')} docs"
        )
    elif s.kind == "kv_fetch":
        tiers = s.option("tiers", ()) or ()
        hits = s.option("hit", ()) or ()
        for tier, hit in zip(tiers, hits, strict=False):  # type: ignore[call-overload]
            lines.append(f"{tier.rsplit('.', 1)[-1]} (hit {hit:g})")
    if s.devices and s.kind not in LLM_STAGES:
        kinds: dict[str, int] = {}
        for d in s.devices:
            kinds[_local(d)[0]] = kinds.get(_local(d)[0], 0) + 1
        where = ", ".join(f"{n} × {k}" if n > 1 else k for k, n in kinds.items())
        lines.append(f"on {where}" if len(s.devices) > 1 else f"on {s.devices[0]}")
    return "\n".join(lines)


def dataflow_dot(
    pipeline: Pipeline, g: nx.DiGraph, program: Program, graphs: Graphs | None = None
) -> str:
    colors = stage_colors(pipeline)
    dot = Dot(
        f"dataflow {pipeline.name}",
        rankdir="LR",
        fontname=FONT,
        nodesep="0.35",
        ranksep="0.6",
        label=f"pipeline {pipeline.name}",
        labelloc="t",
        fontsize=16,
    )
    dot.defaults("node", fontname=FONT, fontsize=11)
    dot.defaults("edge", fontname=FONT, fontsize=9)
    routes = {r.stage: r for r in pipeline.routes}
    dot.node("requests", shape="circle", label="requests", style="filled", fillcolor="#eeeeee")
    for s in pipeline.stages:
        label = _stage_label(s, program, graphs, pipeline.name)
        r = routes.get(s.name)
        if r is not None:
            label += f"\nroute: {r.policy}" + (
                f"({r.measure})" if r.policy == "least_loaded" else ""
            )
        dot.node(
            f"stage.{s.name}",
            label=label,
            shape="box",
            style="rounded,filled",
            fillcolor=colors[s.name],
        )
    dot.node("responses", shape="circle", label="responses", style="filled", fillcolor="#eeeeee")
    entry = g.graph.get("entry")
    if entry is not None:
        dot.edge("requests", f"stage.{entry}", label="prompt")
    for a, b, d in g.edges(data=True):
        label = d["payload"].label()
        style: dict[str, object] = {}
        if d["kind"] == "branch":
            label = f"{d['fraction'] * 100:g}%\n" + label
        elif d["kind"] == "fan":
            style["arrowhead"] = "normalnormal"
        elif d["kind"] == "loop":
            label = f"loop ≤ {d['max_times']}\n" + label
            style.update(style="dashed", constraint="false")
        if graphs is not None:
            tr = graphs.transfers.get((pipeline.name, a, b))
            if tr is not None and tr.worst is not None and tr.worst.links:
                label += (
                    f"\n≥ {fmt_rate(tr.worst.bottleneck_bandwidth)}, ≤ {fmt_time(tr.worst.latency)}"
                )
        dot.edge(f"stage.{a}", f"stage.{b}", label=label, **style)
    for name in g.graph.get("exits", ()):
        dot.edge(f"stage.{name}", "responses")
    return dot.text()


# ---------------------------------------------------------------------------------- all
def diagrams(program: Program, graphs: Graphs, expand: bool = False) -> dict[str, str]:
    """Every diagram of a program: file name (``.dot``) -> DOT text, in a stable order."""
    out: dict[str, str] = {}
    for p in program.platforms:
        out[f"hardware.{p.name}.dot"] = hardware_dot(graphs.topologies[p.name], expand)
    for pl in program.pipelines:
        g = graphs.dataflows[pl.name]
        out[f"dataflow.{pl.name}.dot"] = dataflow_dot(pl, g, program, graphs)
        for name in _platforms_of(pl, graphs):
            suffix = f".{name}" if len(program.platforms) > 1 else ""
            out[f"placement.{pl.name}{suffix}.dot"] = placement_dot(
                graphs.topologies[name], program, pl, expand
            )
    return out


def _platforms_of(pipeline: Pipeline, graphs: Graphs) -> list[str]:
    names: list[str] = []
    for s in pipeline.stages:
        paths = list(s.devices) + list(s.option("tiers", ()) or ())  # type: ignore[arg-type]
        for p in paths:
            topo = graphs.topology_of(p)
            if topo is not None and topo.platform.name not in names:
                names.append(topo.platform.name)
    return names


__all__ = ["dataflow_dot", "diagrams", "forward_graph", "hardware_dot", "placement_dot"]
