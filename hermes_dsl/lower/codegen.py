"""Lowering: a checked spec becomes a readable, runnable Python module.

The module holds the IR of every experiment point as Python literals (datasheets and models
once each, then platforms, pipelines, workloads, experiments), each block under a comment
naming its spec line, and ends by handing the points to the runtime.  Sweeps are expanded at
compile time: each point is the spec resolved again with the swept params set, and sections
that do not change between points are emitted once and shared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from hermes_dsl import __version__
from hermes_dsl.compiler import check_file
from hermes_dsl.diagnostics import Diagnostic
from hermes_dsl.ir.experiment import Program
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.ir.pipeline import Pipeline, Route, Stage
from hermes_dsl.ir.profile import Profile
from hermes_dsl.ir.workload import Distribution, Workload
from hermes_dsl.lower.literal import DataPath, Printer, py_str
from hermes_dsl.resolve.loader import STDLIB
from hermes_dsl.resolve.program import DATA_ENV, Resolution
from hermes_dsl.resolve.values import PARAM_TYPES
from hermes_dsl.source import SourceMap, Span
from hermes_dsl.units import dim_symbol

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)

# IR objects whose place in the spec is kept, so the runtime can report errors there.
_WITH_SPAN = (Stage, Pipeline, Workload, Distribution, Route, ModelSpec, Profile)


@dataclass(frozen=True)
class PointSpec:
    experiment: str
    params: tuple[tuple[str, object], ...]
    program: Program


@dataclass
class Lowered:
    source: str | None
    diagnostics: list[Diagnostic]
    sources: SourceMap
    points: int = 0

    @property
    def ok(self) -> bool:
        return self.source is not None


def override_text(ptype: str, value: object) -> str:
    """A swept value written back as spec text, in SI units: 10.0 req/s -> ``10.0 req/s``."""
    kind = PARAM_TYPES[ptype]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return py_str(value)
    if kind in ("int", "fraction") or kind == (0, 0, 0, 0, 0, 0):
        return repr(value)
    return f"{float(value)!r} {dim_symbol(kind)}"  # type: ignore[arg-type]


def expand_points(
    path: Path,
    res: Resolution,
    params: dict[str, str],
    search: tuple[Path, ...],
    data: tuple[Path, ...],
) -> tuple[list[PointSpec], list[Diagnostic]]:
    """Every (experiment, swept params) point, each with its own resolved Program."""
    assert res.program is not None
    program = res.program
    types = {p.name: p.type for p in program.params}
    points: list[PointSpec] = []
    problems: list[Diagnostic] = []
    cache: dict[tuple[tuple[str, object], ...], Program] = {(): program}
    for exp in program.experiments:
        names = [s.param for s in exp.sweeps]
        for combo in itertools.product(*(s.values for s in exp.sweeps)):
            key = tuple(zip(names, combo, strict=True))
            if key not in cache:
                extra = {n: override_text(types[n], v) for n, v in key}
                again = check_file(path, {**params, **extra}, search, data)
                if not again.ok:
                    problems.extend(d for d in again.diagnostics if d.is_error)
                    continue
                cache[key] = again.program  # type: ignore[assignment]
            points.append(PointSpec(exp.name, key, cache[key]))
    return points, problems


def _ident(text: str) -> str:
    name = re.sub(r"\W", "_", text).upper().strip("_") or "X"
    return name if not name[0].isdigit() else "_" + name


class _Names:
    """Unique constant names for values, first come first named."""

    def __init__(self) -> None:
        self.by_value: dict[object, str] = {}
        self.used: set[str] = set()
        self.order: list[tuple[str, object, str]] = []  # (name, value, comment)

    def add(self, value: object, hint: str, comment: str) -> str:
        if value in self.by_value:
            return self.by_value[value]
        base = _ident(hint)
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        self.by_value[value] = name
        self.order.append((name, value, comment))
        return name


REPO = STDLIB.resolve().parent


def portable(name: str) -> str:
    """A file name that does not depend on where the compiler ran: relative to the project
    when the file is inside it (specs/x.hermes, stdlib/std/...), as given otherwise."""
    try:
        return Path(name).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return name


def _where(span: Span) -> str:
    if span.line <= 0:
        return ""
    return f"{portable(span.file)}:{span.line}"


def _placed(part: object) -> str:
    return f"as `{part.path}`  {_where(part.span)}"  # type: ignore[attr-defined]


def _comment(text: str) -> str:
    """Comment text: printable ASCII only, so nothing can end the comment line."""
    return re.sub(r"[^\x20-\x7e]", "?", text)


def _data_relative(path: str, roots: list[Path]) -> DataPath | str:
    p = Path(path)
    if not p.is_absolute():
        return DataPath(p.as_posix())  # not found when compiling: looked for again when run
    for root in roots:
        try:
            return DataPath(p.relative_to(root.resolve()).as_posix())
        except ValueError:
            continue
    return path


def _portable_program(prog: Program, roots: list[Path]) -> Program:
    """Trace and profile files found in data folders are located again at run time, not baked
    in."""

    def fix(d: Distribution | None) -> Distribution | None:
        if d is None or not d.path:
            return d
        return dataclasses.replace(d, path=_data_relative(d.path, roots))  # type: ignore[arg-type]

    workloads = tuple(
        dataclasses.replace(
            w,
            arrival=fix(w.arrival),
            prompt=fix(w.prompt),
            output=fix(w.output),
            prefix=fix(w.prefix),
        )
        for w in prog.workloads
    )
    profiles = tuple(
        # ``tps`` serve the checks, read from the file at hand; the run reads the file again
        dataclasses.replace(p, path=_data_relative(p.path, roots), tps=())  # type: ignore[arg-type]
        for p in prog.profiles
    )
    return dataclasses.replace(
        prog, workloads=workloads, profiles=profiles, file=portable(prog.file)
    )


def lower_file(
    path: str | Path,
    params: dict[str, str] | None = None,
    search: tuple[Path, ...] = (),
    data: tuple[Path, ...] = (),
    checked: Resolution | None = None,
) -> Lowered:
    """Check a spec (unless ``checked`` is its result already) and render its generated
    module; diagnostics when it does not check."""
    path = Path(path)
    params = params or {}
    res = checked if checked is not None else check_file(path, params, search, data)
    if not res.ok:
        return Lowered(None, res.diagnostics, res.sources)
    points, problems = expand_points(path, res, params, search, data)
    if problems:
        return Lowered(None, res.diagnostics + problems, res.sources)
    roots = [path.resolve().parent, *data] + [
        Path(d) for d in os.environ.get(DATA_ENV, "").split(os.pathsep) if d
    ]
    points = [
        PointSpec(p.experiment, p.params, _portable_program(p.program, roots)) for p in points
    ]
    source = render(path, res, points)
    return Lowered(source, res.diagnostics, res.sources, len(points))


def spec_digest(res: Resolution) -> str:
    """A hash of the spec and every file it imports, as read for this compilation."""
    h = hashlib.sha256()
    for name in sorted(res.sources.files):
        h.update(name.encode())
        h.update(b"\0")
        h.update(res.sources.files[name].text.encode())
        h.update(b"\0")
    return h.hexdigest()


_SECTIONS = (
    ("platforms", "hardware"),
    ("profiles", "profile"),
    ("pipelines", "pipeline"),
    ("workloads", "workload"),
    ("experiments", "experiment"),
)


def render(path: Path, res: Resolution, points: list[PointSpec]) -> str:
    """The module's text: every value a named constant once, then the points that use them."""
    from hermes_dsl.lower.entry import Point

    names = _Names()
    # datasheets and models first; datasheets carry no place of their own, so the comment
    # names where the first part using one is
    for pt in points:
        for plat in pt.program.platforms:
            for d in plat.devices:
                t = d.spec.type_name
                names.add(d.spec, f"{d.spec.kind}_{t}", f"{d.spec.kind} `{t}`, {_placed(d)}")
            for link in plat.links:
                t = link.spec.type_name
                names.add(link.spec, "link_" + t, f"link `{t}`, {_placed(link)}")
            for mem in plat.memories:
                t = mem.spec.type_name
                names.add(mem.spec, "memory_" + t, f"memory tier `{t}`, {_placed(mem)}")
        for m in pt.program.models:
            names.add(m, "model_" + m.name, f"model `{m.name}`  {_where(m.span)}")
    # then each point's sections, shared between points when equal
    for pt in points:
        for field, label in _SECTIONS:
            for item in getattr(pt.program, field):
                names.add(
                    item, f"{label}_{item.name}", f"{label} `{item.name}`  {_where(item.span)}"
                )
    order = _hoist_repeats(names)
    printer = Printer(
        dict(names.by_value),
        span=lambda s: f"at({py_str(portable(s.file))}, {s.line}, {s.col})",
        keep_span=lambda obj: isinstance(obj, _WITH_SPAN),
    )
    constants = []
    for name, value, comment in order:
        del printer.names[value]  # print the value itself, not its own name
        body = printer.block(value, 0, len(name) + 3)
        printer.names[value] = name
        constants.append({"name": name, "comment": _comment(comment), "body": body})
    point_objs = tuple(Point(pt.experiment, pt.params, pt.program) for pt in points)
    spec_name = py_str(portable(res.program.file if res.program else str(path)))
    return _ENV.get_template("module.py.j2").render(
        spec=spec_name,
        spec_comment=spec_name,
        digest=py_str(spec_digest(res)),
        version=py_str(__version__),
        constants=constants,
        points=printer.block(point_objs, 0, len("POINTS = ")),
        imports=_imports(profiles=any(pt.program.profiles for pt in points)),
    )


