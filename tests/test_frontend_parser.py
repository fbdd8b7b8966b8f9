"""The parser: positions, numbers and count suffixes, comments, lists with a unit, records,
newlines inside brackets, and error recovery."""

from __future__ import annotations

from hermes_dsl.diagnostics import DiagnosticSink
from hermes_dsl.source import SourceFile
from hermes_dsl.syntax import ast
from hermes_dsl.syntax.parser import parse_module


def parse(text: str) -> tuple[ast.Module, list]:  # type: ignore[type-arg]
    sink = DiagnosticSink()
    module = parse_module(SourceFile("t.hermes", text), sink)
    return module, sink.items


def field_values(text: str) -> dict[str, ast.Expr]:
    module, diags = parse("hermes 1\nlink l {\n" + text + "\n}\n")
    assert not diags, diags
    return {f.name: f.value for f in module.decls[0].body}  # type: ignore[union-attr]


def test_positions_are_one_based_and_exact() -> None:
    text = "hermes 1\n\nlink ib {\n  bandwidth = 50 GB/s # fast\n}\n"
    module, diags = parse(text)
    assert not diags
    decl = module.decls[0]
    assert (decl.name_span.line, decl.name_span.col) == (3, 6)
    assert (decl.kind_span.line, decl.kind_span.col) == (3, 1)
    f = decl.body[0]  # type: ignore[index]
    assert (f.name_span.line, f.name_span.col, f.name_span.end_col) == (4, 3, 12)
    v = f.value
    assert text[v.span.start : v.span.end] == "50 GB/s"
    assert (v.span.line, v.span.col, v.span.end_line, v.span.end_col) == (4, 15, 4, 22)
    assert text[decl.span.start : decl.span.end].startswith("link ib {")
    assert text[decl.span.start : decl.span.end].endswith("}")
    head = module.header
    assert head is not None and text[head.span.start : head.span.end] == "hermes 1"


def test_numbers_units_and_count_suffixes() -> None:
    v = field_values("a = 4M\nb = 5K\nc = 1_000_000\nd = 2.5e3\ne = 80 GB\nf = 3.35TB/s\ng = 12")
    assert (v["a"].value, v["a"].unit, v["a"].is_int) == (4e6, "", True)
    assert (v["b"].value, v["b"].unit) == (5e3, "")
    assert (v["c"].value, v["c"].is_int) == (1e6, True)
    assert (v["d"].value, v["d"].is_int) == (2500.0, False)
    assert (v["e"].value, v["e"].unit) == (80, "GB")
    assert (v["f"].value, v["f"].unit) == (3.35, "TB/s")
    assert v["g"].is_int


def test_comments_and_semicolons() -> None:
    module, diags = parse(
        "# a comment first\nhermes 1 # version\n"
        "link a { bandwidth = 1 GB/s; latency = 1 us } # trailing\n"
        "# between\nlink b {\n  # inside\n  bandwidth = 2 GB/s\n}\n"
    )
    assert not diags
    assert [d.name for d in module.decls] == ["a", "b"]
    assert len(module.decls[0].body) == 2  # type: ignore[arg-type]


def test_list_with_trailing_unit_and_records() -> None:
    v = field_values(
        'a = [5, 10, 20] req/s\nb = [1, 2,]\nc = { bf16 = 989 TFLOP/s; fp8 = 2 }\nd = "x\\"y"'
    )
    lst = v["a"]
    assert isinstance(lst, ast.ListExpr) and lst.unit == "req/s"
    assert [n.value for n in lst.items] == [5, 10, 20]  # type: ignore[attr-defined]
    assert isinstance(v["b"], ast.ListExpr) and len(v["b"].items) == 2 and v["b"].unit == ""
    rec = v["c"]
    assert isinstance(rec, ast.Record) and [f.name for f in rec.fields] == ["bf16", "fp8"]
    assert isinstance(v["d"], ast.String) and v["d"].value == 'x"y'


def test_newlines_inside_parentheses_and_brackets() -> None:
    module, diags = parse(
        "hermes 1\npipeline p {\n  stage r = ivfpq(\n    centroids = 4M,\n"
        "    probes = 50\n  ) on dc.n[\n    0..4\n  ].g\n}\n"
    )
    assert not diags, diags
    stage = module.decls[0].body[0]  # type: ignore[index]
    assert isinstance(stage, ast.Stage)
    assert [a.name for a in stage.call.args] == ["centroids", "probes"]
    assert stage.on[0].dotted.startswith("dc.n")


def test_operator_precedence_and_parentheses() -> None:
    v = field_values("a = 1 + 2 * 3\nb = (1 + 2) * 3\nc = -2 GB / 2")
    assert isinstance(v["a"], ast.BinOp) and v["a"].op == "+"
    assert isinstance(v["b"], ast.BinOp) and v["b"].op == "*"
    assert isinstance(v["c"], ast.BinOp) and isinstance(v["c"].left, ast.Neg)


def test_refs_with_selectors() -> None:
    module, diags = parse("hermes 1\nlink l : NV connects g[*], n[0..4].g, r[2].c\n")
    assert not diags
    refs = module.decls[0].connects
    assert isinstance(refs[0].parts[0].selector, ast.SelectAll)
    assert isinstance(refs[1].parts[0].selector, ast.SelectRange)
    assert isinstance(refs[2].parts[0].selector, ast.SelectOne)
    assert refs[1].dotted == "n.g"


def test_keywords_as_field_and_argument_names() -> None:
    module, diags = parse("hermes 1\nworkload w { model = 1; run = 2 }\n")
    assert not diags
    assert [f.name for f in module.decls[0].body] == ["model", "run"]  # type: ignore[union-attr]


def test_imports() -> None:
    module, diags = parse(
        "hermes 1\nimport std.hw.nvidia.{H100_SXM, NVLink4 as NV}\n"
        "import std.models.llama.Llama3_8B as L\nimport std.hw.cpu\n"
    )
    assert not diags
    a, b, c = module.imports
    assert a.path == ("std", "hw", "nvidia") and [(n.name, n.alias) for n in a.names] == [
        ("H100_SXM", None),
        ("NVLink4", "NV"),
    ]
    assert b.path == ("std", "models", "llama", "Llama3_8B") and b.alias == "L"
    assert c.path == ("std", "hw", "cpu") and c.names is None


def test_error_recovery_keeps_good_items() -> None:
    module, diags = parse(
        "hermes 1\nlink a { bandwidth 1 GB/s }\nlink b { bandwidth = 2 GB/s }\n"
        "link c { bandwidth = }\nlink d { bandwidth = 4 GB/s }\n"
    )
    assert [d.code for d in diags] == ["E0102", "E0102"]
    assert [d.span.line for d in diags] == [2, 4]
    assert [d.name for d in module.decls] == ["b", "d"]
    assert set(module.broken) == {"a", "c"}


def test_unclosed_brace_points_at_the_brace() -> None:
    _, diags = parse("hermes 1\nlink a {\n  bandwidth = 1 GB/s\n")
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("E0103", 2, 8)]


def test_nul_bytes_and_empty_input() -> None:
    module, diags = parse("")
    assert not diags and module.header is None
    module, diags = parse("hermes 1\n\x00link a { bandwidth = 1 GB/s }\n")
    assert module.decls and module.decls[0].name == "a"


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    deep = "[" * 150 + "1" + "]" * 150
    _, diags = parse(f"hermes 1\nlink a {{ x = {deep} }}\nlink b {{ x = {'1 + ' * 500}1 }}\n")
    assert [d.code for d in diags] == ["E0106", "E0106"]
