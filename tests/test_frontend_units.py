"""Quantities: SI vs IEC prefixes, bits vs bytes, products and quotients, and error hints."""

from __future__ import annotations

import pytest

from hermes_dsl.compiler import check_file
from hermes_dsl.units import (
    BANDWIDTH,
    BYTES,
    FLOP_RATE,
    NONE,
    REQ_RATE,
    TIME,
    TOKEN_RATE,
    Quantity,
    UnitError,
    dim_name,
    format_quantity,
    parse_unit,
    quantity,
)


@pytest.mark.parametrize(
    ("unit", "scale", "dim"),
    [
        ("B", 1.0, BYTES),
        ("kB", 1e3, BYTES),
        ("KB", 1e3, BYTES),
        ("GB", 1e9, BYTES),
        ("TB", 1e12, BYTES),
        ("KiB", 2**10, BYTES),
        ("GiB", 2**30, BYTES),
        ("TiB", 2**40, BYTES),
        ("b", 0.125, BYTES),
        ("Gb", 1e9 / 8, BYTES),
        ("Gib", 2**30 / 8, BYTES),
        ("GB/s", 1e9, BANDWIDTH),
        ("Gb/s", 1e9 / 8, BANDWIDTH),
        ("TFLOP/s", 1e12, FLOP_RATE),
        ("req/s", 1.0, REQ_RATE),
        ("tokens/s", 1.0, TOKEN_RATE),
        ("ms", 1e-3, TIME),
        ("us", 1e-6, TIME),
        ("µs", 1e-6, TIME),
        ("ns", 1e-9, TIME),
        ("min", 60.0, TIME),
        ("h", 3600.0, TIME),
        ("%", 0.01, NONE),
    ],
)
def test_parse_unit(unit: str, scale: float, dim: tuple[int, ...]) -> None:
    got_scale, got_dim = parse_unit(unit)
    assert got_dim == dim
    assert got_scale == pytest.approx(scale, rel=1e-12)


def test_si_and_iec_are_distinct() -> None:
    assert quantity(80, "GB").value == 80e9
    assert quantity(80, "GiB").value == 80 * 2**30
    assert quantity(80, "GB") != quantity(80, "GiB")


def test_bits_and_bytes() -> None:
    assert quantity(8, "Gb").value == quantity(1, "GB").value
    assert quantity(400, "Gb/s").value == quantity(50, "GB/s").value


def test_products_and_quotients() -> None:
    moved = quantity(50, "GB/s") * quantity(2, "s")
    assert moved.dim == BYTES and moved.value == pytest.approx(100e9)
    t = quantity(100, "GB") / quantity(50, "GB/s")
    assert t.dim == TIME and t.value == pytest.approx(2.0)
    ratio = quantity(1, "GiB") / quantity(1, "MiB")
    assert ratio.dim == NONE and ratio.value == 1024
    _, dim = parse_unit("J/token")
    assert dim_name(dim) == "`J/token`"
    assert parse_unit("W*s")[1] == parse_unit("J")[1]
    assert parse_unit("B/s^2")[1] == (1, 0, -2, 0, 0, 0)


def test_adding_different_dimensions_is_an_error() -> None:
    with pytest.raises(UnitError) as err:
        Quantity(1.0, TIME) + Quantity(1.0, BYTES)
    assert "seconds" in err.value.message and "bytes" in err.value.message


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("Gbps", "`Gb/s`"),
        ("GBps", "`GB/s`"),
        ("qps", "`req/s`"),
        ("msec", "`ms`"),
        ("GBs", "`GB/s`"),
        ("Gyte", "did you mean"),
        ("zz", "units are written like"),
    ],
)
def test_unknown_unit_hints(bad: str, hint: str) -> None:
    with pytest.raises(UnitError) as err:
        parse_unit(bad)
    assert f"`{bad}`" in err.value.message
    assert hint in (err.value.hint or "")


@pytest.mark.parametrize("bad", ["GB//s", "/s", "GB^x"])
def test_malformed_units(bad: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(bad)


def test_iec_prefixes_only_on_sizes() -> None:
    with pytest.raises(UnitError):
        parse_unit("Gis")
    with pytest.raises(UnitError):
        parse_unit("KiFLOP")


def test_format_quantity() -> None:
    assert format_quantity(3.35e12, BANDWIDTH) == "3.35 TB/s"
    assert format_quantity(2e-5, TIME) == "20 us"
    assert format_quantity(80e9, BYTES) == "80 GB"


def _memory(text: str) -> float:
    spec = f"hermes 1\nmemory m {{ capacity = {text}; bandwidth = 1 GB/s }}\n"
    res = check_file("units.hermes", text=spec + "hardware dc { memory x : m }\n")
    assert not [d for d in res.diagnostics if d.is_error], res.diagnostics
    return res.program.platforms[0].memories[0].spec.capacity  # type: ignore[union-attr]


def test_bandwidth_times_seconds_is_bytes_in_the_language() -> None:
    assert _memory("50 GB/s * 2 s") == pytest.approx(100e9)
    assert _memory("1 TB - 24 GB") == pytest.approx(976e9)
    assert _memory("8 GiB / 2") == 4 * 2**30


def test_language_arithmetic_unit_errors() -> None:
    res = check_file(
        "units.hermes",
        text="hermes 1\nmemory m { capacity = 50 GB/s * 2; bandwidth = 1 GB/s + 1 s }\n",
    )
    got = [(d.code, d.message) for d in res.diagnostics]
    assert ("E0302", "`capacity` expects bytes, found bytes per second") in got
    assert ("E0311", "cannot add seconds to bytes per second") in got