HOIST_CHARS = 120  # a repeated value at least this long (printed flat) gets a name


def _children(value: object) -> list[object]:
    if isinstance(value, tuple):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    return []


def _hoist_repeats(names: _Names) -> list[tuple[str, object, str]]:
    """Name the large values that recur inside the named ones (a stage shared by two sweep
    points' pipelines, a device list used by several stages), so each is printed once.

    Returns every constant, each after the shared values it uses.
    """
    counts: dict[object, int] = {}

    def count(value: object) -> None:
        for child in _children(value):
            if not isinstance(child, tuple) and not dataclasses.is_dataclass(child):
                continue
            if isinstance(child, Span) or child in names.by_value:
                continue
            seen = counts.get(child, 0)
            counts[child] = seen + 1
            if not seen:  # inside a repeat, only its first copy is looked into
                count(child)

    for _, value, _ in names.order:
        count(value)
    plain = Printer()
    shared = {v for v, n in counts.items() if n > 1 and len(plain.flat(v)) >= HOIST_CHARS}
    order: list[tuple[str, object, str]] = []
    done: set[object] = set()

    def emit_shared_in(value: object) -> None:
        for child in _children(value):
            if child in shared and child not in done:
                emit_shared_in(child)
                done.add(child)
                names.add(child, _hoist_hint(child), "shared by several blocks below")
                order.append(names.order[-1])
            elif isinstance(child, tuple) or dataclasses.is_dataclass(child):
                emit_shared_in(child)

    for entry in list(names.order):
        if entry[1] in shared:
            continue
        emit_shared_in(entry[1])
        order.append(entry)
    return order


