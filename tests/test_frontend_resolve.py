"""Resolution: array expansion and ranges, inheritance with field overrides, SI vs IEC sizes,
and IR golden files (a deterministic text dump of the Program) for two specs.

``HERMES_UPDATE_GOLDEN=1 pytest tests/test_frontend_resolve.py`` rewrites tests/golden/ir/*.txt.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from hermes_dsl.compiler import check_file

IR = Path(__file__).parent / "golden" / "ir"
UPDATE = bool(os.environ.get("HERMES_UPDATE_GOLDEN"))


def dump(obj: object, indent: int = 0) -> str:
    """The IR as indented text: every dataclass field but spans, floats with repr()."""
    pad = "  " * indent
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = [f for f in dataclasses.fields(obj) if f.name != "span"]
        head = type(obj).__name__
        if all(not _is_nested(getattr(obj, f.name)) for f in fields):
            inner = ", ".join(f"{f.name}={_atom(getattr(obj, f.name))}" for f in fields)
            return f"{pad}{head}({inner})"
        lines = [f"{pad}{head}"]
        for f in fields:
            v = getattr(obj, f.name)
            if _is_nested(v):
                lines.append(f"{pad}  {f.name}:")
                lines.append(dump(v, indent + 2))
            else:
                lines.append(f"{pad}  {f.name} = {_atom(v)}")
        return "\n".join(lines)
    if isinstance(obj, tuple | list):
        return "\n".join(dump(x, indent) for x in obj) if obj else f"{pad}()"
    return f"{pad}{_atom(obj)}"


def _is_nested(v: object) -> bool:
    if dataclasses.is_dataclass(v):
        return True
    return isinstance(v, tuple | list) and any(dataclasses.is_dataclass(x) for x in v)


def _atom(v: object) -> str:
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, tuple):
        return "(" + ", ".join(_atom(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


def resolve(text: str, path: str = "spec.hermes"):  # type: ignore[no-untyped-def]
    res = check_file(path, text=text)
    errors = [d for d in res.diagnostics if d.is_error]
    assert not errors, errors
    return res.program


@pytest.mark.parametrize("name", ["rag_chat", "imports_and_arrays"])
def test_ir_golden(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(IR)
    res = check_file(f"{name}.hermes")
    assert not [d for d in res.diagnostics if d.is_error], res.diagnostics
    text = dump(res.program) + "\n"
    golden = IR / f"{name}.txt"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden.name}: run with HERMES_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


HW = """\
hermes 1
import std.hw.nvidia.{H100_SXM, NVLink4}
hardware dc {
  rack r[2] {
    node n[8] {
      gpu g[4] : H100_SXM
      link nv : NVLink4 connects g[*]
    }
  }
}
pipeline p {
  stage a = prefill(M) on %s
}
model M { layers = 2; hidden = 64; heads = 4; ffn = 128; vocab = 100 }
"""


def placed(on: str) -> tuple[str, ...]:
    return resolve(HW % on).pipelines[0].stages[0].devices


def test_array_expansion_names_every_instance() -> None:
    platform = resolve(HW % "dc").platforms[0]
    paths = [d.path for d in platform.devices]
    assert len(paths) == 2 * 8 * 4
    assert paths[0] == "dc.r[0].n[0].g[0]" and paths[-1] == "dc.r[1].n[7].g[3]"
    assert len(platform.links) == 16
    assert platform.links[0].endpoints == tuple(f"dc.r[0].n[0].g[{i}]" for i in range(4))


def test_ranges_are_half_open_and_star_selects_all() -> None:
    first = placed("dc.r[0].n[0..4].g")
    assert len(first) == 16
    assert first[0] == "dc.r[0].n[0].g[0]" and first[-1] == "dc.r[0].n[3].g[3]"
    assert placed("dc.r[*].n[4..8].g[0]") == tuple(
        f"dc.r[{r}].n[{n}].g[0]" for r in range(2) for n in range(4, 8)
    )
    assert placed("dc.r[1].n[7].g[*]") == placed("dc.r[1].n[7].g")
    assert len(placed("dc")) == 64
    assert placed("dc.r[0].n[0].g[3]") == ("dc.r[0].n[0].g[3]",)


def test_bad_ranges() -> None:
    for on, msg in [
        ("dc.r[0].n[4..4].g", "range 4..4"),
        ("dc.r[0].n[0..9].g", "range 0..9"),
        ("dc.r[2].n[0].g", "index 2"),
        ("dc.r[0].n[0].g[0].x", "has no part named `x`"),
    ]:
        res = check_file("s.hermes", text=HW % on)
        assert any(msg in d.message for d in res.diagnostics), (on, res.diagnostics)


def test_field_override_changes_only_that_field() -> None:
    prog = resolve(
        "hermes 1\nimport std.hw.nvidia.H100_SXM\ngpu X : H100_SXM { memory = 94 GB }\n"
        "hardware dc { gpu a : H100_SXM; gpu b : X }\n"
    )
    a, b = (d.spec for d in prog.platforms[0].devices)
    assert a.memory == 80e9 and b.memory == 94e9
    assert dataclasses.replace(b, memory=a.memory, type_name=a.type_name) == a


def test_model_override_and_inherited_fields() -> None:
    prog = resolve(
        "hermes 1\nimport std.models.llama.{Llama3_8B, Llama3_1_8B}\n"
        "model m : Llama3_1_8B { dtype = fp8 }\nmodel n : Llama3_8B\n"
    )
    m, n = prog.models
    assert (m.dtype, m.kv_dtype, m.max_context) == ("fp8", "bf16", 131072)
    assert (n.dtype, n.max_context) == ("bf16", 8192)
    assert (m.layers, m.hidden, m.heads, m.kv_heads) == (n.layers, n.hidden, n.heads, n.kv_heads)


def test_group_template_members_are_inherited_and_replaced() -> None:
    prog = resolve(
        "hermes 1\nimport std.hw.nvidia.{H100_SXM, B200}\nimport std.hw.cpu.Grace\n"
        "node Box { gpu g[8] : H100_SXM; cpu c : Grace }\n"
        "node Newer : Box { gpu g[4] : B200 }\n"
        "hardware dc { node a : Box; node b : Newer }\n"
    )
    devices = prog.platforms[0].devices
    b_gpus = [d for d in devices if d.path.startswith("dc.b.g")]
    assert len(b_gpus) == 4 and b_gpus[0].spec.type_name == "B200"
    assert [d.path for d in devices if d.path.startswith("dc.b.c")] == ["dc.b.c"]
    assert len([d for d in devices if d.path.startswith("dc.a.g")]) == 8


def test_gib_and_gb_are_both_accepted_and_distinct() -> None:
    prog = resolve(
        "hermes 1\nmemory a { capacity = 80 GB; bandwidth = 1 GB/s }\n"
        "memory b { capacity = 80 GiB; bandwidth = 1 GiB/s }\n"
        "hardware dc { memory x : a; memory y : b }\n"
    )
    x, y = (m.spec for m in prog.platforms[0].memories)
    assert x.capacity == 80e9 and y.capacity == 80 * 2**30
    assert x.bandwidth == 1e9 and y.bandwidth == 2**30


def test_count_suffixes_and_units_reach_the_ir() -> None:
    prog = resolve(
        "hermes 1\nimport std.hw.cpu.Grace\nhardware dc { cpu c : Grace }\n"
        "model M { layers = 2; hidden = 64; heads = 4; ffn = 128; vocab = 32K }\n"
        "pipeline p {\n"
        "  stage r = ivfpq(centroids = 4M, probes = 50, points_per_probe = 5K) on dc.c\n}\n"
    )
    assert prog.models[0].vocab == 32000
    opts = dict(prog.pipelines[0].stages[0].options)
    assert (opts["centroids"], opts["points_per_probe"]) == (4_000_000, 5000)
