"""Resolution: from the parsed root module and its imports to a typed, frozen ``Program``.

Each declaration is resolved on its own and a failure in one is reported and skipped, so a
spec with several mistakes gets a diagnostic for each of them in one run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hermes_dsl.diagnostics import Diagnostic, DiagnosticSink, Note, did_you_mean
from hermes_dsl.ir.experiment import (
    METRIC_DIMS,
    METRICS,
    STATISTICS,
    Experiment,
    ParamValue,
    Program,
    SloTerm,
    Sweep,
)
from hermes_dsl.ir.hardware import DeviceSpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.ir.pipeline import (
    BATCHING_POLICIES,
    LLM_STAGES,
    LOAD_MEASURES,
    PACKING,
    ROUTING_POLICIES,
    STAGE_KINDS,
    Batching,
    Edge,
    Pipeline,
    Route,
    Stage,
)
from hermes_dsl.ir.profile import PROFILE_FORMATS, Profile
from hermes_dsl.ir.workload import Distribution, Reasoning, Workload
from hermes_dsl.perf.profiles import ProfileError, VidurShape, read_profile, shape_mismatch
from hermes_dsl.resolve.hardware import Inst, PlatformBuilder, select
from hermes_dsl.resolve.loader import LoadedModule, Loader
from hermes_dsl.resolve.parts import Context, model_spec, part_spec
from hermes_dsl.resolve.schema import DEVICE_KINDS, GROUP_KINDS, HARDWARE_KINDS
from hermes_dsl.resolve.values import (
    PARAM_TYPES,
    Evaluator,
    Fn,
    Invalid,
    Qty,
    Seq,
    Sym,
    Text,
    Value,
    call_args,
    describe,
    span_of,
)
from hermes_dsl.source import SourceMap, Span
from hermes_dsl.syntax import ast
from hermes_dsl.syntax.parser import parse_module
from hermes_dsl.units import (
    BYTES,
    REQ_RATE,
    TIME,
    TOKENS,
    Dim,
)

TOP_LEVEL_KINDS = (
    "hardware",
    "model",
    "profile",
    "pipeline",
    "workload",
    "experiment",
    *HARDWARE_KINDS,
)
DATA_ENV = "HERMES_DATA"

# Stage kinds: (positional parameter names, required, {name: type}).
_QTY = "qty"
TIME_PER_TOKEN: Dim = (0, 0, 1, -1, 0, 0)
STAGE_ARGS: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, object]]] = {
    "preprocess": (("time",), (), {"time": TIME, "per_token": TIME_PER_TOKEN, "workers": int}),
    "postprocess": (
        ("time",),
        (),
        {"time": TIME, "per_token": TIME_PER_TOKEN, "workers": int},
    ),
    "embed": (("model",), ("model",), {"model": "model", "batch": int, "tokens": TOKENS}),
    "ivfpq": (
        (),
        ("centroids", "probes", "points_per_probe"),
        {
            "centroids": int,
            "probes": int,
            "points_per_probe": int,
            "dim": int,
            "code_bytes": BYTES,
            "docs": int,
            "doc_tokens": TOKENS,
            "batch": int,
        },
    ),
    "rerank": (
        ("model",),
        ("model",),
        {"model": "model", "docs": int, "doc_tokens": TOKENS, "keep": int, "batch": int},
    ),
    "kv_fetch": (
        ("model",),
        ("tiers", "hit"),
        {"model": "model", "tiers": "memories", "hit": "fractions", "shared": bool},
    ),
    "prefill": (
        ("model",),
        ("model",),
        {
            "model": "model",
            "tp": int,
            "pp": int,
            "batching": "batching",
            "kv_block": int,
            "memory_util": "fraction",
            "preemption": ("recompute", "swap"),
        },
    ),
}
STAGE_ARGS["decode"] = STAGE_ARGS["prefill"]
STAGE_ARGS["generate"] = STAGE_ARGS["prefill"]
STAGE_DEFAULTS: dict[str, dict[str, object]] = {
    "ivfpq": {"dim": 768, "code_bytes": 64.0, "docs": 20, "doc_tokens": 512.0, "batch": 1},
    "rerank": {"docs": 20, "doc_tokens": 512.0, "keep": 5, "batch": 1},
    "embed": {"batch": 1},
    "preprocess": {"time": 0.0, "per_token": 0.0, "workers": 1},
    "postprocess": {"time": 0.0, "per_token": 0.0, "workers": 1},
    "kv_fetch": {"shared": False},
}
BATCHING_ARGS = ("max_batch", "max_tokens", "packing")
RATE_METRICS = ("goodput", "throughput", "energy", "utilization")


@dataclass
class Resolution:
    program: Program | None
    diagnostics: list[Diagnostic]
    sources: SourceMap
    # Filled by the structure checks (hermes_dsl.check) when resolution had no errors:
    # facts such as KV capacity per client (check.Info), and the topology/dataflow graphs
    # (check.Graphs) that the renderer and the simulator reuse.
    info: list = field(default_factory=list)  # type: ignore[type-arg]
    graphs: object | None = None

    @property
    def ok(self) -> bool:
        return self.program is not None and not any(d.is_error for d in self.diagnostics)


def resolve_file(
    path: str | Path,
    params: dict[str, str] | None = None,
    search_paths: tuple[Path, ...] = (),
    data_paths: tuple[Path, ...] = (),
    text: str | None = None,
) -> Resolution:
    """Parse, load imports and resolve one spec.  Never raises on bad input."""
    sources = SourceMap()
    sink = DiagnosticSink()
    path = Path(path)
    if text is None:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as err:
            sink.error("E0203", f"cannot read `{path}`: {err.strerror}", hint="check the path")
            return Resolution(None, sink.sorted(), sources)
    loader = Loader(sources, sink, search_paths)
    root = loader.load_root(path, text)
    resolver = Resolver(root, loader, sink, sources, data_paths)
    program = resolver.run(params or {})
    return Resolution(program, sink.sorted(), sources)


class Resolver:
    def __init__(
        self,
        root: LoadedModule,
        loader: Loader,
        sink: DiagnosticSink,
        sources: SourceMap,
        data_paths: tuple[Path, ...],
    ) -> None:
        self.root = root
        self.loader = loader
        self.sink = sink
        self.sources = sources
        self.ctx = Context(sink)
        self.data_paths = data_paths + tuple(
            Path(p) for p in os.environ.get(DATA_ENV, "").split(os.pathsep) if p
        )
        self.platforms: dict[str, Inst] = {}
        self.models: dict[str, ModelSpec] = {}
        self.param_types: dict[str, str] = {}
        self._missing: set[str] = set()  # trace files already reported missing

    # ------------------------------------------------------------------------------ driver
    def run(self, overrides: dict[str, str]) -> Program:
        params = self._params(overrides)
        for module in self.loader.loaded.values():
            if module is not self.root:
                self._module_params(module)
        decls = self.root.ast.decls
        builders: list[tuple[PlatformBuilder, Inst]] = []
        for d in decls:
            if d.kind == "hardware":
                builder = PlatformBuilder(self.ctx)
                try:
                    root = builder.build(d, self.root)
                except Invalid:
                    continue
                self.platforms[d.name] = root
                builders.append((builder, root))
        for builder, _ in builders:
            builder.finish(self.platforms)
        platforms = [builder.platform(root) for builder, root in builders]
        for d in decls:
            if d.kind == "model":
                self._model_decl(d)
            elif d.kind in ("pipeline", "workload", "experiment", "hardware", "profile"):
                continue
            elif d.kind in HARDWARE_KINDS:
                self._template(d)
        profiles = [p for d in decls if d.kind == "profile" if (p := self._profile(d))]
        self._imported_profiles()
        workloads = [w for d in decls if d.kind == "workload" if (w := self._workload(d))]
        pipelines = [p for d in decls if d.kind == "pipeline" if (p := self._pipeline(d))]
        experiments = [
            e for d in decls if d.kind == "experiment" if (e := self._experiment(d, pipelines))
        ]
        return Program(
            file=self.sources_name(),
            params=tuple(params),
            models=tuple(self.models.values()),
            platforms=tuple(platforms),
            pipelines=tuple(pipelines),
            workloads=tuple(workloads),
            experiments=tuple(experiments),
            profiles=tuple(profiles),
        )

    def sources_name(self) -> str:
        return self.loader.display_name(self.root.path)

    # ------------------------------------------------------------------------------ params
    def _param_value(self, ev: Evaluator, p: ast.Param, expr: ast.Expr) -> Value:
        value = ev.eval(expr)
        want = PARAM_TYPES[p.type]
        c = self.ctx.coerce
        if want == "int":
            c.integer(value, p.name)
        elif want == "bool":
            c.boolean(value, p.name)
        elif want == "string":
            c.string(value, p.name)
        elif want == "fraction":
            c.fraction(value, p.name)
        else:
            c.quantity(value, want, p.name)  # type: ignore[arg-type]
        return value

    def _check_param_type(self, p: ast.Param) -> bool:
        if p.type in PARAM_TYPES:
            return True
        guess = did_you_mean(p.type, PARAM_TYPES)
        self.sink.error(
            "E0309",
            f"unknown param type `{p.type}`",
            p.type_span,
            hint=f"did you mean `{guess}`?" if guess else "types: " + ", ".join(PARAM_TYPES),
        )
        return False

    def _module_params(self, module: LoadedModule) -> None:
        ev = self.ctx.evaluator(module)
        for p in module.ast.params:
            if self._check_param_type(p):
                try:
                    ev.params[p.name] = self._param_value(ev, p, p.default)
                except Invalid:
                    ev.failed.add(p.name)

    def _params(self, overrides: dict[str, str]) -> list[ParamValue]:
        ev = self.ctx.evaluator(self.root)
        out = []
        declared = {}
        for p in self.root.ast.params:
            if p.name in declared:
                self.sink.error("E0202", f"param `{p.name}` is declared twice", p.name_span)
                continue
            declared[p.name] = p
            if not self._check_param_type(p):
                continue
            self.param_types[p.name] = p.type
            try:
                if p.name in overrides:
                    expr = self._parse_override(p, overrides[p.name])
                    if expr is None:
                        ev.failed.add(p.name)
                        continue
                    value = self._param_value(ev, p, expr)
                else:
                    value = self._param_value(ev, p, p.default)
            except Invalid:
                ev.failed.add(p.name)
                continue
            ev.params[p.name] = value
            out.append(ParamValue(p.name, p.type, _plain(value), p.span))
        for name in overrides:
            if name not in declared:
                guess = did_you_mean(name, declared)
                self.sink.error(
                    "E0211",
                    f"`-p {name}=...` sets a param the spec does not declare",
                    hint=f"did you mean `{guess}`?"
                    if guess
                    else (
                        "declared params: " + ", ".join(declared)
                        if declared
                        else "the spec declares no params"
                    ),
                )
        return out

    def _parse_override(self, p: ast.Param, text: str) -> ast.Expr | None:
        """Parse ``-p name=VALUE`` with the language's own grammar, as a param default."""
        name = f"<-p {p.name}>"
        src = self.sources.add(name, f"hermes 1; param {p.name}: {p.type} = {text}\n")
        sink = DiagnosticSink()
        module = parse_module(src, sink)
        if sink.has_errors or not module.params:
            self.sink.error(
                "E0310",
                f"cannot read `{text}` as a value for param `{p.name}`",
                hint="write it as in a spec, e.g. `-p rate=30req/s` or `-p name='\"text\"'`",
            )
            return None
        return module.params[0].default

    # ------------------------------------------------------------------------------ parts
    def _template(self, d: ast.Decl) -> None:
        """Check a part template even when no platform uses it (stdlib files, libraries)."""
        if d.kind in GROUP_KINDS:
            builder = PlatformBuilder(self.ctx)
            try:
                builder.build(d, self.root)
                builder.finish({})
            except Invalid:
                pass
            return
        try:
            part_spec(self.ctx, d, self.root, d.name)
        except Invalid:
            pass

    def _model_decl(self, d: ast.Decl) -> ModelSpec | None:
        if d.count is not None or d.connects or d.shared_by:
            self.sink.error("E0401", "a model has no count, `connects` or `shared_by`", d.span)
        try:
            spec = model_spec(self.ctx, d, self.root, d.name)
        except Invalid:
            return None
        self.models.setdefault(d.name, spec)
        return spec

    def model_ref(self, module: LoadedModule, v: Value, what: str) -> str:
        """The name (in Program.models) of the model a value names, resolving it if needed."""
        if not isinstance(v, Sym):
            self.sink.error("E0305", f"`{what}` expects a model, found {describe(v)}", span_of(v))
            raise Invalid
        found = self.ctx.lookup(module, v.ref)
        if found is None or found[0].kind != "model":
            if found is not None:
                self.sink.error(
                    "E0209",
                    f"`{v.ref.dotted}` is a {found[0].kind}, not a model",
                    v.span,
                )
                raise Invalid
            self.ctx.unknown(module, v.ref, "model", ("model",))
            raise Invalid
        decl, mod = found
        name = v.ref.dotted
        if name not in self.models:
            self.models[name] = model_spec(self.ctx, decl, mod, name)
        return name

    # ------------------------------------------------------------------------------ pipelines
    def _pipeline(self, d: ast.Decl) -> Pipeline | None:
        stages: dict[str, Stage] = {}
        declared: dict[str, ast.Stage] = {}
        flows: list[ast.Flow] = []
        loops: list[ast.Loop] = []
        routes: list[Route] = []
        for m in d.body or ():
            if isinstance(m, ast.Stage):
                if m.name in declared:
                    self.sink.error(
                        "E0202",
                        f"stage `{m.name}` is declared twice",
                        m.name_span,
                        hint="give one of them another name",
                        notes=(Note("first declared here", declared[m.name].name_span),),
                    )
                    continue
                declared[m.name] = m
                try:
                    stages[m.name] = self._stage(m)
                except Invalid:
                    pass
            elif isinstance(m, ast.Flow):
                flows.append(m)
            elif isinstance(m, ast.Loop):
                loops.append(m)
            elif isinstance(m, ast.Route):
                routes.append(m)  # type: ignore[arg-type]
            else:
                self._misplaced(m, "pipeline")
        edges: list[Edge] = []
        for f in flows:
            edges.extend(self._flow(f, declared))
        for lp in loops:
            ok = all(self._known_stage(s, declared) for s in (lp.source, lp.target))
            try:
                times = self.ctx.coerce.integer(
                    self.ctx.evaluator(self.root).eval(lp.times), "max", lo=1
                )
            except Invalid:
                continue
            if ok:
                edges.append(Edge(lp.source.name, lp.target.name, "loop", 1.0, times, lp.span))
        resolved_routes = []
        for r in routes:
            route = self._route(r, declared)  # type: ignore[arg-type]
            if route is not None:
                resolved_routes.append(route)
        if len(stages) != len(declared):
            return None
        return Pipeline(
            d.name, tuple(stages.values()), tuple(edges), tuple(resolved_routes), d.name_span
        )

    def _misplaced(self, m: object, where: str) -> None:
        if isinstance(m, ast.Decl):
            self.sink.error(
                "E0401",
                f"a `{m.kind}` cannot be declared inside a {where}",
                m.kind_span,
                hint=f"declare the {m.kind} at the top level",
            )
            return
        if isinstance(m, ast.Field):
            self.sink.error(
                "E0308",
                f"a {where} has no field `{m.name}`",
                m.name_span,
                hint="a pipeline holds `stage`, `flow`, `loop` and `route` lines"
                if where == "pipeline"
                else "an experiment holds `run`, `slo`, `sweep`, `report`, `seed` and `horizon`",
            )
            return
        word = type(m).__name__.lower()
        hint = (
            "runs, SLOs, sweeps and reports belong in an `experiment`"
            if where == "pipeline"
            else "stages, flows, loops and routes belong in a `pipeline`"
        )
        self.sink.error("E0401", f"a `{word}` cannot appear in a {where}", m.span, hint=hint)  # type: ignore[attr-defined]

    def _known_stage(self, s: ast.FlowStage, declared: dict[str, ast.Stage]) -> bool:
        if s.name in declared:
            return True
        guess = did_you_mean(s.name, declared)
        self.sink.error(
            "E0212",
            f"no stage named `{s.name}` in this pipeline",
            s.span,
            hint=f"did you mean `{guess}`?" if guess else "declare it with `stage NAME = ...`",
        )
        return False

    def _flow(self, f: ast.Flow, declared: dict[str, ast.Stage]) -> list[Edge]:
        edges: list[Edge] = []
        ev = self.ctx.evaluator(self.root)
        for a, b in zip(f.nodes, f.nodes[1:], strict=False):
            sources = _exits(a)
            for s in (*sources, *_exits(b)):
                self._known_stage(s, declared)
            if isinstance(b, ast.FlowBranch):
                for target, weight in b.arms:
                    try:
                        frac = self.ctx.coerce.fraction(ev.eval(weight), "branch fraction")
                    except Invalid:
                        continue
                    for s in sources:
                        edges.append(Edge(s.name, target.name, "branch", frac, 0, weight.span))
            else:
                kind = "fan" if isinstance(b, ast.FlowFan) else "next"
                for target in _exits(b):
                    for s in sources:
                        edges.append(Edge(s.name, target.name, kind, 1.0, 0, target.span))
        return [e for e in edges if e.source in declared and e.target in declared]

    def _route(self, r: ast.Route, declared: dict[str, ast.Stage]) -> Route | None:
        if not self._known_stage(ast.FlowStage(r.stage, r.stage_span), declared):
            return None
        ev = self.ctx.evaluator(self.root)
        try:
            v = ev.eval(r.policy)
            if isinstance(v, Sym):
                name = self.ctx.coerce.symbol(v, "routing policy", ROUTING_POLICIES)
                return Route(r.stage, name, span=r.span)
            if not isinstance(v, Fn):
                self.ctx.coerce.fail(
                    "E0305", f"a route needs a policy, found {describe(v)}", span_of(v)
                )
            fn: Fn = v  # type: ignore[assignment]
            self._known_function(fn, ROUTING_POLICIES, "routing policy")
            if fn.name == "least_loaded":
                args = call_args(fn, ("measure",), self.sink)
                measure = "queued_tokens"
                if "measure" in args:
                    m = args["measure"]
                    if isinstance(m, Sym) and m.ref.simple == "tokens":
                        measure = "queued_tokens"
                    else:
                        measure = self.ctx.coerce.symbol(m, "load measure", LOAD_MEASURES)
                return Route(r.stage, fn.name, measure, span=r.span)
            if fn.name == "heavy_light":
                args = call_args(fn, ("threshold", "heavy"), self.sink, required=("threshold",))
                threshold = self.ctx.coerce.quantity(args["threshold"], TOKENS, "threshold")
                heavy = self.ctx.coerce.fraction(args["heavy"], "heavy") if "heavy" in args else 0.5
                opts = (("threshold", threshold), ("heavy", heavy))
                return Route(r.stage, fn.name, "queued_tokens", opts, r.span)
            if fn.name == "random":
                args = call_args(fn, ("seed",), self.sink)
                seed = self.ctx.coerce.integer(args["seed"], "seed") if "seed" in args else 0
                return Route(r.stage, fn.name, options=(("seed", seed),), span=r.span)
            call_args(fn, (), self.sink)
            return Route(r.stage, fn.name, span=r.span)
        except Invalid:
            return None

    def _known_function(self, fn: Fn, names: tuple[str, ...], what: str) -> None:
        if fn.name in names:
            return
        guess = did_you_mean(fn.name, names)
        self.sink.error(
            "E0210",
            f"unknown {what} `{fn.name}`",
            fn.name_span,
            hint=f"did you mean `{guess}`?" if guess else "one of: " + ", ".join(names),
        )
        raise Invalid

    def _stage(self, m: ast.Stage) -> Stage:
        ev = self.ctx.evaluator(self.root)
        fn = ev.eval(m.call)
        assert isinstance(fn, Fn)
        self._known_function(fn, STAGE_KINDS, "stage kind")
        positional, required, types = STAGE_ARGS[fn.name]
        names = positional + tuple(k for k in types if k not in positional)
        args = call_args(fn, names, self.sink, required=required)
        options: dict[str, object] = dict(STAGE_DEFAULTS.get(fn.name, {}))
        model = None
        tp = pp = 1
        batching = None
        failed = False
        for key, value in args.items():
            t = types[key]
            try:
                if t == "model":
                    model = self.model_ref(self.root, value, key)
                elif key == "tp":
                    tp = self.ctx.coerce.integer(value, key, lo=1)
                elif key == "pp":
                    pp = self.ctx.coerce.integer(value, key, lo=1)
                elif t == "batching":
                    batching = self._batching(value)
                else:
                    options[key] = self._option(key, t, value)
            except Invalid:
                failed = True
        if fn.name in LLM_STAGES and batching is None and not failed:
            batching = Batching("continuous")
        if fn.name == "kv_fetch" and "tiers" in options and "hit" in options:
            tiers, hits = options["tiers"], options["hit"]
            if len(tiers) != len(hits):  # type: ignore[arg-type]
                self.sink.error(
                    "E0312",
                    f"`kv_fetch` has {len(tiers)} tiers but {len(hits)} hit rates",  # type: ignore[arg-type]
                    m.call.span,
                    hint="give one hit rate per tier, in the same order",
                )
                failed = True
        devices: list[str] = []
        for ref in m.on:
            try:
                for inst in select(self.ctx, ref, None, self.platforms):
                    devices.extend(_leaf_devices(inst))
            except Invalid:
                failed = True
        if failed:
            raise Invalid
        return Stage(
            name=m.name,
            kind=fn.name,
            model=model,
            devices=tuple(dict.fromkeys(devices)),
            tp=tp,
            pp=pp,
            batching=batching,
            options=tuple(sorted(options.items())),
            span=m.span,
        )

    def _option(self, key: str, t: object, value: Value) -> object:
        c = self.ctx.coerce
        if t is int:
            return c.integer(value, key, lo=0)
        if t is bool:
            return c.boolean(value, key)
        if t == "fraction":
            return c.fraction(value, key)
        if t == "fractions":
            return tuple(c.fraction(v, key) for v in c.seq(value, key))
        if t == "memories":
            out = []
            for v in c.seq(value, key):
                if not isinstance(v, Sym):
                    c.fail("E0305", f"`{key}` expects memories, found {describe(v)}", span_of(v))
                for inst in select(self.ctx, v.ref, None, self.platforms):  # type: ignore[union-attr]
                    if inst.kind != "memory":
                        c.fail(
                            "E0209",
                            f"`{inst.path}` is a {inst.kind}, not a memory",
                            v.span,  # type: ignore[union-attr]
                        )
                    out.append(inst.path)
            return tuple(out)
        if isinstance(t, tuple) and isinstance(t[0], str):
            return c.symbol(value, key, t)  # type: ignore[arg-type]
        return c.quantity(value, t, key)  # type: ignore[arg-type]

    def _batching(self, v: Value) -> Batching:
        c = self.ctx.coerce
        if isinstance(v, Sym):
            return Batching(c.symbol(v, "batching", BATCHING_POLICIES), span=v.span)
        if not isinstance(v, Fn):
            c.fail(
                "E0305",
                f"`batching` expects a policy such as `continuous(max_batch = 128)`, "
                f"found {describe(v)}",
                span_of(v),
            )
        fn: Fn = v  # type: ignore[assignment]
        self._known_function(fn, BATCHING_POLICIES, "batching policy")
        args = call_args(fn, BATCHING_ARGS, self.sink)
        kw: dict[str, object] = {}
        if "max_batch" in args:
            kw["max_batch"] = c.integer(args["max_batch"], "max_batch", lo=1)
        if "max_tokens" in args:
            kw["max_tokens"] = int(c.quantity(args["max_tokens"], TOKENS, "max_tokens"))
            if kw["max_tokens"] < 1:  # type: ignore[operator]
                c.fail("E0304", "`max_tokens` must be at least 1", span_of(args["max_tokens"]))
        if "packing" in args:
            kw["packing"] = c.symbol(args["packing"], "packing", PACKING)
        return Batching(fn.name, span=fn.span, **kw)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------ field blocks
    def _block_fields(
        self,
        d: ast.Decl,
        names: tuple[str, ...],
        required: tuple[str, ...],
        examples: dict[str, str],
    ) -> tuple[dict[str, ast.Field], bool]:
        """The fields of a workload or profile block, reporting unknown and missing ones."""
        fields: dict[str, ast.Field] = {}
        for m in d.body or ():
            if isinstance(m, ast.Field):
                if m.name not in names:
                    guess = did_you_mean(m.name, names)
                    self.sink.error(
                        "E0308",
                        f"a {d.kind} has no field `{m.name}`",
                        m.name_span,
                        hint=f"did you mean `{guess}`?" if guess else "fields: " + ", ".join(names),
                    )
                    continue
                if m.name in fields:
                    self.sink.error(
                        "E0202",
                        f"`{m.name}` is given twice in {d.kind} `{d.name}`",
                        m.name_span,
                        hint="keep one of them",
                        notes=(Note("first given here", fields[m.name].name_span),),
                    )
                    continue
                fields[m.name] = m
            else:
                self._misplaced(m, d.kind)
        ok = True
        for req in required:
            if req not in fields:
                self.sink.error(
                    "E0307",
                    f"{d.kind} `{d.name}` is missing `{req}`",
                    d.name_span,
                    hint=f"add `{req} = ...`, e.g. `{examples[req]}`",
                )
                ok = False
        return fields, ok

    # ------------------------------------------------------------------------------ profiles
    def _profile(self, d: ast.Decl) -> Profile | None:
        fields, ok = self._block_fields(
            d, PROFILE_FIELDS, ("device", "model", "data"), PROFILE_EXAMPLES
        )
        if not ok or d.count is not None or d.base is not None or d.connects or d.shared_by:
            if ok:
                self.sink.error(
                    "E0401", "a profile has no count, base, `connects` or `shared_by`", d.span
                )
            return None
        ev = self.ctx.evaluator(self.root)
        c = self.ctx.coerce
        try:
            device = self._device_part(ev.eval(fields["device"].value))
            model = self.model_ref(self.root, ev.eval(fields["model"].value), "model")
            data = ev.eval(fields["data"].value)
            path = self._data_file(c.string(data, "data"), span_of(data), "profile")
            fmt = None
            if "format" in fields:
                fmt = c.symbol(ev.eval(fields["format"].value), "format", PROFILE_FORMATS)
        except Invalid:
            return None
        if not Path(path).is_absolute():  # not found: reported by _data_file, read at run time
            return Profile(d.name, device, model, path, fmt or "", (), d.name_span)
        try:
            table = read_profile(path, fmt)
        except (OSError, ProfileError) as err:
            reason = err.strerror if isinstance(err, OSError) else str(err)
            self.sink.error(
                "E0313",
                f"cannot use profile file `{data.value}`: {reason}",  # type: ignore[union-attr]
                span_of(data),
                hint="see `hermes explain E0313` for the two formats a profile may have",
            )
            return None
        if table.shape is not None:
            self._check_profile_shape(table.shape, self.models[model], span_of(data))
        # The format stays as the spec gives it: an unnamed one is told from the file again
        # when the run reads it, so a compiled module does not depend on the file's contents.
        return Profile(d.name, device, model, path, fmt or "", table.tps, d.name_span)

    def _imported_profiles(self) -> None:
        """A profile applies to the spec that declares it: importing one would do nothing."""
        for imp in self.root.ast.imports:
            for name in (
                (n.alias or n.name for n in imp.names)
                if imp.names
                else (imp.alias or imp.path[-1],)
            ):
                found = self.root.decls.get(name)
                if found is not None and found[0].kind == "profile" and found[1] is not self.root:
                    self.sink.error(
                        "E0401",
                        f"`{name}` is a profile: profiles cannot be imported",
                        imp.span,
                        hint="declare the profile in the spec that runs (a library can export "
                        "the model and device parts it names)",
                    )

    def _device_part(self, v: Value) -> DeviceSpec:
        """The datasheet of the device part (``gpu``, ``cpu`` or ``accel`` declaration) named."""
        if not isinstance(v, Sym):
            self.ctx.coerce.fail(
                "E0305", f"`device` expects a device part, found {describe(v)}", span_of(v)
            )
        found = self.ctx.lookup(self.root, v.ref)  # type: ignore[union-attr]
        if found is None:
            self.ctx.unknown(self.root, v.ref, "device part", DEVICE_KINDS)  # type: ignore[union-attr]
            raise Invalid
        decl, module = found
        if decl.kind not in DEVICE_KINDS:
            self.ctx.coerce.fail(
                "E0209",
                f"`{v.ref.dotted}` is a {decl.kind}, not a device part",  # type: ignore[union-attr]
                v.span,  # type: ignore[union-attr]
                hint="name the gpu, cpu or accel part the timings were measured on",
            )
        return part_spec(self.ctx, decl, module, v.ref.dotted)  # type: ignore[union-attr,return-value]

    def _check_profile_shape(self, shape: VidurShape, model: ModelSpec, span: Span) -> None:
        """A Vidur file records the shape it was measured with; it must be the model's."""
        why = shape_mismatch(shape, model)
        if why is not None:
            self.sink.error("E0314", why, span, hint="use the profile of this model, or profile it")

    # ------------------------------------------------------------------------------ workloads
    def _workload(self, d: ast.Decl) -> Workload | None:
        fields, ok = self._block_fields(
            d, WORKLOAD_FIELDS, ("arrival", "prompt", "output"), WORKLOAD_EXAMPLES
        )
        ev = self.ctx.evaluator(self.root)
        c = self.ctx.coerce
        values: dict[str, object] = {}
        for name, f in fields.items():
            try:
                v = ev.eval(f.value)
                if name == "arrival":
                    values[name] = self._distribution(v, ARRIVAL_ARGS, "arrival")
                elif name in ("prompt", "output"):
                    if isinstance(v, Qty):
                        n = c.quantity(v, TOKENS, name)
                        values[name] = Distribution("fixed", (("value", n),), span=v.span)
                    else:
                        values[name] = self._distribution(v, LENGTH_ARGS, name)
                elif name == "prefix":
                    values[name] = self._distribution(v, {"trace": PREFIX_TRACE}, name)
                elif name == "reasoning":
                    values[name] = self._reasoning(v)
                elif name == "requests":
                    values[name] = c.integer(v, name, lo=1)
                elif name == "duration":
                    values[name] = c.quantity(v, TIME, name)
            except Invalid:
                ok = False
        if not ok:
            return None
        return Workload(
            name=d.name,
            arrival=values["arrival"],  # type: ignore[arg-type]
            prompt=values["prompt"],  # type: ignore[arg-type]
            output=values["output"],  # type: ignore[arg-type]
            reasoning=values.get("reasoning", Reasoning()),  # type: ignore[arg-type]
            requests=values.get("requests", 1000),  # type: ignore[arg-type]
            duration=values.get("duration", 0.0),  # type: ignore[arg-type]
            prefix=values.get("prefix"),  # type: ignore[arg-type]
            span=d.name_span,
        )

    def _distribution(self, v: Value, table: dict[str, DistArgs], what: str) -> Distribution:
        c = self.ctx.coerce
        if not isinstance(v, Fn):
            example = next(iter(table.values())).example
            c.fail(
                "E0305",
                f"`{what}` expects a distribution, found {describe(v)}",
                span_of(v),
                hint=f"for example `{example}`",
            )
        fn: Fn = v  # type: ignore[assignment]
        self._known_function(fn, tuple(table), f"{what} distribution")
        spec = table[fn.name]
        args = call_args(fn, spec.names, self.sink, required=spec.required)
        params = []
        path = column = ""
        for key, value in args.items():
            t = spec.types[key]
            if key == "path":
                path = self._data_file(c.string(value, key), value.span)  # type: ignore[union-attr]
            elif key == "column":
                column = c.string(value, key)
            elif t == "cv":
                params.append((key, c.number(value, key, lo=0.0)))
            else:
                x = c.quantity(value, t, key)  # type: ignore[arg-type]
                if x < 0:
                    c.fail("E0304", f"`{key}` cannot be negative", span_of(value))
                params.append((key, x))
        for key, default in spec.defaults.items():
            if key not in args:
                if key == "column":
                    column = str(default)
                else:
                    params.append((key, default))  # type: ignore[arg-type]
        self._check_bounds(fn, dict(params))
        return Distribution(fn.name, tuple(params), path, column, fn.span)

    def _check_bounds(self, fn: Fn, p: dict[str, float]) -> None:
        lo, hi = p.get("min"), p.get("max")
        if lo is not None and hi is not None and lo > hi:
            self.ctx.coerce.fail("E0304", "`min` is larger than `max`", fn.span)
        if fn.name in ("poisson", "uniform", "normal", "gamma") and "rate" in p and p["rate"] <= 0:
            self.ctx.coerce.fail("E0304", "an arrival rate must be positive", fn.span)

    def _data_file(self, text: str, span: Span, what: str = "trace") -> str:
        """Data files: relative to the spec's folder, then ``--data`` folders and $HERMES_DATA."""
        candidates = [self.root.path.parent / text] + [Path(d) / text for d in self.data_paths]
        for cand in candidates:
            if cand.is_file():
                return str(cand.resolve())
        if text in self._missing:
            return text
        self._missing.add(text)
        self.sink.error(
            "W0214" if what == "trace" else "W0215",
            f"{what} file `{text}` not found",
            span,
            hint=f"looked beside the spec and in --data folders; set {DATA_ENV} or pass "
            "`--data DIR`; running this spec needs the file",
        )
        return text

    def _reasoning(self, v: Value) -> Reasoning:
        c = self.ctx.coerce
        if isinstance(v, Sym):
            c.symbol(v, "reasoning", ("none",))
            return Reasoning()
        if not isinstance(v, Fn):
            c.fail(
                "E0305",
                f"`reasoning` expects `single(...)` or `parallel(...)`, found {describe(v)}",
                span_of(v),
            )
        fn: Fn = v  # type: ignore[assignment]
        self._known_function(fn, ("single", "parallel", "none"), "reasoning transform")
        if fn.name == "none":
            call_args(fn, (), self.sink)
            return Reasoning()
        if fn.name == "single":
            args = call_args(fn, ("scale",), self.sink, required=("scale",))
            return Reasoning("single", c.number(args["scale"], "scale", lo=1.0))
        args = call_args(fn, ("branches", "scale"), self.sink, required=("branches",))
        scale = c.number(args["scale"], "scale", lo=1.0) if "scale" in args else 1.0
        return Reasoning("parallel", scale, c.integer(args["branches"], "branches", lo=1))

    # ------------------------------------------------------------------------------ experiments
    def _experiment(self, d: ast.Decl, pipelines: list[Pipeline]) -> Experiment | None:
        runs, slos, sweeps, reports = [], [], [], []
        seed, horizon = 0, 0.0
        ev = self.ctx.evaluator(self.root)
        c = self.ctx.coerce
        ok = True
        for m in d.body or ():
            if isinstance(m, ast.Run):
                runs.append(m)
            elif isinstance(m, ast.Slo):
                slos.extend(m.items)
            elif isinstance(m, ast.Sweep):
                sweeps.append(m)
            elif isinstance(m, ast.Report):
                reports.extend(m.metrics)
            elif isinstance(m, ast.Field) and m.name in ("seed", "horizon"):
                try:
                    if m.name == "seed":
                        seed = c.integer(ev.eval(m.value), "seed", lo=0)
                    else:
                        horizon = c.quantity(ev.eval(m.value), TIME, "horizon")
                except Invalid:
                    ok = False
            else:
                self._misplaced(m, "experiment")
        if not runs:
            self.sink.error(
                "E0407",
                f"experiment `{d.name}` does not say what to run",
                d.name_span,
                hint="add `run PIPELINE with WORKLOAD`",
            )
            return None
        if len(runs) > 1:
            self.sink.error(
                "E0407",
                "an experiment runs one pipeline with one workload",
                runs[1].span,
                hint="declare a second experiment for another combination",
            )
        run = runs[0]
        pipeline_names = [p.name for p in self.root.ast.decls if p.kind == "pipeline"]
        workload_names = [w.name for w in self.root.ast.decls if w.kind == "workload"]
        for name, names, span, what in (
            (run.pipeline, pipeline_names, run.pipeline_span, "pipeline"),
            (run.workload, workload_names, run.workload_span, "workload"),
        ):
            if name not in names:
                ok = False
                if name in self.root.poisoned:
                    continue
                guess = did_you_mean(name, names)
                self.sink.error(
                    "E0201",
                    f"unknown {what} `{name}`",
                    span,
                    hint=f"did you mean `{guess}`?" if guess else f"declare `{what} {name} {{ }}`",
                )
        pipeline = next((p for p in pipelines if p.name == run.pipeline), None)
        stage_names = {s.name for s in pipeline.stages} if pipeline else set()
        slo_terms = []
        for item in slos:
            try:
                metric, stat = self._metric(item.metric, stage_names, require_stat=True)
                dim = METRIC_DIMS.get(metric, TIME)
                bound = c.quantity(ev.eval(item.bound), dim, item.metric.dotted)
                slo_terms.append(SloTerm(metric, stat, item.op, bound, item.span))
            except Invalid:
                ok = False
        report = []
        for ref in reports:
            try:
                metric, stat = self._metric(ref, stage_names, require_stat=False)
                report.append(f"{metric}.{stat}" if stat else metric)
            except Invalid:
                ok = False
        sweep_ir = []
        for sw in sweeps:
            try:
                sweep_ir.append(self._sweep(sw))
            except Invalid:
                ok = False
        if not ok:
            return None
        return Experiment(
            name=d.name,
            pipeline=run.pipeline,
            workload=run.workload,
            slo=tuple(slo_terms),
            sweeps=tuple(sweep_ir),
            report=tuple(report),
            seed=seed,
            horizon=horizon,
            span=d.name_span,
        )

    def _metric(self, ref: ast.Ref, stages: set[str], require_stat: bool) -> tuple[str, str]:
        parts = [p.name for p in ref.parts]
        head = parts[0]
        if head == "stage" and len(parts) >= 2:
            if parts[1] not in stages:
                guess = did_you_mean(parts[1], stages)
                self.ctx.coerce.fail(
                    "E0213",
                    f"the pipeline has no stage `{parts[1]}`",
                    ref.parts[1].span,
                    hint=f"did you mean `{guess}`?" if guess else None,
                )
            head = f"stage.{parts[1]}"
            rest = parts[2:]
        elif head in METRICS:
            rest = parts[1:]
        else:
            choices = [*METRICS, "stage"]
            guess = did_you_mean(head, choices)
            self.ctx.coerce.fail(
                "E0213",
                f"unknown metric `{ref.dotted}`",
                ref.span,
                hint=f"did you mean `{guess}`?" if guess else "metrics: " + ", ".join(choices),
            )
        stat = rest[0] if rest else ""
        if len(rest) > 1 or (stat and stat not in STATISTICS):
            guess = did_you_mean(stat, STATISTICS)
            self.ctx.coerce.fail(
                "E0213",
                f"unknown statistic `{'.'.join(rest)}` of `{head}`",
                ref.span,
                hint=f"did you mean `{guess}`?"
                if guess
                else "statistics: " + ", ".join(STATISTICS),
            )
        if require_stat and not stat and head not in RATE_METRICS:
            self.ctx.coerce.fail(
                "E0213",
                f"an SLO on `{head}` needs a statistic",
                ref.span,
                hint=f"write `{head}.p90` (or p50, p99, mean, max)",
            )
        return head, stat

    def _sweep(self, sw: ast.Sweep) -> Sweep:
        ev = self.ctx.evaluator(self.root)
        if sw.param not in self.param_types:
            declared = list(self.param_types)
            guess = did_you_mean(sw.param, declared)
            self.ctx.coerce.fail(
                "E0201",
                f"`sweep` over `{sw.param}`, which is not a param",
                sw.param_span,
                hint=f"did you mean `{guess}`?"
                if guess
                else f"declare it: `param {sw.param}: rate = 10 req/s`",
            )
        values = ev.eval(sw.values)
        if not isinstance(values, Seq) or not values.items:
            self.ctx.coerce.fail(
                "E0305",
                "a sweep needs a list of values",
                span_of(values),
                hint="write `sweep rate in [5, 10, 20] req/s`",
            )
        ptype = PARAM_TYPES[self.param_types[sw.param]]
        out: list[object] = []
        for item in values.items:  # type: ignore[union-attr]
            if ptype == "int":
                out.append(self.ctx.coerce.integer(item, sw.param))
            elif ptype == "string":
                out.append(self.ctx.coerce.string(item, sw.param))
            elif ptype == "bool":
                out.append(self.ctx.coerce.boolean(item, sw.param))
            elif ptype == "fraction":
                out.append(self.ctx.coerce.fraction(item, sw.param))
            else:
                out.append(self.ctx.coerce.quantity(item, ptype, sw.param))  # type: ignore[arg-type]
        return Sweep(sw.param, tuple(out), sw.span)