def _hoist_hint(value: object) -> str:
    if isinstance(value, tuple):
        paths = value and all(isinstance(v, str) and "." in v for v in value)
        return "paths" if paths else "values"
    name = getattr(value, "name", "")
    return f"{type(value).__name__}_{name}" if name else type(value).__name__


def _imports(profiles: bool) -> list[str]:
    """The IR classes a module needs, one import per IR module, wrapped like a formatter."""
    groups = (
        (
            "hardware",
            (
                "Device",
                "DeviceSpec",
                "Group",
                "Link",
                "LinkSpec",
                "Memory",
                "MemorySpec",
                "Platform",
            ),
        ),
        ("model", ("ModelSpec",)),
        ("profile", ("Profile",)),
        ("pipeline", ("Batching", "Edge", "Pipeline", "Route", "Stage")),
        ("workload", ("Distribution", "Reasoning", "Workload")),
        ("experiment", ("Experiment", "ParamValue", "Program", "SloTerm", "Sweep")),
    )
    lines = []
    for module, names in groups:
        if module == "profile" and not profiles:
            continue
        line = f"from hermes_dsl.ir.{module} import {', '.join(names)}"
        if len(line) > 100:
            inner = "".join(f"    {n},\n" for n in names)
            line = f"from hermes_dsl.ir.{module} import (\n{inner})"
        lines.append(line)
    return lines
