"""Physical quantities for the spec language.

A quantity is an SI float plus a dimension, the dimension being a vector of integer exponents
over six base units: byte, FLOP, second, token, request and joule.  Keeping the dimension as a
plain tuple makes products and quotients tuple additions, and keeps the whole module free of
classes that the hot paths of the runtime would have to unwrap: the IR stores bare SI floats,
and dimensions exist only while a spec is being checked.

Prefix rules, chosen so that a spec never mixes decimal and binary sizes by accident:
  * SI prefixes (k, M, G, T, P, and m, u/µ, n for small values) scale by powers of 1000;
  * IEC prefixes (Ki, Mi, Gi, Ti, Pi) scale by powers of 1024 and only apply to bytes and bits;
  * ``B`` is a byte and ``b`` a bit (8 b = 1 B); ``Gbps`` is not accepted, ``Gb/s`` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Order of the base dimensions in a Dim tuple.
BASES = ("B", "FLOP", "s", "token", "req", "J")
Dim = tuple[int, int, int, int, int, int]

NONE: Dim = (0, 0, 0, 0, 0, 0)
BYTES: Dim = (1, 0, 0, 0, 0, 0)
FLOP: Dim = (0, 1, 0, 0, 0, 0)
TIME: Dim = (0, 0, 1, 0, 0, 0)
TOKENS: Dim = (0, 0, 0, 1, 0, 0)
REQUESTS: Dim = (0, 0, 0, 0, 1, 0)
ENERGY: Dim = (0, 0, 0, 0, 0, 1)
BANDWIDTH: Dim = (1, 0, -1, 0, 0, 0)
FLOP_RATE: Dim = (0, 1, -1, 0, 0, 0)
REQ_RATE: Dim = (0, 0, -1, 0, 1, 0)
TOKEN_RATE: Dim = (0, 0, -1, 1, 0, 0)
POWER: Dim = (0, 0, -1, 0, 0, 1)
FREQUENCY: Dim = (0, 0, -1, 0, 0, 0)
BYTES_PER_TOKEN: Dim = (1, 0, 0, -1, 0, 0)


class UnitError(ValueError):
    """A unit string that cannot be understood; ``hint`` says what to write instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# Atomic units: symbol -> (scale to SI base, dimension, accepts IEC prefixes, accepts SI prefixes)
_ATOMS: dict[str, tuple[float, Dim, bool, bool]] = {
    "B": (1.0, BYTES, True, True),
    "b": (0.125, BYTES, True, True),
    "bit": (0.125, BYTES, True, True),
    "bits": (0.125, BYTES, True, True),
    "byte": (1.0, BYTES, False, False),
    "bytes": (1.0, BYTES, False, False),
    "FLOP": (1.0, FLOP, False, True),
    "FLOPs": (1.0, FLOP, False, True),
    "flop": (1.0, FLOP, False, True),
    "OP": (1.0, FLOP, False, True),
    "OPS": (1.0, FLOP_RATE, False, True),
    "FLOPS": (1.0, FLOP_RATE, False, True),
    "s": (1.0, TIME, False, True),
    "sec": (1.0, TIME, False, False),
    "min": (60.0, TIME, False, False),
    "h": (3600.0, TIME, False, False),
    "hour": (3600.0, TIME, False, False),
    "hours": (3600.0, TIME, False, False),
    "token": (1.0, TOKENS, False, True),
    "tokens": (1.0, TOKENS, False, True),
    "tok": (1.0, TOKENS, False, True),
    "req": (1.0, REQUESTS, False, True),
    "reqs": (1.0, REQUESTS, False, True),
    "request": (1.0, REQUESTS, False, False),
    "requests": (1.0, REQUESTS, False, False),
    "J": (1.0, ENERGY, False, True),
    "Wh": (3600.0, ENERGY, False, True),
    "W": (1.0, POWER, False, True),
    "Hz": (1.0, FREQUENCY, False, True),
    "%": (0.01, NONE, False, False),
    "x": (1.0, NONE, False, False),
}

