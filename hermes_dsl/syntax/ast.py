"""The abstract syntax tree: what a spec file says, before any name is looked up.

Every node is a frozen dataclass carrying the span it was written at, so any later phase can
point a diagnostic at the exact text.  Expressions keep numbers with their unit *text*; turning
them into SI values needs the field's expected dimension, which is resolution's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.source import Span

# ---------------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Number:
    value: float  # the written magnitude, count suffixes (4M, 5K) already applied
    unit: str  # the unit as written, "" for none
    span: Span
    is_int: bool = False


@dataclass(frozen=True, slots=True)
class String:
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class SelectAll:
    span: Span


@dataclass(frozen=True, slots=True)
class SelectOne:
    index: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class SelectRange:
    start: Expr
    stop: Expr  # exclusive
    span: Span


Selector = SelectAll | SelectOne | SelectRange


@dataclass(frozen=True, slots=True)
class RefPart:
    name: str
    selector: Selector | None
    span: Span


@dataclass(frozen=True, slots=True)
class Ref:
    """A dotted name, each part optionally indexed: ``dc.r[*].n[0..4].g``, ``ttft.p90``."""

    parts: tuple[RefPart, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(p.name for p in self.parts)

    @property
    def simple(self) -> str | None:
        """The name when this is one bare identifier without index, else None."""
        if len(self.parts) == 1 and self.parts[0].selector is None:
            return self.parts[0].name
        return None


@dataclass(frozen=True, slots=True)
class Arg:
    name: str | None  # None for positional
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Arg, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]
    unit: str  # a unit written after the list applies to every bare number in it
    span: Span


@dataclass(frozen=True, slots=True)
class Record:
    fields: tuple[Field, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span


Expr = Number | String | Bool | Ref | Call | ListExpr | Record | BinOp | Neg

# ---------------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    call: Call
    on: tuple[Ref, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class Route:
    stage: str
    policy: Expr
    span: Span
    stage_span: Span


@dataclass(frozen=True, slots=True)
class FlowStage:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class FlowFan:
    """``(a & b)``: every request goes to all of them; the next node waits for all."""

    names: tuple[FlowStage, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class FlowBranch:
    """``(a 30% | b 70%)``: each request takes exactly one branch, with these fractions."""

    arms: tuple[tuple[FlowStage, Expr], ...]
    span: Span


FlowNode = FlowStage | FlowFan | FlowBranch


@dataclass(frozen=True, slots=True)
class Flow:
    nodes: tuple[FlowNode, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Loop:
    """``loop decode -> embed max 3``: a bounded back edge (multi-step reasoning)."""

    source: FlowStage
    target: FlowStage
    times: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Run:
    pipeline: str
    workload: str
    span: Span
    pipeline_span: Span
    workload_span: Span


@dataclass(frozen=True, slots=True)
class SloItem:
    metric: Ref
    op: str
    bound: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Slo:
    items: tuple[SloItem, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Sweep:
    param: str
    values: Expr
    span: Span
    param_span: Span


@dataclass(frozen=True, slots=True)
class Report:
    metrics: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Decl:
    """``KIND NAME [count] [: base] [{ members }] [connects ...] [shared_by ...]``."""

    kind: str
    name: str
    count: Expr | None
    base: Ref | None
    body: tuple[Member, ...] | None
    connects: tuple[Ref, ...]
    shared_by: tuple[Ref, ...]
    span: Span
    name_span: Span
    kind_span: Span


Member = Field | Decl | Stage | Route | Flow | Loop | Run | Slo | Sweep | Report


@dataclass(frozen=True, slots=True)
class ImportName:
    name: str
    alias: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    """``import a.b.C``, ``import a.b.{C, D as E}``, ``import a.b.C as X``."""

    path: tuple[str, ...]
    names: tuple[ImportName, ...] | None  # the {...} set, when given
    alias: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    default: Expr
    span: Span
    name_span: Span
    type_span: Span


@dataclass(frozen=True, slots=True)
class Header:
    version: str
    span: Span


@dataclass(frozen=True, slots=True)
class Module:
    file: str
    header: Header | None
    imports: tuple[Import, ...]
    params: tuple[Param, ...]
    decls: tuple[Decl, ...]
    broken: tuple[str, ...] = ()  # names of declarations dropped for syntax errors
