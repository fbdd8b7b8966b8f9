"""The structure checks (E041x-E042x, W041x) run on a resolved program.

Each rule reads the IR and the graphs and reports diagnostics; none of them raises.  Facts that
are not problems (the KV capacity left per client, the bandwidth between two stages) are
collected as :class:`Info` for ``hermes check --info`` and the diagrams.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hermes_dsl.check.dataflow import Flow, Payload, flow_graph, format_bytes, payload_of
from hermes_dsl.check.fit import KVFit, kv_fit
from hermes_dsl.check.topology import PathInfo, Topology, topology_graph
from hermes_dsl.diagnostics import Diagnostic, Note
from hermes_dsl.ir.experiment import Program
from hermes_dsl.ir.hardware import Device
from hermes_dsl.ir.pipeline import LLM_STAGES, Pipeline, Stage
from hermes_dsl.source import NO_SPAN, Span

if TYPE_CHECKING:
    import networkx as nx

TOLERANCE = 1e-6
NEEDS_DEVICES = (*LLM_STAGES, "embed", "ivfpq", "rerank")
ACCELERATORS = ("gpu", "accel")
# Sinks whose output is an answer; any other stage at the end of an LLM pipeline is a dead end.
ANSWERS = ("decode", "generate", "postprocess")


@dataclass(frozen=True, slots=True)
class Info:
    """A fact found while checking: ``topic`` is "kv_capacity", "transfer" or "kv_tier"."""

    topic: str
    message: str
    span: Span = NO_SPAN
    pipeline: str = ""
    stage: str = ""
    values: tuple[tuple[str, object], ...] = ()

    def value(self, name: str, default: object = None) -> object:
        return dict(self.values).get(name, default)


@dataclass
class Transfer:
    """How data moves from one stage's devices to the next stage's: every pair of device
    classes was tried; ``worst`` and ``best`` are the slowest and fastest paths found."""

    source: str
    target: str
    payload: Payload
    pairs: int = 0
    missing: tuple[str, str] | None = None
    missing_count: int = 0
    worst: PathInfo | None = None
    best: PathInfo | None = None


@dataclass
class Graphs:
    """The graphs of one program, for the checks, the renderer and the simulator."""

    program: Program
    topologies: dict[str, Topology]
    flows: dict[str, Flow]
    kv_fits: dict[tuple[str, str], tuple[KVFit, ...]] = field(default_factory=dict)
    transfers: dict[tuple[str, str, str], Transfer] = field(default_factory=dict)

    @property
    def dataflows(self) -> Mapping[str, nx.DiGraph]:
        """Each pipeline's dataflow as a ``networkx.DiGraph``, built when first looked up."""
        found = self.__dict__.get("_dataflows")
        if found is None:
            found = self.__dict__["_dataflows"] = _DiGraphs(self.flows)
        return found

    def topology_of(self, path: str) -> Topology | None:
        """The topology of the platform holding ``path`` (its first component)."""
        return self.topologies.get(path.split(".", 1)[0])

    def path(self, a: str, b: str) -> PathInfo | None:
        """The best path between two devices; None when no link joins them."""
        ta, tb = self.topology_of(a), self.topology_of(b)
        if ta is None or ta is not tb:
            return None
        return ta.path(a, b)

    def memory_path(self, device: str, memory: str) -> PathInfo | None:
        topo = self.topology_of(device)
        return topo.memory_path(device, memory) if topo is not None else None


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    info: list[Info]
    graphs: Graphs


def build_graphs(program: Program) -> Graphs:
    return Graphs(
        program=program,
        topologies={p.name: topology_graph(p) for p in program.platforms},
        flows={p.name: flow_graph(p, program) for p in program.pipelines},
    )


class _DiGraphs(Mapping):  # type: ignore[type-arg]
    """Pipeline name -> ``networkx.DiGraph`` of its flow, converted on first use."""

    def __init__(self, flows: dict[str, Flow]) -> None:
        self.flows = flows
        self.graphs: dict[str, nx.DiGraph] = {}

    def __getitem__(self, name: str) -> nx.DiGraph:
        g = self.graphs.get(name)
        if g is None:
            g = self.graphs[name] = self.flows[name].to_networkx()
        return g

    def __iter__(self) -> Iterator[str]:
        return iter(self.flows)

    def __len__(self) -> int:
        return len(self.flows)