_SI_PREFIX = {
    "P": 1e15,
    "T": 1e12,
    "G": 1e9,
    "M": 1e6,
    "k": 1e3,
    "K": 1e3,
    "m": 1e-3,
    "u": 1e-6,
    "µ": 1e-6,
    "n": 1e-9,
}
_IEC_PREFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}

# Count suffixes written right after a number: 4M centroids, 5K points.
COUNT_SUFFIX = {"K": 1e3, "k": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "T": 1e12}

_COMMON_MISTAKES = {
    "Gbps": "Gb/s",
    "Mbps": "Mb/s",
    "GBps": "GB/s",
    "MBps": "MB/s",
    "TBps": "TB/s",
    "rps": "req/s",
    "qps": "req/s",
    "tps": "tokens/s",
    "usec": "us",
    "msec": "ms",
    "TFLOPs/s": "TFLOP/s",
}


@lru_cache(maxsize=1024)
def _atom(text: str) -> tuple[float, Dim]:
    if text in _ATOMS:
        scale, dim, _, _ = _ATOMS[text]
        return scale, dim
    for prefix, factor in _IEC_PREFIX.items():
        rest = text[len(prefix) :]
        if text.startswith(prefix) and rest in _ATOMS and _ATOMS[rest][2]:
            return factor * _ATOMS[rest][0], _ATOMS[rest][1]
    if len(text) > 1 and text[0] in _SI_PREFIX and text[1:] in _ATOMS and _ATOMS[text[1:]][3]:
        scale, dim, _, _ = _ATOMS[text[1:]]
        return _SI_PREFIX[text[0]] * scale, dim
    raise UnitError(f"unknown unit `{text}`", _suggest_unit(text))


def _suggest_unit(text: str) -> str | None:
    if text in _COMMON_MISTAKES:
        return f"write `{_COMMON_MISTAKES[text]}`"
    if text.endswith("s") and len(text) > 1:
        try:
            _atom(text[:-1])
            return f"a rate is written with a slash: `{text[:-1]}/s`"
        except UnitError:
            pass
    from hermes_dsl.diagnostics import did_you_mean

    known = list(_ATOMS) + [p + a for a in ("B", "b", "s", "FLOP", "W", "J") for p in "kMGTmun"]
    known += [p + a for a in ("B", "b") for p in _IEC_PREFIX]
    guess = did_you_mean(text, known)
    if guess:
        return f"did you mean `{guess}`?"
    return "units are written like `GB`, `GiB`, `Gb/s`, `ms`, `TFLOP/s`, `req/s`, `tokens`"


def _mul(a: Dim, b: Dim, sign: int = 1) -> Dim:
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> tuple[float, Dim]:
    """Parse a unit such as ``GB/s``, ``TFLOP/s``, ``tokens/s`` or ``B/token`` into (scale, dim).

    Grammar: ``atom ('/' atom | '*' atom)*`` where an atom may carry ``^n``.  Division binds to
    the single atom that follows it, so ``J/token/s`` is joules per token per second.
    """
    text = text.strip()
    if not text:
        return 1.0, NONE
    if text in _COMMON_MISTAKES:
        raise UnitError(f"unknown unit `{text}`", f"write `{_COMMON_MISTAKES[text]}`")
    scale, dim = 1.0, NONE
    op = "*"
    token = ""
    for ch in text + "\0":
        if ch in "*/\0":
            if not token:
                raise UnitError(f"malformed unit `{text}`", "write units like `GB/s` or `W*s`")
            power = 1
            if "^" in token:
                token, _, exp = token.partition("^")
                try:
                    power = int(exp)
                except ValueError:
                    raise UnitError(f"malformed exponent in unit `{text}`") from None
            s, d = _atom(token)
            sign = 1 if op == "*" else -1
            scale = scale * s ** (power * sign)
            dim = _mul(dim, tuple(x * power for x in d), sign)  # type: ignore[arg-type]
            op, token = ch, ""
        else:
            token += ch
    return scale, dim


