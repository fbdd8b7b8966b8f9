"""Evaluating expressions and checking them against what a field expects.

Evaluation is lazy about names: a bare name may be a param (replaced by its value), a
declaration (a model, a part) or a symbol such as ``fp8`` or ``least_loaded``; which one it must
be is known only from the field it is assigned to, so names stay ``Sym`` values until a
``Coercer`` method that knows the expected type looks at them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hermes_dsl.diagnostics import DiagnosticSink, did_you_mean
from hermes_dsl.source import Span
from hermes_dsl.syntax import ast
from hermes_dsl.units import (
    EXAMPLE_UNIT,
    NONE,
    REQUESTS,
    TOKENS,
    Dim,
    UnitError,
    dim_name,
    dim_symbol,
    parse_unit,
)


class Invalid(Exception):
    """An expression could not be evaluated; the diagnostic is already reported."""


@dataclass(frozen=True, slots=True)
class Qty:
    value: float
    dim: Dim
    is_int: bool
    span: Span
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Flag:
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Sym:
    """An unresolved name (possibly dotted and indexed), interpreted by the field using it."""

    ref: ast.Ref
    span: Span


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Value, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Rec:
    fields: tuple[tuple[str, Value, Span], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Fn:
    name: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value, Span], ...]
    span: Span
    name_span: Span


Value = Qty | Text | Flag | Sym | Seq | Rec | Fn

# Param types: what `param x: TYPE = ...` may say, and the dimension each one means.
PARAM_TYPES: dict[str, Dim | str] = {
    "int": "int",
    "float": NONE,
    "number": NONE,
    "fraction": "fraction",
    "bool": "bool",
    "string": "string",
    "time": (0, 0, 1, 0, 0, 0),
    "bytes": (1, 0, 0, 0, 0, 0),
    "bandwidth": (1, 0, -1, 0, 0, 0),
    "flops": (0, 1, 0, 0, 0, 0),
    "flop_rate": (0, 1, -1, 0, 0, 0),
    "rate": (0, 0, -1, 0, 1, 0),
    "token_rate": (0, 0, -1, 1, 0, 0),
    "tokens": (0, 0, 0, 1, 0, 0),
    "requests": (0, 0, 0, 0, 1, 0),
    "power": (0, 0, -1, 0, 0, 1),
    "energy": (0, 0, 0, 0, 0, 1),
}

# Dimensions whose quantities are counts: a plain number is accepted for them.
_COUNT_DIMS = (TOKENS, REQUESTS)


def span_of(node: object) -> Span:
    return node.span  # type: ignore[attr-defined]


_FINITE_HINT = "numbers must stay below about 1.8e308 (in SI units, after prefixes)"


class Evaluator:
    """Turns AST expressions into Values, substituting params and checking arithmetic units."""

    def __init__(self, sink: DiagnosticSink, params: dict[str, Value] | None = None) -> None:
        self.sink = sink
        self.params = params or {}
        # params whose value was refused (already reported): a use of one stops quietly
        self.failed: set[str] = set()

    def eval(self, e: ast.Expr) -> Value:
        if isinstance(e, ast.Number):
            return self._number(e)
        if isinstance(e, ast.String):
            return Text(e.value, e.span)
        if isinstance(e, ast.Bool):
            return Flag(e.value, e.span)
        if isinstance(e, ast.Ref):
            name = e.simple
            if name is not None and name in self.params:
                return _respan(self.params[name], e.span)
            if name is not None and name in self.failed:
                raise Invalid
            return Sym(e, e.span)
        if isinstance(e, ast.Call):
            args, kwargs = [], []
            for a in e.args:
                v = self.eval(a.value)
                if a.name is None:
                    args.append(v)
                else:
                    kwargs.append((a.name, v, a.span))
            return Fn(e.name, tuple(args), tuple(kwargs), e.span, e.name_span)
        if isinstance(e, ast.ListExpr):
            items = []
            for item in e.items:
                if e.unit and isinstance(item, ast.Number) and not item.unit:
                    item = ast.Number(item.value, e.unit, item.span, item.is_int)
                items.append(self.eval(item))
            return Seq(tuple(items), e.span)
        if isinstance(e, ast.Record):
            return Rec(tuple((f.name, self.eval(f.value), f.name_span) for f in e.fields), e.span)
        if isinstance(e, ast.Neg):
            v = self.eval(e.operand)
            if not isinstance(v, Qty):
                self._fail("E0305", "only numbers can be negated", e.span)
            return Qty(-v.value, v.dim, v.is_int, e.span)
        if isinstance(e, ast.BinOp):
            return self._binop(e)
        raise AssertionError(f"unknown expression {e!r}")

    def _number(self, e: ast.Number) -> Qty:
        value, dim = e.value, NONE
        if e.unit:
            try:
                scale, dim = parse_unit(e.unit)
            except UnitError as err:
                self.sink.error("E0301", err.message, e.span, hint=err.hint)
                raise Invalid from None
            inverse = round(1 / scale) if scale < 1 else 0
            # divide by 1e6 rather than multiply by 1e-6: `20 us` is exactly 2e-05, not 1.99e-05
            exact = inverse and abs(inverse * scale - 1) < 1e-12
            value = value / inverse if exact else value * scale
        if not math.isfinite(value):  # a literal past the float range, or scaled past it
            self._fail("E0304", "this number is too large", e.span, hint=_FINITE_HINT)
        return Qty(value, dim, e.is_int and dim == NONE and value == int(value), e.span, e.unit)

    def _binop(self, e: ast.BinOp) -> Qty:
        q = self._binop_value(e)
        if not math.isfinite(q.value):
            self._fail("E0304", "the result is too large", e.span, hint=_FINITE_HINT)
        return q

    def _binop_value(self, e: ast.BinOp) -> Qty:
        a, b = self.eval(e.left), self.eval(e.right)
        if not isinstance(a, Qty) or not isinstance(b, Qty):
            bad = a if not isinstance(a, Qty) else b
            self._fail("E0305", f"`{e.op}` needs numbers on both sides", span_of(bad))
        if e.op in "+-":
            if a.dim != b.dim:
                self._fail(
                    "E0311",
                    f"cannot {'add' if e.op == '+' else 'subtract'} {dim_name(b.dim)} "
                    f"{'to' if e.op == '+' else 'from'} {dim_name(a.dim)}",
                    e.span,
                    hint="both sides of `+` and `-` need the same kind of unit",
                )
            value = a.value + b.value if e.op == "+" else a.value - b.value
            return Qty(value, a.dim, a.is_int and b.is_int, e.span)
        if e.op == "*":
            dim = tuple(x + y for x, y in zip(a.dim, b.dim, strict=True))
            return Qty(a.value * b.value, dim, a.is_int and b.is_int, e.span)  # type: ignore[arg-type]
        if b.value == 0:
            self._fail("E0304", "division by zero", e.right.span)
        dim = tuple(x - y for x, y in zip(a.dim, b.dim, strict=True))
        value = a.value / b.value
        is_int = a.is_int and b.is_int and value == int(value)
        return Qty(value, dim, is_int, e.span)  # type: ignore[arg-type]

    def _fail(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.sink.error(code, message, span, hint=hint)
        raise Invalid


def _respan(v: Value, span: Span) -> Value:
    """A param's value, reported at the place it is used."""
    if isinstance(v, Qty):
        return Qty(v.value, v.dim, v.is_int, span, v.unit)
    if isinstance(v, Text):
        return Text(v.value, span)
    if isinstance(v, Flag):
        return Flag(v.value, span)
    return v