# Workload tables: distribution name -> its arguments.
@dataclass(frozen=True)
class DistArgs:
    names: tuple[str, ...]
    required: tuple[str, ...]
    types: dict[str, object]
    defaults: dict[str, object]
    example: str


_RATE: dict[str, object] = {"rate": REQ_RATE}
ARRIVAL_ARGS = {
    "poisson": DistArgs(("rate",), ("rate",), _RATE, {}, "poisson(10 req/s)"),
    "uniform": DistArgs(("rate",), ("rate",), _RATE, {}, "uniform(10 req/s)"),
    "normal": DistArgs(
        ("rate", "cv"), ("rate",), {**_RATE, "cv": "cv"}, {"cv": 0.5}, "normal(10 req/s, cv = 0.5)"
    ),
    "gamma": DistArgs(
        ("rate", "cv"), ("rate", "cv"), {**_RATE, "cv": "cv"}, {}, "gamma(10 req/s, cv = 2)"
    ),
    "trace": DistArgs(
        ("path", "rate", "column"),
        ("path",),
        {"path": str, "rate": REQ_RATE, "column": str},
        {},
        'trace("traces/splitwise_conv.csv")',
    ),
}
_TOK: dict[str, object] = {"min": TOKENS, "max": TOKENS}
LENGTH_ARGS = {
    "fixed": DistArgs(("value",), ("value",), {"value": TOKENS}, {}, "fixed(512)"),
    "uniform": DistArgs(("min", "max"), ("min", "max"), _TOK, {}, "uniform(128, 1024)"),
    "normal": DistArgs(
        ("mean", "std", "min", "max"),
        ("mean", "std"),
        {"mean": TOKENS, "std": TOKENS, **_TOK},
        {"min": 1.0},
        "normal(mean = 256, std = 64)",
    ),
    "trace": DistArgs(
        ("path", "column"),
        ("path", "column"),
        {"path": str, "column": str},
        {},
        'trace("traces/splitwise_conv.csv", column = "num_prefill_tokens")',
    ),
}
PREFIX_TRACE = DistArgs(
    ("path", "block"),
    ("path",),
    {"path": str, "block": TOKENS},
    {"block": 512.0},
    'trace("traces/mooncake/conversation_trace.jsonl")',
)
PROFILE_FIELDS = ("device", "model", "data", "format")
PROFILE_EXAMPLES = {
    "device": "device = A100_80GB",
    "model": "model = llm",
    "data": 'data = "profiles/llama2_7b_a100.csv"',
}
WORKLOAD_FIELDS = ("arrival", "prompt", "output", "reasoning", "requests", "duration", "prefix")
WORKLOAD_EXAMPLES = {
    "arrival": "arrival = poisson(10 req/s)",
    "prompt": "prompt = normal(mean = 1024, std = 256)",
    "output": "output = fixed(128)",
}


def _exits(node: ast.FlowNode) -> tuple[ast.FlowStage, ...]:
    if isinstance(node, ast.FlowStage):
        return (node,)
    if isinstance(node, ast.FlowFan):
        return node.names
    return tuple(arm for arm, _ in node.arms)


def _leaf_devices(inst: Inst) -> list[str]:
    """Every device at or under an instance: `on dc.r[0]` means every device in rack 0."""
    if inst.kind in ("gpu", "cpu", "accel"):
        return [inst.path]
    out: list[str] = []
    for children in inst.children.values():
        for child in children:
            out.extend(_leaf_devices(child))
    return out


def _plain(v: Value) -> object:
    if isinstance(v, Qty):
        return int(v.value) if v.is_int else v.value
    if isinstance(v, Text):
        return v.value
    if hasattr(v, "value"):
        return v.value  # type: ignore[union-attr]
    return None
