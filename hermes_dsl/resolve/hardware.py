"""Building platforms: expanding arrays into named instances and resolving hardware references.

``rack r[4] { node n[8] { gpu g[8] : H100_SXM } }`` inside ``hardware dc`` becomes the devices
``dc.r[0].n[0].g[0]`` ... ``dc.r[3].n[7].g[7]``.  References such as ``g[*]``, ``n[0..4]`` and
``dc.r[*].n[4..8].g`` select sets of instances; ranges are half open, ``*`` (or no index on an
array) selects every element.  A name in a ``connects``/``shared_by`` clause is looked up in the
group holding the clause, then in the groups around it, then among platforms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hermes_dsl.diagnostics import did_you_mean
from hermes_dsl.ir.hardware import Device, Group, Link, Memory, Platform
from hermes_dsl.resolve.loader import LoadedModule
from hermes_dsl.resolve.parts import Context, base_chain, part_spec
from hermes_dsl.resolve.schema import DEVICE_KINDS, GROUP_KINDS, HARDWARE_KINDS
from hermes_dsl.resolve.values import Invalid, Qty
from hermes_dsl.source import Span
from hermes_dsl.syntax import ast

MAX_INSTANCES = 1_000_000


@dataclass
class Inst:
    """One placed part while a platform is being built."""

    kind: str
    path: str
    decl: ast.Decl
    module: LoadedModule
    parent: Inst | None
    children: dict[str, list[Inst]] = field(default_factory=dict)
    arrays: set[str] = field(default_factory=set)  # child names declared with [n]


class PlatformBuilder:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.count = 0
        self.groups: list[Group] = []
        self.devices: list[Device] = []
        self.pending: list[tuple[Inst, str]] = []  # links/memories whose clauses wait
        self.links: list[Link] = []
        self.memories: list[Memory] = []
        self._spec_of: dict[str, object] = {}

    def build(self, decl: ast.Decl, module: LoadedModule) -> Inst:
        """Instances of a `hardware` block, or of a group template checked on its own."""
        root = Inst(decl.kind, decl.name, decl, module, None)
        self._fill(root, base_chain(self.ctx, decl, module))
        return root

    # members ------------------------------------------------------------------------------
    def _members(self, chain: list[tuple[ast.Decl, LoadedModule]]):
        """Members after inheritance: base members first, same-named ones replaced."""
        out: dict[str, tuple[ast.Decl, LoadedModule]] = {}
        for decl, module in reversed(chain):
            for m in decl.body or ():
                if isinstance(m, ast.Decl):
                    out[m.name] = (m, module)
                elif isinstance(m, ast.Field):
                    self.ctx.sink.error(
                        "E0308",
                        f"a {decl.kind} has no field `{m.name}`",
                        m.name_span,
                        hint="a group holds parts (`gpu g[8] : H100_SXM`); fields go in parts",
                    )
                else:
                    self._misplaced(m, decl.kind)
        return list(out.values())

    def _misplaced(self, m: object, where: str) -> None:
        word = type(m).__name__.lower()
        self.ctx.sink.error(
            "E0401",
            f"a `{word}` cannot appear inside a {where}",
            m.span,  # type: ignore[attr-defined]
            hint="stages, routes and flows belong in a `pipeline`; "
            "runs and SLOs in an `experiment`",
        )

    def _fill(self, inst: Inst, chain: list[tuple[ast.Decl, LoadedModule]]) -> None:
        children: list[str] = []
        for decl, module in self._members(chain):
            if decl.kind not in HARDWARE_KINDS:
                self.ctx.sink.error(
                    "E0401",
                    f"a `{decl.kind}` cannot be declared inside a {inst.kind}",
                    decl.kind_span,
                    hint=f"declare the {decl.kind} at the top level of the file",
                )
                continue
            n = self._count(decl, module)
            if n is None:
                continue
            made = []
            for i in range(n):
                label = f"{decl.name}[{i}]" if decl.count is not None else decl.name
                path = f"{inst.path}.{label}"
                child = Inst(decl.kind, path, decl, module, inst)
                made.append(child)
                children.append(path)
                self._place(child)
            inst.children[decl.name] = made
            if decl.count is not None:
                inst.arrays.add(decl.name)
        if inst.kind in GROUP_KINDS:
            parent = inst.parent.path if inst.parent else ""
            self.groups.append(Group(inst.path, inst.kind, tuple(children), parent, inst.decl.span))

    def _count(self, decl: ast.Decl, module: LoadedModule) -> int | None:
        if decl.count is None:
            return 1
        try:
            value = self.ctx.evaluator(module).eval(decl.count)
            n = self.ctx.coerce.integer(value, f"{decl.name}[...]", lo=1)
        except Invalid:
            return None
        self.count += n
        if self.count > MAX_INSTANCES:
            self.ctx.sink.error(
                "E0406",
                f"the platform has more than {MAX_INSTANCES:,} parts",
                decl.count.span,
                hint="model large platforms as fewer, bigger groups",
            )
            raise Invalid
        return n

    def _place(self, inst: Inst) -> None:
        decl, module = inst.decl, inst.module
        if decl.kind in GROUP_KINDS:
            try:
                chain = base_chain(self.ctx, decl, module)
            except Invalid:
                return
            self._fill(inst, chain)
            return
        type_name = _type_name(decl, module)
        try:
            spec = part_spec(self.ctx, decl, module, type_name)
        except Invalid:
            return
        parent = inst.parent.path if inst.parent else ""
        if decl.kind in DEVICE_KINDS:
            self.devices.append(Device(inst.path, spec, parent, decl.span))  # type: ignore[arg-type]
            if decl.connects or decl.shared_by:
                self.ctx.sink.error(
                    "E0401",
                    f"a {decl.kind} cannot `connect` or be `shared_by` anything",
                    decl.span,
                    hint="use a `link ... connects` or a `memory ... shared_by`",
                )
        else:
            self.pending.append((inst, type_name))
            inst.children = {}
            self._spec_of[inst.path] = spec

    def finish(self, roots: dict[str, Inst]) -> None:
        """Resolve the clauses of links and memories once every instance exists."""
        for inst, _ in self.pending:
            decl = inst.decl
            spec = self._spec_of[inst.path]
            parent = inst.parent.path if inst.parent else ""
            if decl.kind == "link":
                if decl.shared_by:
                    self.ctx.sink.error(
                        "E0401",
                        "a link `connects` parts; `shared_by` is for memories",
                        decl.shared_by[0].span,
                        hint="write `connects`",
                    )
                ends = self._select_all(decl.connects, inst.parent, roots)
                self.links.append(Link(inst.path, spec, ends, parent, decl.span))  # type: ignore[arg-type]
            else:
                if decl.connects:
                    self.ctx.sink.error(
                        "E0401",
                        "a memory is `shared_by` parts; `connects` is for links",
                        decl.connects[0].span,
                        hint="write `shared_by`",
                    )
                users = self._select_all(decl.shared_by, inst.parent, roots)
                self.memories.append(Memory(inst.path, spec, users, parent, decl.span))  # type: ignore[arg-type]

    def _select_all(
        self, refs: tuple[ast.Ref, ...], scope: Inst | None, roots: dict[str, Inst]
    ) -> tuple[str, ...]:
        out: list[str] = []
        for ref in refs:
            try:
                out.extend(i.path for i in select(self.ctx, ref, scope, roots))
            except Invalid:
                pass
        return tuple(dict.fromkeys(out))

    def platform(self, root: Inst) -> Platform:
        return Platform(
            root.path,
            tuple(self.groups),
            tuple(self.devices),
            tuple(self.links),
            tuple(self.memories),
            root.decl.span,
        )


def _type_name(decl: ast.Decl, module: LoadedModule) -> str:
    """A part's type for people: its base's name (``H100_SXM``) or its own when it has none."""
    if decl.base is not None and not decl.body:
        return decl.base.dotted
    return decl.name


def select(ctx: Context, ref: ast.Ref, scope: Inst | None, roots: dict[str, Inst]) -> list[Inst]:
    """Every instance a hardware reference names, seen from ``scope``."""
    first = ref.parts[0]
    current: list[Inst] | None = None
    s = scope
    while s is not None:
        if first.name in s.children:
            current = _apply(ctx, s, first)
            break
        s = s.parent
    if current is None:
        if first.name in roots:
            root = roots[first.name]
            if first.selector is not None:
                ctx.sink.error("E0207", f"`{first.name}` is not an array", first.span)
                raise Invalid
            current = [root]
        else:
            names: set[str] = set(roots)
            s = scope
            while s is not None:
                names.update(s.children)
                s = s.parent
            guess = did_you_mean(first.name, names)
            ctx.sink.error(
                "E0201",
                f"no part named `{first.name}` here",
                first.span,
                hint=f"did you mean `{guess}`?" if guess else _known(names),
            )
            raise Invalid
    for part in ref.parts[1:]:
        nxt: list[Inst] = []
        for inst in current:
            if part.name not in inst.children:
                guess = did_you_mean(part.name, inst.children)
                ctx.sink.error(
                    "E0208",
                    f"`{inst.path}` has no part named `{part.name}`",
                    part.span,
                    hint=f"did you mean `{guess}`?" if guess else _known(set(inst.children)),
                )
                raise Invalid
            nxt.extend(_apply(ctx, inst, part))
        current = nxt
    return current


def _known(names: set[str]) -> str | None:
    if not names:
        return None
    return "parts here: " + ", ".join(f"`{n}`" for n in sorted(names)[:8])


def _apply(ctx: Context, holder: Inst, part: ast.RefPart) -> list[Inst]:
    items = holder.children[part.name]
    sel = part.selector
    if sel is None or isinstance(sel, ast.SelectAll):
        if sel is not None and part.name not in holder.arrays:
            ctx.sink.error("E0207", f"`{part.name}` is not an array", sel.span)
            raise Invalid
        return items
    if part.name not in holder.arrays:
        ctx.sink.error(
            "E0207",
            f"`{part.name}` is not an array",
            sel.span,
            hint=f"write `{part.name}` without an index",
        )
        raise Invalid
    ev = ctx.evaluator(holder.module)
    n = len(items)
    if isinstance(sel, ast.SelectOne):
        i = _index(ctx, ev.eval(sel.index), sel.span)
        if not 0 <= i < n:
            ctx.sink.error(
                "E0207",
                f"index {i} is out of range for `{part.name}[{n}]`",
                sel.span,
                hint=f"valid indices are 0 to {n - 1}",
            )
            raise Invalid
        return [items[i]]
    lo = _index(ctx, ev.eval(sel.start), sel.span)
    hi = _index(ctx, ev.eval(sel.stop), sel.span)
    if not 0 <= lo < hi <= n:
        ctx.sink.error(
            "E0207",
            f"range {lo}..{hi} does not fit `{part.name}[{n}]`",
            sel.span,
            hint=f"ranges are half open: `0..{n}` selects all {n}",
        )
        raise Invalid
    return items[lo:hi]


def _index(ctx: Context, v: object, span: Span) -> int:
    if isinstance(v, Qty) and v.is_int:
        return int(v.value)
    ctx.sink.error("E0303", "an index must be a whole number", span)
    raise Invalid
