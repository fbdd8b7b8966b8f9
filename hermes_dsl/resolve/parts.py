"""Templates and inheritance: the datasheet of a part or model after every ``: Base`` applied.

``gpu Mine : H100_SXM { memory = 94 GB }`` starts from H100_SXM's fields and replaces one; a
group template (a node, a rack) inherits its base's members the same way, a member of the same
name replacing the inherited one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hermes_dsl.diagnostics import Diagnostic, DiagnosticSink, Note, did_you_mean
from hermes_dsl.ir.hardware import DeviceSpec, LinkSpec, MemorySpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.resolve.loader import LoadedModule
from hermes_dsl.resolve.schema import (
    DTYPES,
    GROUP_KINDS,
    PART_SCHEMAS,
    FieldSpec,
)
from hermes_dsl.resolve.values import (
    Coercer,
    Evaluator,
    Invalid,
    Rec,
    Value,
    span_of,
)
from hermes_dsl.source import Span
from hermes_dsl.syntax import ast
from hermes_dsl.units import FLOP_RATE

Entity = tuple[ast.Decl, LoadedModule]


@dataclass
class Context:
    """State shared by every resolution step of one compilation."""

    sink: DiagnosticSink
    evaluators: dict[str, Evaluator] = field(default_factory=dict)
    memo: dict[tuple[int, str], object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.coerce = Coercer(self.sink)

    def evaluator(self, module: LoadedModule) -> Evaluator:
        ev = self.evaluators.get(module.key)
        if ev is None:
            ev = self.evaluators[module.key] = Evaluator(self.sink)
        return ev

    def lookup(self, module: LoadedModule, ref: ast.Ref) -> Entity | None:
        """A declaration named by ``ref`` (``Name`` or ``namespace.Name``) seen from ``module``."""
        if ref.simple is not None:
            return module.lookup(ref.simple)
        if len(ref.parts) == 2 and all(p.selector is None for p in ref.parts):
            ns = module.modules.get(ref.parts[0].name)
            if ns is not None:
                return ns.lookup(ref.parts[1].name)
        return None

    def unknown(self, module: LoadedModule, ref: ast.Ref, what: str, kinds: tuple[str, ...]):
        if ref.parts[0].name in module.poisoned:
            return
        names = [n for n, (d, _) in module.decls.items() if d.kind in kinds and d.base is not ref]
        guess = did_you_mean(ref.dotted, names)
        hint = f"did you mean `{guess}`?" if guess else None
        if hint is None and names:
            shown = ", ".join(f"`{n}`" for n in sorted(names)[:6])
            hint = f"{what}s in scope: {shown}"
        elif hint is None:
            example = _IMPORT_EXAMPLES.get(what, "std.hw.nvidia.H100_SXM")
            hint = f"declare it, or import one (e.g. `import {example}`)"
        self.sink.error("E0201", f"unknown {what} `{ref.dotted}`", ref.span, hint=hint)


_IMPORT_EXAMPLES = {
    "model": "std.models.llama.Llama3_1_8B",
    "cpu": "std.hw.cpu.Grace",
    "link": "std.hw.nvidia.NVLink4",
    "memory": "std.hw.memory.DDR5",
}


def base_chain(ctx: Context, decl: ast.Decl, module: LoadedModule) -> list[Entity]:
    """[decl, base, base of base, ...]; reports unknown bases, wrong kinds and cycles."""
    chain: list[Entity] = [(decl, module)]
    seen = {id(decl)}
    while True:
        d, m = chain[-1]
        if d.base is None:
            return chain
        found = ctx.lookup(m, d.base)
        if found is None:
            kinds = (d.kind,) if d.kind not in GROUP_KINDS else GROUP_KINDS
            ctx.unknown(m, d.base, f"{d.kind}" if d.kind != "hardware" else "part", kinds)
            raise Invalid
        base, base_mod = found
        compatible = base.kind == d.kind or (d.kind in GROUP_KINDS and base.kind in GROUP_KINDS)
        if not compatible:
            ctx.sink.error(
                "E0209",
                f"a {d.kind} cannot extend `{d.base.dotted}`, which is a {base.kind}",
                d.base.span,
                hint=f"extend a {d.kind}",
            )
            raise Invalid
        if id(base) in seen:
            # report the cycle once, the same way whichever member it was found from
            ring = [e for e, _ in chain[[id(e) for e, _ in chain].index(id(base)) :]]
            first = min(range(len(ring)), key=lambda i: (ring[i].span.file, ring[i].span.start))
            ring = ring[first:] + ring[:first]
            path = " -> ".join(e.name for e in [*ring, ring[0]])
            ctx.sink.add(
                Diagnostic(
                    "E0404",
                    f"inheritance cycle: {path}",
                    ring[0].base.span,  # type: ignore[union-attr]
                    hint="one of these declarations must extend something else, or nothing",
                )
            )
            raise Invalid
        seen.add(id(base))
        chain.append((base, base_mod))


def own_fields(decl: ast.Decl) -> list[ast.Field]:
    return [m for m in decl.body or () if isinstance(m, ast.Field)]


def effective_fields(
    ctx: Context, chain: list[Entity], schema: dict[str, FieldSpec], what: str
) -> dict[str, tuple[Value, Span]]:
    """Field values after inheritance, base first; unknown fields are reported once each."""
    values: dict[str, tuple[Value, Span]] = {}
    for decl, module in reversed(chain):
        ev = ctx.evaluator(module)
        for m in decl.body or ():
            if not isinstance(m, ast.Field):
                _not_a_field(ctx, m, what)
        for f in own_fields(decl):
            if f.name not in schema:
                guess = did_you_mean(f.name, schema)
                hint = f"did you mean `{guess}`?" if guess else "fields: " + ", ".join(schema)
                ctx.sink.error("E0308", f"a {what} has no field `{f.name}`", f.name_span, hint=hint)
                if guess and guess not in values:
                    # a misspelt field is not also reported as missing
                    values[guess] = (None, f.name_span)  # type: ignore[assignment]
                continue
            try:
                values[f.name] = (ev.eval(f.value), f.name_span)
            except Invalid:
                values[f.name] = (None, f.name_span)  # type: ignore[assignment]
    return values


def _not_a_field(ctx: Context, m: object, what: str) -> None:
    """A declaration or statement inside a part or model, which hold only fields."""
    if isinstance(m, ast.Decl):
        ctx.sink.error(
            "E0401",
            f"a `{m.kind}` cannot be declared inside a {what}",
            m.kind_span,
            hint=f"a {what} holds only fields (`name = value`); "
            f"declare the {m.kind} in a `hardware` block or at the top level",
        )
        return
    word = type(m).__name__.lower()
    ctx.sink.error(
        "E0401",
        f"a `{word}` cannot appear inside a {what}",
        m.span,  # type: ignore[attr-defined]
        hint=f"a {what} holds only fields (`name = value`)",
    )


def coerce_field(ctx: Context, name: str, spec: FieldSpec, value: Value) -> object:
    c = ctx.coerce
    t = spec.type
    if isinstance(t, tuple) and t[0] == "qty":
        x = c.quantity(value, t[1], name)
        if x < 0:
            c.fail("E0304", f"`{name}` cannot be negative", span_of(value))
        return x
    if t == "int":
        return c.integer(value, name, lo=0)
    if t == "num":
        return c.number(value, name)
    if t == "frac":
        return c.fraction(value, name)
    if t == "bool":
        return c.boolean(value, name)
    if t == "str":
        return c.string(value, name)
    if isinstance(t, tuple) and t[0] == "enum":
        return c.symbol(value, name, t[1])
    if t == "flops":
        if not isinstance(value, Rec):
            c.fail(
                "E0305",
                f"`{name}` expects a record of FLOP/s per numeric type",
                span_of(value),
                hint="write `flops = { bf16 = 989 TFLOP/s; fp8 = 1979 TFLOP/s }`",
            )
        table = []
        for key, v, key_span in value.fields:  # type: ignore[union-attr]
            if key not in DTYPES:
                guess = did_you_mean(key, DTYPES)
                ctx.sink.error(
                    "E0306",
                    f"`{key}` is not a numeric type",
                    key_span,
                    hint=f"did you mean `{guess}`?" if guess else "types: " + ", ".join(DTYPES),
                )
                continue
            table.append((key, c.quantity(v, FLOP_RATE, f"flops.{key}")))
        return tuple(table)
    raise AssertionError(t)


def resolve_fields(
    ctx: Context, chain: list[Entity], kind: str, span: Span, name: str
) -> dict[str, object] | None:
    """Every field of a part or model as a plain value, or None after reporting errors."""
    schema = PART_SCHEMAS[kind]
    values = effective_fields(ctx, chain, schema, kind)
    out: dict[str, object] = {}
    ok = True
    for fname, spec in schema.items():
        if fname in values:
            value, _ = values[fname]
            if value is None:
                ok = False
                continue
            try:
                out[fname] = coerce_field(ctx, fname, spec, value)
            except Invalid:
                ok = False
        elif spec.required:
            ctx.sink.add(
                Diagnostic(
                    "E0307",
                    f"{kind} `{name}` is missing `{fname}`",
                    span,
                    hint=f"add `{fname} = ...`" + (f" ({spec.doc})" if spec.doc else ""),
                )
            )
            ok = False
        else:
            out[fname] = spec.default
    return out if ok else None


def part_spec(ctx: Context, decl: ast.Decl, module: LoadedModule, type_name: str) -> object:
    """The DeviceSpec, LinkSpec or MemorySpec of a part declaration (memoised per decl)."""
    key = (id(decl), type_name)
    if key in ctx.memo:
        cached = ctx.memo[key]
        if cached is None:
            raise Invalid
        return cached
    ctx.memo[key] = None
    chain = base_chain(ctx, decl, module)
    fields = resolve_fields(ctx, chain, decl.kind, decl.name_span, decl.name)
    if fields is None:
        raise Invalid
    spec: object
    if decl.kind in ("gpu", "cpu", "accel"):
        spec = DeviceSpec(
            type_name=type_name,
            kind=decl.kind,
            memory=fields["memory"],  # type: ignore[arg-type]
            mem_bandwidth=fields["mem_bandwidth"],  # type: ignore[arg-type]
            flops=fields["flops"],  # type: ignore[arg-type]
            compute_units=fields["compute_units"],  # type: ignore[arg-type]
            compute_eff=fields["compute_eff"],  # type: ignore[arg-type]
            memory_eff=fields["memory_eff"],  # type: ignore[arg-type]
            tdp=fields["tdp"],  # type: ignore[arg-type]
            idle_power=fields["idle_power"],  # type: ignore[arg-type]
            interconnect=fields["interconnect"],  # type: ignore[arg-type]
            vendor=fields["vendor"],  # type: ignore[arg-type]
        )
    elif decl.kind == "link":
        spec = LinkSpec(type_name, fields["bandwidth"], fields["latency"], fields["efficiency"])  # type: ignore[arg-type]
    elif decl.kind == "memory":
        spec = MemorySpec(
            type_name,
            fields["capacity"],  # type: ignore[arg-type]
            fields["bandwidth"],  # type: ignore[arg-type]
            fields["lookup"],  # type: ignore[arg-type]
            fields["tdp"],  # type: ignore[arg-type]
            fields["idle_power"],  # type: ignore[arg-type]
        )
    else:
        raise AssertionError(decl.kind)
    ctx.memo[key] = spec
    return spec


def model_spec(ctx: Context, decl: ast.Decl, module: LoadedModule, name: str) -> ModelSpec:
    key = (id(decl), "model:" + name)
    if key in ctx.memo:
        cached = ctx.memo[key]
        if cached is None:
            raise Invalid
        return cached  # type: ignore[return-value]
    ctx.memo[key] = None
    chain = base_chain(ctx, decl, module)
    f = resolve_fields(ctx, chain, "model", decl.name_span, decl.name)
    if f is None:
        raise Invalid
    heads, hidden = f["heads"], f["hidden"]
    if not heads:
        ctx.sink.error("E0304", "`heads` must be at least 1", decl.name_span)
        raise Invalid
    head_dim = f.get("head_dim") or hidden // heads  # type: ignore[operator]
    kv_heads = f.get("kv_heads") or heads
    if heads % kv_heads:  # type: ignore[operator]
        ctx.sink.add(
            Diagnostic(
                "E0304",
                f"model `{decl.name}` has {heads} heads, not a multiple of its {kv_heads} KV heads",
                decl.name_span,
                hint="grouped-query attention shares each KV head among a whole number of heads",
            )
        )
        raise Invalid
    if f["experts"] and not f["top_k"]:
        ctx.sink.add(
            Diagnostic(
                "E0307",
                f"MoE model `{decl.name}` has experts but no `top_k`",
                decl.name_span,
                hint="add `top_k = 2` (experts used per token)",
            )
        )
        raise Invalid
    if f["top_k"] > f["experts"]:  # type: ignore[operator]
        ctx.sink.error(
            "E0304",
            f"`top_k` ({f['top_k']}) exceeds the number of experts ({f['experts']})",
            decl.name_span,
        )
        raise Invalid
    spec = ModelSpec(
        name=name,
        kind=f["kind"],  # type: ignore[arg-type]
        layers=f["layers"],  # type: ignore[arg-type]
        hidden=hidden,  # type: ignore[arg-type]
        heads=heads,  # type: ignore[arg-type]
        kv_heads=kv_heads,  # type: ignore[arg-type]
        head_dim=head_dim,  # type: ignore[arg-type]
        ffn=f["ffn"],  # type: ignore[arg-type]
        vocab=f["vocab"],  # type: ignore[arg-type]
        experts=f["experts"],  # type: ignore[arg-type]
        top_k=f["top_k"],  # type: ignore[arg-type]
        moe_ffn=f["moe_ffn"],  # type: ignore[arg-type]
        shared_experts=f["shared_experts"],  # type: ignore[arg-type]
        dense_layers=f["dense_layers"],  # type: ignore[arg-type]
        kv_latent=f["kv_latent"],  # type: ignore[arg-type]
        gated_mlp=f["gated_mlp"],  # type: ignore[arg-type]
        tied_embeddings=f["tied_embeddings"],  # type: ignore[arg-type]
        dtype=f["dtype"],  # type: ignore[arg-type]
        kv_dtype=f.get("kv_dtype") or f["dtype"],  # type: ignore[arg-type]
        max_context=f["max_context"],  # type: ignore[arg-type]
        span=decl.name_span,
    )
    ctx.memo[key] = spec
    return spec


def note_defined(decl: ast.Decl) -> Note:
    return Note(f"`{decl.name}` is declared here", decl.name_span)