def describe(v: Value) -> str:
    if isinstance(v, Qty):
        return dim_name(v.dim) if v.dim != NONE else "a plain number"
    if isinstance(v, Text):
        return "a string"
    if isinstance(v, Flag):
        return "`true`/`false`"
    if isinstance(v, Sym):
        return f"the name `{v.ref.dotted}`"
    if isinstance(v, Seq):
        return "a list"
    if isinstance(v, Rec):
        return "a record `{ ... }`"
    return f"a call of `{v.name}(...)`"


class Coercer:
    """Checks a Value against the type a field wants and returns a plain Python value."""

    def __init__(self, sink: DiagnosticSink) -> None:
        self.sink = sink

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.sink.error(code, message, span, hint=hint)
        raise Invalid

    def quantity(self, v: Value, dim: Dim, what: str) -> float:
        if isinstance(v, Qty):
            if v.dim == dim or (v.dim == NONE and dim in _COUNT_DIMS):
                return v.value
            expected = dim_name(dim)
            if v.dim == NONE:
                example = EXAMPLE_UNIT.get(dim, dim_symbol(dim))
                self.fail(
                    "E0302",
                    f"`{what}` expects {expected}, found a plain number",
                    v.span,
                    hint=f"add a unit, e.g. `{_fmt(v)} {example}`",
                )
            hint = None
            fix = _fix_unit(v, dim)
            if fix:
                hint = f"did you mean `{fix}`?"
            elif dim == NONE:
                hint = "write a plain number, without a unit"
            else:
                example = EXAMPLE_UNIT.get(dim, dim_symbol(dim))
                hint = f"write {expected}, in a unit such as `{example}`"
                if v.unit:
                    raw = v.value / parse_unit(v.unit)[0]
                    shown = f"{int(raw)}" if raw == int(raw) else f"{raw:g}"
                    hint = f"write {expected}, e.g. `{shown} {example}`"
            self.fail(
                "E0302",
                f"`{what}` expects {expected}, found {dim_name(v.dim)}",
                v.span,
                hint=hint,
            )
        self.fail(
            "E0305",
            f"`{what}` expects {dim_name(dim)}, found {describe(v)}",
            v.span,
            hint=f"write a number with a unit, e.g. `1 {EXAMPLE_UNIT.get(dim, dim_symbol(dim))}`",
        )
        raise AssertionError

    def number(
        self, v: Value, what: str, lo: float | None = None, hi: float | None = None
    ) -> float:
        x = self.quantity(v, NONE, what)
        self._range(x, v, what, lo, hi)
        return x

    def fraction(self, v: Value, what: str) -> float:
        x = self.quantity(v, NONE, what)
        hint = "a fraction is between 0 and 1, written like `0.9` or `90%`"
        self._range(x, v, what, 0.0, 1.0, hint)
        return x

    def integer(self, v: Value, what: str, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(v, Qty) and v.dim in (NONE, *_COUNT_DIMS) and not v.unit and not v.is_int:
            self.fail(
                "E0303",
                f"`{what}` expects a whole number, found {_fmt(v)}",
                v.span,
                hint=f"write `{round(v.value)}`",
            )
        if isinstance(v, Qty) and v.dim in _COUNT_DIMS:
            x = v.value
            if x != int(x):
                self.fail("E0303", f"`{what}` expects a whole number", v.span)
        else:
            x = self.quantity(v, NONE, what)
        self._range(x, v, what, lo, hi)
        return int(x)

    def _range(
        self,
        x: float,
        v: Value,
        what: str,
        lo: float | None,
        hi: float | None,
        hint: str | None = None,
    ) -> None:
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            if lo is not None and hi is not None:
                bounds = f"between {lo:g} and {hi:g}"
            elif lo is not None:
                bounds = f"at least {lo:g}"
            else:
                bounds = f"at most {hi:g}"
            self.fail("E0304", f"`{what}` must be {bounds}, found {x:g}", span_of(v), hint)

    def boolean(self, v: Value, what: str) -> bool:
        if isinstance(v, Flag):
            return v.value
        self.fail("E0305", f"`{what}` expects `true` or `false`, found {describe(v)}", span_of(v))
        raise AssertionError

    def string(self, v: Value, what: str) -> str:
        if isinstance(v, Text):
            return v.value
        self.fail(
            "E0305",
            f"`{what}` expects a string, found {describe(v)}",
            span_of(v),
            hint='write it in double quotes: "..."',
        )
        raise AssertionError

    def symbol(self, v: Value, what: str, choices: Sequence[str]) -> str:
        if isinstance(v, Text) and v.value in choices:
            return v.value
        if isinstance(v, Sym) and v.ref.simple is not None:
            name = v.ref.simple
            if name in choices:
                return name
            guess = did_you_mean(name, choices)
            self.fail(
                "E0306",
                f"`{name}` is not a valid `{what}`",
                v.span,
                hint=f"did you mean `{guess}`?" if guess else f"expected one of {_list(choices)}",
            )
        self.fail(
            "E0305",
            f"`{what}` expects one of {_list(choices)}, found {describe(v)}",
            span_of(v),
        )
        raise AssertionError

    def seq(self, v: Value, what: str) -> tuple[Value, ...]:
        if isinstance(v, Seq):
            return v.items
        return (v,)


def _list(choices: Sequence[str]) -> str:
    items = [f"`{c}`" for c in choices]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _fmt(v: Qty) -> str:
    return f"{int(v.value)}" if v.value == int(v.value) else f"{v.value:g}"


def _fix_unit(v: Qty, want: Dim) -> str | None:
    """A likely intended spelling: `50 GB` where bandwidth is wanted -> `50 GB/s`."""
    if not v.unit:
        return None
    magnitude = v.span and _fmt(Qty(v.value, v.dim, v.is_int, v.span))
    for candidate in (f"{v.unit}/s", v.unit.removesuffix("/s")):
        try:
            _, dim = parse_unit(candidate)
        except UnitError:
            continue
        if dim == want:
            raw = v.value / parse_unit(v.unit)[0]
            shown = f"{int(raw)}" if raw == int(raw) else f"{raw:g}"
            return f"{shown} {candidate}"
    del magnitude
    return None


def call_args(
    fn: Fn,
    names: Sequence[str],
    sink: DiagnosticSink,
    required: Sequence[str] = (),
    what: str | None = None,
) -> dict[str, Value]:
    """Match a call's positional and keyword arguments to parameter ``names``."""
    label = what or f"{fn.name}(...)"
    out: dict[str, Value] = {}
    if len(fn.args) > len(names):
        extra = fn.args[len(names)]
        sink.error(
            "E0312",
            f"`{label}` takes at most {len(names)} argument{'s' if len(names) != 1 else ''}",
            span_of(extra),
            hint=f"its arguments are {_list(names)}" if names else "it takes no arguments",
        )
        raise Invalid
    for name, value in zip(names, fn.args, strict=False):
        out[name] = value
    for name, value, span in fn.kwargs:
        if name not in names:
            guess = did_you_mean(name, names)
            sink.error(
                "E0312",
                f"`{label}` has no argument `{name}`",
                span,
                hint=f"did you mean `{guess}`?"
                if guess
                else (f"its arguments are {_list(names)}" if names else "it takes no arguments"),
            )
            raise Invalid
        if name in out:
            sink.error("E0312", f"argument `{name}` is given twice", span)
            raise Invalid
        out[name] = value
    missing = [r for r in required if r not in out]
    if missing:
        sink.error(
            "E0312",
            f"`{label}` needs `{missing[0]}`",
            fn.span,
            hint=f"write `{fn.name}({missing[0]} = ...)`",
        )
        raise Invalid
    return out


def guard(fn: Callable[[], object]) -> object | None:
    """Run one field's check; a reported error leaves None and lets checking go on."""
    try:
        return fn()
    except Invalid:
        return None
