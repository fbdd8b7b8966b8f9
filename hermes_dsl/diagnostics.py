"""Diagnostics: stable codes, spans, hints, and rendering as text (with carets) or JSON.

Code ranges, one per phase, so a code tells where a problem was found:
  E01xx syntax        E02xx names and imports      E03xx types and units
  E04xx structure (graphs, placement, fit)         E05xx running a simulation
  W....  warnings, same ranges
The long explanation of each code lives in ``explanations.py`` (``hermes explain CODE``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches

from hermes_dsl.source import NO_SPAN, SourceMap, Span


@dataclass(frozen=True, slots=True)
class Note:
    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span = NO_SPAN
    hint: str | None = None
    notes: tuple[Note, ...] = ()
    label: str | None = None  # text printed under the carets

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.col, self.code)


class HermesError(Exception):
    """Raised to stop a phase that cannot go on; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("; ".join(f"{d.code}: {d.message}" for d in self.diagnostics))


@dataclass
class DiagnosticSink:
    """Collects diagnostics from every phase so one run reports as many problems as it can."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def error(self, code: str, message: str, span: Span = NO_SPAN, **kw: object) -> None:
        self.items.append(Diagnostic(code, message, span, **kw))  # type: ignore[arg-type]

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        seen: set[tuple[str, str, Span]] = set()
        out = []
        for d in sorted(self.items, key=Diagnostic.sort_key):
            key = (d.code, d.message, d.span)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt word, or None when nothing is close."""
    pool = sorted(set(candidates))
    lower = {c.lower(): c for c in pool}
    if word.lower() in lower and lower[word.lower()] != word:
        return lower[word.lower()]
    found = get_close_matches(word, pool, n=1, cutoff=0.72)
    return found[0] if found else None


def render_text(diags: Iterable[Diagnostic], sources: SourceMap, color: bool = False) -> str:
    return "\n".join(render_one(d, sources, color) for d in diags)


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_one(d: Diagnostic, sources: SourceMap, color: bool = False) -> str:
    """rustc-style: header, location arrow, the source line, carets under the span, hint."""
    head_color = "1;33" if d.severity == "warning" else "1;31"
    lines = [f"{_paint(f'{d.severity}[{d.code}]', head_color, color)}: {d.message}"]
    src = sources.get(d.span.file) if d.span is not NO_SPAN else None
    if d.span is NO_SPAN or src is None:
        if d.span is not NO_SPAN:
            lines.append(f"  --> {d.span}")
    else:
        width = len(str(d.span.end_line))
        pad = " " * width
        lines.append(f"{pad}--> {d.span}")
        lines.append(f"{pad} |")
        text = src.line_text(d.span.line).expandtabs(1)
        lines.append(f"{d.span.line:>{width}} | {text}")
        if d.span.end_line == d.span.line:
            n = max(1, d.span.end_col - d.span.col)
        else:
            n = max(1, len(text) - d.span.col + 1)
        under = " " * (d.span.col - 1) + "^" * n
        label = d.label or d.hint
        carets = _paint(under, head_color, color)
        lines.append(f"{pad} | {carets}" + (f" {label}" if label else ""))
        for note in d.notes:
            lines.append(f"{pad} = note: {note.message}" + (f" ({note.span})" if note.span else ""))
        if d.hint and d.label:
            lines.append(f"{pad} = help: {d.hint}")
        return "\n".join(lines) + "\n"
    for note in d.notes:
        lines.append(f"  = note: {note.message}" + (f" ({note.span})" if note.span else ""))
    if d.hint:
        lines.append(f"  = help: {d.hint}")
    return "\n".join(lines) + "\n"


def to_json(diags: Iterable[Diagnostic]) -> str:
    out = []
    for d in diags:
        out.append(
            {
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "file": d.span.file,
                "line": d.span.line,
                "column": d.span.col,
                "end_line": d.span.end_line,
                "end_column": d.span.end_col,
                "hint": d.hint,
                "notes": [n.message for n in d.notes],
            }
        )
    return json.dumps(out, indent=2)
