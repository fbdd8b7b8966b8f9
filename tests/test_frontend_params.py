"""`-p NAME=VALUE` overrides: they change the IR, are read with the language's own grammar, and
a wrong one is a diagnostic (E0302, E0310, E0211), never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hermes_dsl.cli import cli
from hermes_dsl.compiler import check_file

SPEC = """\
hermes 1
param rate: rate = 20 req/s
param hit: fraction = 0.5
param tag: string = "base"

workload conv {
  arrival = poisson(rate)
  prompt = fixed(512)
  output = fixed(128)
}
"""


def run(params: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return check_file("params.hermes", params, text=SPEC)


def arrival_rate(res) -> float:  # type: ignore[no-untyped-def]
    return dict(res.program.workloads[0].arrival.params)["rate"]


def test_default_values() -> None:
    res = run()
    assert res.ok
    assert {p.name: p.value for p in res.program.params} == {"rate": 20, "hit": 0.5, "tag": "base"}
    assert arrival_rate(res) == 20.0


def test_override_changes_the_ir() -> None:
    res = run({"rate": "30req/s", "hit": "0.9", "tag": '"other"'})
    assert res.ok, res.diagnostics
    assert arrival_rate(res) == 30.0
    assert {p.name: p.value for p in res.program.params}["hit"] == 0.9
    assert run({"rate": "1.5 req/s"}).program.params[0].value == 1.5


def test_override_with_wrong_unit() -> None:
    res = run({"rate": "30 GB/s"})
    assert [d.code for d in res.diagnostics] == ["E0302"]
    assert "requests per second" in res.diagnostics[0].message
    assert res.diagnostics[0].span.file == "<-p rate>"


def test_override_with_plain_number_where_a_rate_is_needed() -> None:
    res = run({"rate": "30"})
    assert [d.code for d in res.diagnostics] == ["E0302"]
    assert res.diagnostics[0].hint == "add a unit, e.g. `30 req/s`"


def test_override_that_does_not_parse() -> None:
    res = run({"rate": "30 req/s)"})
    assert [d.code for d in res.diagnostics] == ["E0310"]
    assert "30 req/s)" in res.diagnostics[0].message


def test_override_out_of_range() -> None:
    res = run({"hit": "1.5"})
    assert [d.code for d in res.diagnostics] == ["E0304"]


def test_unknown_override_param() -> None:
    res = run({"rat": "30req/s"})
    assert [d.code for d in res.diagnostics] == ["E0211"]
    assert res.diagnostics[0].hint == "did you mean `rate`?"


def test_cli_override(tmp_path: Path) -> None:
    spec = tmp_path / "p.hermes"
    spec.write_text(SPEC)
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", str(spec), "-p", "rate=30req/s"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli, ["check", "--no-color", str(spec), "-p", "rate=30 GB/s"])
    assert bad.exit_code == 1 and "error[E0302]" in bad.stdout
    usage = runner.invoke(cli, ["check", str(spec), "-p", "rate"])
    assert usage.exit_code == 2