def check_program(program: Program) -> CheckResult:
    """Run every structure check on a program that resolved without errors."""
    graphs = build_graphs(program)
    checker = _Checker(program, graphs)
    checker.run()
    return CheckResult(checker.diags, checker.info, graphs)


class _Checker:
    def __init__(self, program: Program, graphs: Graphs) -> None:
        self.program = program
        self.graphs = graphs
        self.diags: list[Diagnostic] = []
        self.info: list[Info] = []
        self.devices: dict[str, Device] = {}
        for topo in graphs.topologies.values():
            self.devices.update(topo.devices)

    def error(self, code: str, message: str, span: Span, **kw: object) -> None:
        self.diags.append(Diagnostic(code, message, span, **kw))  # type: ignore[arg-type]

    def run(self) -> None:
        for pipeline in self.program.pipelines:
            g = self.graphs.flows[pipeline.name]
            self.dataflow(pipeline, g)
            placed_ok = True
            for stage in pipeline.stages:
                placed_ok &= self.placement(pipeline, stage)
            if placed_ok:
                self.connectivity(pipeline, g)
        for topo in self.graphs.topologies.values():
            self.hardware(topo)
        self.profiles()

    # ------------------------------------------------------------------------------ profiles
    def profiles(self) -> None:
        """One profile per model and device; each used by some LLM stage, and measured at that
        stage's tp."""
        profiles = self.program.profiles
        shadowed: set[str] = set()
        for i, prof in enumerate(profiles):
            first = next((p for p in profiles[:i] if p.covers(prof.device, prof.model)), None)
            if first is not None:
                shadowed.add(prof.name)
                self.error(
                    "E0423",
                    f"profiles `{first.name}` and `{prof.name}` both time `{prof.model}` on "
                    f"`{prof.device.type_name}`",
                    prof.span,
                    hint="put all the measurements (every tp) in one file, or drop one profile",
                    notes=(Note(f"`{first.name}` is declared here", first.span),),
                )
        used: set[str] = set()
        for pipeline in self.program.pipelines:
            for s in pipeline.stages:
                if s.kind not in LLM_STAGES or s.model is None:
                    continue
                specs = {self.devices[d].spec for d in s.devices if d in self.devices}
                for spec in sorted(specs, key=lambda d: d.type_name):
                    prof = self.program.profile_for(spec, s.model)
                    if prof is None:
                        continue
                    used.add(prof.name)
                    if prof.tps and s.tp not in prof.tps:
                        self.error(
                            "E0422",
                            f"stage `{s.name}` runs at tp = {s.tp}, but profile `{prof.name}` "
                            f"has no measurements at tp = {s.tp}",
                            s.span,
                            hint="measured at tp = " + ", ".join(map(str, prof.tps)),
                            notes=(Note("the profile is declared here", prof.span),),
                        )
        for prof in profiles:
            if prof.name not in used and prof.name not in shadowed:
                self.error(
                    "W0415",
                    f"profile `{prof.name}` is used by no stage: no LLM stage runs "
                    f"`{prof.model}` on `{prof.device.type_name}` devices",
                    prof.span,
                    hint="a profile applies to LLM stages whose model and device (same "
                    "datasheet) are the profile's",
                )

    # ------------------------------------------------------------------------------ dataflow
    def dataflow(self, pipeline: Pipeline, g: Flow) -> None:
        if len(pipeline.stages) < 1:
            return
        fwd = g.forward()
        # cycles without `loop`
        for cycle, closing_edge in _cycles(fwd, pipeline):
            closing = closing_edge["edge"]
            self.error(
                "E0410",
                f"the flow `{' -> '.join(cycle)}` goes round in a cycle",
                closing.span,
                hint=f"a back edge is written `loop {cycle[-2]} -> {cycle[-1]} max N`",
                label="this arrow closes the cycle",
            )
        entry = g.graph["entry"]
        reach: set[str] = set()
        if entry is None:
            self.error(
                "E0413",
                f"pipeline `{pipeline.name}` has no first stage: every stage has a stage before it",
                pipeline.span,
                hint="requests enter at a stage nothing flows into; break the cycle with `loop`",
            )
        else:
            reach = g.descendants(entry) | {entry}
            for s in pipeline.stages:
                if s.name in reach:
                    continue
                self.error(
                    "E0411",
                    f"no request reaches stage `{s.name}`",
                    s.span,
                    hint=f"requests enter at `{entry}`; add `{s.name}` to a flow from it",
                    notes=(
                        (Note(f"stage `{s.name}` is on no flow"),)
                        if g.degree(s.name) == 0
                        else (Note(f"`{s.name}` and `{entry}` both have no stage before them"),)
                    ),
                )
        exits = g.graph["exits"]
        if entry is not None and not exits:
            self.error(
                "E0413",
                f"pipeline `{pipeline.name}` has no last stage: every stage flows on",
                pipeline.span,
                hint="a response leaves from a stage with no flow out of it",
            )
        has_llm = any(s.kind in LLM_STAGES for s in pipeline.stages)
        has_decode = any(s.kind in ("decode", "generate") for s in pipeline.stages)
        if has_llm and len(pipeline.stages) > 1:
            for name in exits:
                s = pipeline.stage(name)
                if entry is not None and name not in reach:
                    continue  # already reported as unreachable
                if s.kind in ANSWERS or (s.kind == "prefill" and not has_decode):
                    continue
                what = payload_of(s, self.program).label()
                self.error(
                    "E0412",
                    f"the output of stage `{name}` ({what}) goes nowhere",
                    s.span,
                    hint=f"add a flow from `{name}` to the stage that uses it, e.g. "
                    f"`flow {name} -> {_next_llm(pipeline, s)}`",
                )
        # branch fractions
        for s in pipeline.stages:
            arms = [d for _, _, d in g.out_edges(s.name, data=True) if d["kind"] == "branch"]
            if not arms:
                continue
            total = sum(d["fraction"] for d in arms)
            if abs(total - 1.0) > TOLERANCE:
                first = min((d["edge"] for d in arms), key=lambda e: (e.span.line, e.span.col))
                parts = " + ".join(f"{d['fraction']:g}" for d in arms)
                self.error(
                    "E0414",
                    f"the branches out of `{s.name}` add up to {total:.6g}, not 1",
                    first.span,
                    hint="each request takes exactly one branch; make the fractions sum to 100%",
                    notes=(Note(f"{parts} = {total:.6g}"),),
                )
            others = [t for t in g.successors(s.name) if g.edges[s.name, t]["kind"] in ("next",)]
            if others:
                e = g.edges[s.name, others[0]]["edge"]
                self.error(
                    "E0414",
                    f"`{s.name}` both branches and flows on to `{others[0]}` unconditionally",
                    e.span,
                    hint=f"give `{others[0]}` a fraction inside the branch `( ... | ... )`",
                )

    # ------------------------------------------------------------------------------ placement
    def placement(self, pipeline: Pipeline, s: Stage) -> bool:
        """Devices, divisibility, kinds and fit of one stage; False when it cannot be placed."""
        ok = True
        devices = [self.devices[d] for d in s.devices if d in self.devices]
        if s.kind in NEEDS_DEVICES and not devices:
            what = "GPUs or accelerators" if s.kind in LLM_STAGES else "a CPU, GPU or accelerator"
            self.error(
                "E0415",
                f"stage `{s.name}` ({s.kind}) runs on no devices",
                s.span,
                hint=f"place it on {what} with `on PLATFORM.PATH`",
            )
            return False
        if s.kind == "kv_fetch":
            return True
        if s.kind in LLM_STAGES:
            bad = [d for d in devices if d.kind not in ACCELERATORS]
            if bad:
                kinds = _count_by(bad)
                self.error(
                    "E0416",
                    f"stage `{s.name}` ({s.kind}) is placed on {kinds}, which cannot serve an LLM",
                    s.span,
                    hint="LLM stages run on GPUs or accelerators; move the CPUs to an embed, "
                    "ivfpq, rerank or pre/postprocess stage",
                    notes=(Note(f"for example `{bad[0].path}` is a {bad[0].kind}"),),
                )
                ok = False
            per = s.tp * s.pp
            if len(devices) % per:
                self.error(
                    "E0417",
                    f"stage `{s.name}` has {len(devices)} devices, not a multiple of tp * pp = "
                    f"{s.tp} * {s.pp} = {per}",
                    s.span,
                    hint=f"each client takes {per} devices; use {len(devices) // per * per or per} "
                    f"or {(len(devices) // per + 1) * per} devices, or change tp/pp",
                )
                ok = False
        model = self.program.model(s.model) if s.model else None
        if model is None:
            return ok
        if s.kind in LLM_STAGES:
            ok &= self.shape(s, model)
        ok &= self.fit(pipeline, s, model, devices)
        if s.kind in LLM_STAGES and ok and (s.tp > 1 or s.pp > 1):
            self.tp_groups(s)
        return ok

    def shape(self, s: Stage, model) -> bool:  # type: ignore[no-untyped-def]
        problems = []
        if model.heads % s.tp:
            problems.append(f"tp = {s.tp} does not divide its {model.heads} attention heads")
        if not model.kv_latent and model.kv_heads % s.tp and s.tp % model.kv_heads:
            problems.append(
                f"tp = {s.tp} and its {model.kv_heads} KV heads do not divide one another"
            )
        if s.pp > model.layers:
            problems.append(f"pp = {s.pp} is more than its {model.layers} layers")
        if not problems:
            return True
        ok_tps = [t for t in (1, 2, 4, 8, 16, 32, 64) if model.heads % t == 0 and t <= model.heads]
        self.error(
            "E0420",
            f"stage `{s.name}` cannot split `{model.name}`: " + "; ".join(problems),
            s.span,
            hint="tp values that fit this model: " + ", ".join(map(str, ok_tps)),
        )
        return False

    def fit(self, pipeline: Pipeline, s: Stage, model, devices: list[Device]) -> bool:  # type: ignore[no-untyped-def]
        if s.kind not in (*LLM_STAGES, "embed", "rerank"):
            return True
        by_type: dict[str, Device] = {}
        for d in devices:
            by_type.setdefault(d.spec.type_name, d)
        ok = True
        fits = []
        for type_name, d in sorted(by_type.items()):
            if s.kind in LLM_STAGES:
                fit = kv_fit(s, model, d.spec)
            else:  # an encoder on one device
                from dataclasses import replace

                fit = kv_fit(replace(s, tp=1, pp=1), model, d.spec)
            fits.append(fit)
            split = f" with tp = {s.tp}, pp = {s.pp}" if s.kind in LLM_STAGES else ""
            if not fit.weights_fit:
                self.error(
                    "E0418",
                    f"the weights of `{model.name}` do not fit on {type_name}{split}: "
                    f"{format_bytes(fit.weights)} per device, {format_bytes(fit.usable)} usable",
                    s.span,
                    hint=_fit_hint(s, model, d),
                    notes=(
                        Note(
                            f"{model.params / 1e9:.3g}B parameters x "
                            f"{model.weight_bytes_per_param:g} bytes ({model.dtype}) = "
                            f"{format_bytes(model.weight_bytes)}; {type_name} has "
                            f"{format_bytes(d.spec.memory)} x memory_util "
                            f"{fit.memory_util:g}"
                        ),
                    ),
                )
                ok = False
                continue
            if s.kind not in LLM_STAGES:
                continue
            if fit.blocks < 1:
                self.error(
                    "E0419",
                    f"stage `{s.name}` leaves no room for a KV cache on {type_name}: "
                    f"{max(fit.free, 0) / 1e6:.3g} MB free after the weights, one block of "
                    f"{fit.kv_block} tokens needs "
                    f"{fit.kv_block * fit.kv_bytes_per_token / 1e6:.3g} MB",
                    s.span,
                    hint=_fit_hint(s, model, d),
                )
                ok = False
                continue
            profile = self.program.profile_for(d.spec, model.name)  # LLM stages only, here
            timings = (
                f"measured (profile `{profile.name}`)" if profile is not None else "analytical"
            )
            self.info.append(
                Info(
                    "kv_capacity",
                    f"{pipeline.name}.{s.name}: {s.clients} client{'s' * (s.clients != 1)} "
                    f"of {s.tp * s.pp} x {type_name}; weights {format_bytes(fit.weights)} and "
                    f"KV room {format_bytes(fit.free)} per device; "
                    f"{fit.tokens:,} KV tokens per client "
                    f"({format_bytes(fit.kv_bytes_per_token)}/token/device); "
                    f"kernel timings {timings}",
                    s.span,
                    pipeline.name,
                    s.name,
                    (
                        ("device_type", type_name),
                        ("tokens_per_client", fit.tokens),
                        ("weights_per_device", fit.weights),
                        ("free_per_device", fit.free),
                        ("max_context", model.max_context),
                        ("profile", profile.name if profile is not None else ""),
                    ),
                )
            )
        self.graphs.kv_fits[(pipeline.name, s.name)] = tuple(fits)
        return ok

    def tp_groups(self, s: Stage) -> None:
        per = s.tp * s.pp
        bad: list[tuple[str, ...]] = []
        pp_missing: list[tuple[str, str]] = []
        for c in range(len(s.devices) // per):
            chunk = s.devices[c * per : (c + 1) * per]
            groups = [chunk[i * s.tp : (i + 1) * s.tp] for i in range(s.pp)]
            for grp in groups:
                if s.tp > 1:
                    topo = self.graphs.topology_of(grp[0])
                    if topo is None or topo.common_link(grp) is None:
                        bad.append(grp)
            for a, b in itertools.pairwise(groups):
                if self.graphs.path(a[0], b[0]) is None:
                    pp_missing.append((a[0], b[0]))
        if bad:
            grp = bad[0]
            self.error(
                "E0421",
                f"{len(bad)} tensor-parallel group{'s' * (len(bad) != 1)} of stage `{s.name}` "
                f"{'is' if len(bad) == 1 else 'are'} not joined by one link",
                s.span,
                hint=f"a tp = {s.tp} group needs devices on one fabric (a node's NVLink); "
                "place the stage on whole nodes, or on a multiple of tp devices per node",
                notes=(Note("for example " + ", ".join(f"`{d}`" for d in grp)),),
            )
        if pp_missing:
            a, b = pp_missing[0]
            self.error(
                "W0410",
                f"{len(pp_missing)} pipeline-parallel hop{'s' * (len(pp_missing) != 1)} of "
                f"stage `{s.name}` cross no link",
                s.span,
                hint="join the devices with a link so activations can pass between pp stages",
                notes=(Note(f"no link joins `{a}` and `{b}`"),),
            )

    # ------------------------------------------------------------------------------ connectivity
    def connectivity(self, pipeline: Pipeline, g: Flow) -> None:
        stages = {s.name: s for s in pipeline.stages}
        fwd = g.forward()
        for s in pipeline.stages:
            if s.kind == "kv_fetch":
                self.kv_tiers(pipeline, s, fwd)
            if not s.devices:
                continue
            for t, edge in _next_placed(fwd, s.name, stages):
                self.transfer(pipeline, s, stages[t], edge.span)  # type: ignore[attr-defined]

    def transfer(self, pipeline: Pipeline, s: Stage, t: Stage, span: Span) -> None:
        payload = payload_of(s, self.program, t)
        tr = _transfer(self.graphs, s, t, payload)
        self.graphs.transfers[(pipeline.name, s.name, t.name)] = tr
        if tr.pairs == 0:
            return
        if tr.missing is not None:
            a, b = tr.missing
            self.error(
                "W0410",
                f"no link joins the devices of `{s.name}` and `{t.name}`",
                span,
                hint="add a link between them (e.g. `link net : InterNode connects n[*]`); "
                "until then the transfer is not modelled",
                notes=(
                    Note(f"`{a}` cannot reach `{b}`"),
                    Note(f"{tr.missing_count} of {tr.pairs} device pairs are not joined"),
                ),
            )
            return
        worst, best = tr.worst, tr.best
        assert worst is not None and best is not None
        self.info.append(
            Info(
                "transfer",
                f"{pipeline.name}: {s.name} -> {t.name} ({payload.label()}): "
                + _describe_range(worst, best),
                span,
                pipeline.name,
                t.name,
                (
                    ("source", s.name),
                    ("bottleneck_bandwidth", worst.bottleneck_bandwidth),
                    ("latency", worst.latency),
                    ("best_bandwidth", best.bottleneck_bandwidth),
                    ("best_latency", best.latency),
                ),
            )
        )

    def kv_tiers(self, pipeline: Pipeline, s: Stage, fwd: Flow) -> None:
        stages = {x.name: x for x in pipeline.stages}
        users = [
            stages[t] for t, _ in _next_placed(fwd, s.name, stages, lambda x: x.kind in LLM_STAGES)
        ]
        tiers = tuple(s.option("tiers", ()) or ())  # type: ignore[arg-type]
        for tier in tiers:
            topo = self.graphs.topology_of(tier)
            if topo is None or tier not in topo.memories:
                self.error("W0414", f"kv tier `{tier}` is not a memory of any platform", s.span)
                continue
            for u in users:
                classes: dict[object, list[str]] = {}
                for d in u.devices:
                    key = topo.device_class(d) if d in topo.devices else d
                    classes.setdefault(key, []).append(d)
                missing = []
                paths = []
                for members in classes.values():
                    d = members[0]
                    p = topo.memory_path(d, tier) if d in topo.devices else None
                    if p is None:
                        missing.extend(members)
                    else:
                        paths.append(p)
                if missing:
                    self.error(
                        "W0414",
                        f"{len(missing)} of the {len(u.devices)} devices of stage `{u.name}` "
                        f"cannot reach kv tier `{tier}`",
                        s.span,
                        hint="share the memory with the groups that hold those devices "
                        "(`shared_by`), or list a tier they can reach",
                        notes=(Note(f"for example `{missing[0]}`"),),
                    )
                elif paths:
                    worst = min(paths, key=lambda p: (p.bottleneck_bandwidth, -p.latency))
                    mem = topo.memories[tier].spec
                    self.info.append(
                        Info(
                            "kv_tier",
                            f"{pipeline.name}: {s.name} tier `{tier}` -> {u.name}: memory "
                            f"{_rate_text(mem.bandwidth)}, lookup {_time_text(mem.lookup)}; "
                            f"links: {worst.describe()}"
                            + (
                                f" ({_rate_text(worst.bottleneck_bandwidth)}, "
                                f"{_time_text(worst.latency)})"
                                if worst.links
                                else ""
                            ),
                            s.span,
                            pipeline.name,
                            s.name,
                            (
                                ("tier", tier),
                                ("bandwidth", min(mem.bandwidth, worst.bottleneck_bandwidth)),
                                ("latency", mem.lookup + worst.latency),
                            ),
                        )
                    )

    # ------------------------------------------------------------------------------ hardware
    def hardware(self, topo: Topology) -> None:
        seen: dict[Span, list[str]] = {}
        for lk in topo.platform.links:
            if len(set(lk.endpoints)) < 2:
                seen.setdefault(lk.span, []).append(lk.path)
        for span, paths in seen.items():
            lk = topo.links[paths[0]]
            n = len(set(lk.endpoints))
            what = "nothing" if n == 0 else f"only `{lk.endpoints[0]}`"
            many = f" (and {len(paths) - 1} more like it)" if len(paths) > 1 else ""
            self.error(
                "W0411",
                f"link `{paths[0]}` connects {what}{many}",
                span,
                hint="list what it joins: `link nv : NVLink4 connects g[*]`",
            )
        mem_seen: dict[Span, list[str]] = {}
        for m in topo.platform.memories:
            if not m.shared_by:
                mem_seen.setdefault(m.span, []).append(m.path)
        for span, paths in mem_seen.items():
            many = f" (and {len(paths) - 1} more like it)" if len(paths) > 1 else ""
            self.error(
                "W0413",
                f"memory `{paths[0]}` is shared by nothing{many}",
                span,
                hint="say who can use it: `memory pool : RackShared shared_by n[*]`",
            )
        if not self.program.pipelines:
            return
        used: set[str] = set()
        for p in self.program.pipelines:
            for s in p.stages:
                used.update(s.devices)
        unused = [d for d in topo.platform.devices if d.kind in ACCELERATORS and d.path not in used]
        if unused:
            total: dict[tuple[str, str], int] = {}
            for d in topo.platform.devices:
                if d.kind in ACCELERATORS:
                    key = (d.kind, d.spec.type_name)
                    total[key] = total.get(key, 0) + 1
            counts: dict[tuple[str, str], int] = {}
            for d in unused:
                key = (d.kind, d.spec.type_name)
                counts[key] = counts.get(key, 0) + 1
            parts = [
                f"{n} of {total[k]} {_plural(k[0], total[k])} ({k[1]})"
                for k, n in sorted(counts.items())
            ]
            self.error(
                "W0412",
                f"platform `{topo.platform.name}` has hardware no stage uses: " + ", ".join(parts),
                topo.platform.span,
                hint="place a stage on it, or leave it out of the platform",
                notes=(Note(f"for example `{unused[0].path}`"),),
            )


# ---------------------------------------------------------------------------------- helpers
def _order(pipeline: Pipeline, comp: Iterable[str]) -> int:
    names = [s.name for s in pipeline.stages]
    return min(names.index(n) for n in comp)


def _cycles(fwd: Flow, pipeline: Pipeline) -> list[tuple[list[str], dict]]:  # type: ignore[type-arg]
    """A cycle in each strongly connected component of ``fwd`` that has one, in declaration
    order, with the attributes of its closing edge (networkx is only needed when there is)."""
    if not fwd.has_cycle():
        return []
    import networkx as nx

    g = fwd.to_networkx()
    out = []
    for comp in sorted(nx.strongly_connected_components(g), key=lambda c: _order(pipeline, c)):
        if len(comp) == 1 and not g.has_edge(*(next(iter(comp)),) * 2):
            continue
        cycle = _cycle_in(g, comp, pipeline)
        out.append((cycle, g.edges[cycle[-2], cycle[-1]]))
    return out


def _cycle_in(g: nx.DiGraph, comp: set[str], pipeline: Pipeline) -> list[str]:
    """A cycle inside a strongly connected component, starting at its first declared stage."""
    import networkx as nx

    start = next(s.name for s in pipeline.stages if s.name in comp)
    sub = g.subgraph(comp)
    if sub.has_edge(start, start):
        return [start, start]
    # shortest way back to start
    path = None
    for succ in sorted(sub.successors(start), key=lambda n: _order(pipeline, [n])):
        try:
            back = nx.shortest_path(sub, succ, start)
        except nx.NetworkXNoPath:
            continue
        if path is None or len(back) < len(path):
            path = back
    assert path is not None
    return [start, *path]


def _next_llm(pipeline: Pipeline, s: Stage) -> str:
    for x in pipeline.stages:
        if x.kind in LLM_STAGES and x.name != s.name:
            return x.name
    return "NEXT"


def _next_placed(
    fwd: Flow,
    name: str,
    stages: dict[str, Stage],
    want=None,  # type: ignore[no-untyped-def]
) -> list[tuple[str, object]]:
    """The stages with devices that data from ``name`` reaches next, each with the edge that
    enters it, looking through stages that run on no devices (a kv_fetch, an unplaced
    pre/postprocess) or, with ``want``, through every stage ``want`` rejects."""
    accept = want or (lambda s: bool(s.devices))
    out: list[tuple[str, object]] = []
    seen = {name}
    todo = [(t, fwd.edges[name, t]["edge"]) for t in fwd.successors(name)]
    while todo:
        t, edge = todo.pop(0)
        if t in seen:
            continue
        seen.add(t)
        if accept(stages[t]):
            out.append((t, edge))
        else:
            todo.extend((u, fwd.edges[t, u]["edge"]) for u in fwd.successors(t))
    return out


def _transfer(graphs: Graphs, s: Stage, t: Stage, payload: Payload) -> Transfer:
    """Try one pair of devices per pair of device classes (see ``Topology.device_class``)."""
    tr = Transfer(s.name, t.name, payload)

    def classes(devices: tuple[str, ...]) -> dict[object, list[str]]:
        out: dict[object, list[str]] = {}
        for d in devices:
            topo = graphs.topology_of(d)
            key = (topo.platform.name, topo.device_class(d)) if topo else (d,)
            lst = out.setdefault(key, [])
            if len(lst) < 2:
                lst.append(d)
        return out

    src, dst = classes(s.devices), classes(t.devices)
    worst_key = best_key = None
    worst_pair = best_pair = None
    for ka, la in src.items():
        topo = graphs.topology_of(la[0])
        for kb, lb in dst.items():
            a, b = la[0], lb[0]
            if a == b:
                if len(lb) > 1:
                    b = lb[1]
                elif len(la) > 1:
                    a = la[1]
                else:
                    continue  # the same device: nothing moves
            tr.pairs += 1
            key = topo.path_key(a, b) if topo is not None and ka[0] == kb[0] else None
            if key is None:
                tr.missing_count += 1
                if tr.missing is None:
                    tr.missing = (a, b)
                continue
            if worst_key is None or key > worst_key:
                worst_key, worst_pair = key, (a, b)
            if best_key is None or key < best_key:
                best_key, best_pair = key, (a, b)
    if worst_pair is not None and best_pair is not None:
        tr.worst = graphs.path(*worst_pair)
        tr.best = graphs.path(*best_pair)
    return tr


def _describe_range(worst: PathInfo, best: PathInfo) -> str:
    if not worst.links:
        return "same devices or no link needed"
    text = (
        f"bottleneck {_rate_text(worst.bottleneck_bandwidth)}, latency "
        f"{_time_text(worst.latency)} over {worst.describe()}"
    )
    if (best.bottleneck_bandwidth, best.latency) != (worst.bottleneck_bandwidth, worst.latency):
        text += (
            f" (best {_rate_text(best.bottleneck_bandwidth)}, {_time_text(best.latency)}"
            f" over {best.describe()})"
        )
    return text


def _rate_text(bw: float) -> str:
    if math.isinf(bw):
        return "unlimited"
    return f"{bw / 1e9:.4g} GB/s"


def _time_text(t: float) -> str:
    if t >= 1e-3:
        return f"{t * 1e3:.4g} ms"
    return f"{t * 1e6:.4g} us"


def _plural(kind: str, n: int) -> str:
    word = {"gpu": "GPU", "cpu": "CPU", "accel": "accelerator"}.get(kind, kind)
    return word + ("s" if n != 1 else "")


def _count_by(devices: list[Device]) -> str:
    counts: dict[str, int] = {}
    for d in devices:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    return ", ".join(f"{n} {_plural(k, n)}" for k, n in sorted(counts.items()))


def _fit_hint(s: Stage, model, d: Device) -> str:  # type: ignore[no-untyped-def]
    if s.kind not in LLM_STAGES:
        return "place it on a device with more memory"
    need = model.weight_bytes / (d.spec.memory * DEFAULT_UTIL_HINT)
    tp = 1
    while tp < need * 1.15 and tp < 64:
        tp *= 2
    return (
        f"raise tp (tp = {tp} leaves room for the KV cache), use a smaller dtype "
        f"(`model m : {model.name} {{ dtype = fp8 }}`), or a device with more memory"
    )


DEFAULT_UTIL_HINT = 0.9
