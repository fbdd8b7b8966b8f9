"""Python literals for IR values: the only way anything from a spec enters generated code.

Every value is printed from plain data (str through ``repr``-style escaping, floats through
``repr``, frozen dataclasses as keyword constructor calls), never by pasting spec text, so no
name or string in a spec can change the generated program.  Output is deterministic and laid
out like a code formatter would: one line when it fits, otherwise one item per line with a
trailing comma.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

from hermes_dsl.source import NO_SPAN, Span

WIDTH = 100


@dataclasses.dataclass(frozen=True)
class DataPath:
    """A data file found through a data folder: located again when the module runs."""

    relative: str


def py_str(s: str) -> str:
    """A double-quoted Python string literal; every character outside printable ASCII escaped."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 32 <= code < 127:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def py_float(x: float) -> str:
    """Floats as people write them: 80e9 rather than 80000000000.0, exact to the last bit."""
    if math.isnan(x) or math.isinf(x):
        return f'float("{x}")'
    text = repr(float(x))
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return text
    for k in range(15, -16, -3):
        mantissa = repr(x / 10**k) if k >= 0 else repr(x * 10**-k)
        mantissa = mantissa.removesuffix(".0")
        if "e" in mantissa or "inf" in mantissa:
            continue
        candidate = f"{mantissa}e{k}"
        if len(mantissa) <= 8 and float(candidate) == x and 1 <= abs(float(mantissa)) < 1000:
            return candidate
    return text


class Printer:
    """Prints values; ``names`` maps already-emitted values to the constant that holds them."""

    def __init__(
        self,
        names: Mapping[object, str] | None = None,
        span: Callable[[Span], str] | None = None,
        keep_span: Callable[[object], bool] = lambda obj: False,
    ) -> None:
        self.names = names or {}
        self.span = span
        self.keep_span = keep_span

    def flat(self, v: object) -> str:
        """One-line form."""
        name = self._name(v)
        if name is not None:
            return name
        if isinstance(v, bool) or v is None:
            return repr(v)
        if isinstance(v, int):
            return repr(v)
        if isinstance(v, float):
            return py_float(v)
        if isinstance(v, str):
            return py_str(v)
        if isinstance(v, Span):
            return self.span(v) if self.span else "NO_SPAN"
        if isinstance(v, DataPath):
            return f"data_file({py_str(v.relative)}, SPEC)"
        if isinstance(v, tuple):
            items = [self.flat(x) for x in v]
            if len(items) == 1:
                return f"({items[0]},)"
            return "(" + ", ".join(items) + ")"
        if dataclasses.is_dataclass(v):
            args = [f"{k}={self.flat(x)}" for k, x in self._fields(v)]
            return f"{type(v).__name__}(" + ", ".join(args) + ")"
        raise TypeError(f"cannot print {type(v).__name__} as a literal")

    def block(self, v: object, indent: int = 0, used: int | None = None) -> str:
        """Formatted form for a line indented by ``indent`` with ``used`` columns taken."""
        used = indent if used is None else used
        one = self.flat(v)
        if used + len(one) <= WIDTH or self._name(v) is not None:
            return one
        pad = " " * (indent + 4)
        if isinstance(v, DataPath):
            args = f"{pad}{py_str(v.relative)},\n{pad}SPEC,"
            return "data_file(\n" + args + "\n" + " " * indent + ")"
        if isinstance(v, tuple):
            lines = [pad + self.block(x, indent + 4) + "," for x in v]
            return "(\n" + "\n".join(lines) + "\n" + " " * indent + ")"
        if dataclasses.is_dataclass(v):
            lines = []
            for k, x in self._fields(v):
                used_here = indent + 4 + len(k) + 1
                lines.append(f"{pad}{k}={self.block(x, indent + 4, used_here)},")
            return f"{type(v).__name__}(\n" + "\n".join(lines) + "\n" + " " * indent + ")"
        return one

    def _name(self, v: object) -> str | None:
        try:
            return self.names.get(v)  # type: ignore[call-overload]
        except TypeError:
            return None

    def _fields(self, v: object) -> list[tuple[str, object]]:
        out = []
        for f in dataclasses.fields(v):  # type: ignore[arg-type]
            value = getattr(v, f.name)
            if isinstance(value, Span) and (value is NO_SPAN or not self.keep_span(v)):
                continue
            if f.default is not dataclasses.MISSING and value == f.default and f.name != "name":
                continue
            out.append((f.name, value))
        return out