@dataclass(frozen=True, slots=True)
class Quantity:
    """A value with its dimension, used only while a spec is checked."""

    value: float
    dim: Dim = NONE

    def __mul__(self, other: Quantity) -> Quantity:
        return Quantity(self.value * other.value, _mul(self.dim, other.dim))

    def __truediv__(self, other: Quantity) -> Quantity:
        return Quantity(self.value / other.value, _mul(self.dim, other.dim, -1))

    def __add__(self, other: Quantity) -> Quantity:
        if self.dim != other.dim:
            raise UnitError(
                f"cannot add {dim_name(self.dim)} and {dim_name(other.dim)}",
                "both sides of `+` and `-` need the same unit",
            )
        return Quantity(self.value + other.value, self.dim)

    def __sub__(self, other: Quantity) -> Quantity:
        return self + Quantity(-other.value, other.dim)

    def __str__(self) -> str:
        return format_quantity(self.value, self.dim)


def quantity(value: float, unit: str) -> Quantity:
    scale, dim = parse_unit(unit)
    return Quantity(value * scale, dim)


# Human names and display units of the dimensions a spec meets.
_NAMES: dict[Dim, tuple[str, str]] = {
    NONE: ("a plain number", ""),
    BYTES: ("bytes", "B"),
    FLOP: ("FLOP", "FLOP"),
    TIME: ("seconds", "s"),
    TOKENS: ("tokens", "tokens"),
    REQUESTS: ("requests", "req"),
    ENERGY: ("joules", "J"),
    BANDWIDTH: ("bytes per second", "B/s"),
    FLOP_RATE: ("FLOP per second", "FLOP/s"),
    REQ_RATE: ("requests per second", "req/s"),
    TOKEN_RATE: ("tokens per second", "tokens/s"),
    POWER: ("watts", "W"),
    FREQUENCY: ("per second (Hz)", "Hz"),
    BYTES_PER_TOKEN: ("bytes per token", "B/token"),
}

# An example unit for each dimension, for hints such as "did you mean `50 GB/s`?".
EXAMPLE_UNIT: dict[Dim, str] = {
    BYTES: "GB",
    FLOP: "TFLOP",
    TIME: "ms",
    TOKENS: "tokens",
    REQUESTS: "req",
    ENERGY: "J",
    BANDWIDTH: "GB/s",
    FLOP_RATE: "TFLOP/s",
    REQ_RATE: "req/s",
    TOKEN_RATE: "tokens/s",
    POWER: "W",
    FREQUENCY: "GHz",
    BYTES_PER_TOKEN: "KB/token",
}


def dim_name(dim: Dim) -> str:
    if dim in _NAMES:
        return _NAMES[dim][0]
    return f"`{dim_symbol(dim)}`"


def dim_symbol(dim: Dim) -> str:
    if dim in _NAMES and _NAMES[dim][1]:
        return _NAMES[dim][1]
    num = [b if e == 1 else f"{b}^{e}" for b, e in zip(BASES, dim, strict=True) if e > 0]
    den = [b if e == -1 else f"{b}^{-e}" for b, e in zip(BASES, dim, strict=True) if e < 0]
    text = "*".join(num) or "1"
    for d in den:
        text += "/" + d
    return text


_DISPLAY_PREFIX = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def format_quantity(value: float, dim: Dim) -> str:
    """Render an SI value for people: 3.35e12 B/s -> '3.35 TB/s', 2e-5 s -> '20 us'."""
    sym = dim_symbol(dim)
    if dim == TIME:
        for factor, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
            if abs(value) >= factor or factor == 1e-9:
                return f"{value / factor:.4g} {name}"
    if dim in (BYTES, BANDWIDTH, FLOP, FLOP_RATE, POWER, ENERGY):
        for factor, prefix in _DISPLAY_PREFIX:
            if abs(value) >= factor:
                return f"{value / factor:.4g} {prefix}{sym}"
    return f"{value:.6g} {sym}".rstrip()
