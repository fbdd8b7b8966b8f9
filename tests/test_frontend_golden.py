"""Golden diagnostics: every spec in tests/golden/bad/ against the text `hermes check` prints.

Each bad spec holds one mistake a user could make and says on its first line which codes it
must produce (``# expect: E0302``), so a golden file cannot drift to a different error without
the test noticing.  ``HERMES_UPDATE_GOLDEN=1 pytest tests/test_frontend_golden.py`` rewrites the
``.out`` files; review the diff as a user would before committing it.

The CLI runs in-process (click's CliRunner) from inside tests/golden/bad/, so file names in the
output are short; one subprocess test checks the real exit codes and the JSON format.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hermes_dsl.cli import cli
from hermes_dsl.compiler import check_file
from hermes_dsl.explanations import EXPLANATIONS

BAD = Path(__file__).parent / "golden" / "bad"
CASES = sorted(BAD.glob("*.hermes"))
UPDATE = bool(os.environ.get("HERMES_UPDATE_GOLDEN"))
EXPECT = re.compile(r"#\s*expect:\s*(.*)")

# Codes the corpus does not hold, each with the test that covers it instead.
ELSEWHERE = {
    "E0206": "test_import_through_symlink_is_refused (tests/test_frontend_imports.py)",
    "E0211": "test_unknown_override_param (tests/test_frontend_params.py)",
    "E0310": "test_override_that_does_not_parse (tests/test_frontend_params.py)",
}


def expected_codes(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = EXPECT.match(first)
    assert m, f"{path.name}: the first line must be `# expect: CODE ...`"
    return m[1].split()


def run_check(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    monkeypatch.chdir(BAD)
    result = CliRunner().invoke(cli, ["check", "--no-color", name])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.stdout, result.exit_code


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_diagnostics(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run_check(path.name, monkeypatch)
    golden = path.with_suffix(".out")
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"missing {golden.name}: run with HERMES_UPDATE_GOLDEN=1"
    assert out == golden.read_text(encoding="utf-8")
    reported = re.findall(r"^(?:error|warning)\[(\w+)\]", out, re.M)
    for want in expected_codes(path):
        assert want in reported, f"{path.name}: expected {want}, got {reported}"
    errors = [c for c in reported if c.startswith("E")]
    assert code == (1 if errors else 0)


def test_every_reachable_code_is_covered() -> None:
    covered = {c for p in CASES for c in expected_codes(p)}
    # E04xx beyond E0407 belong to the structure checks (hermes_dsl/check), tested there
    front_end = {c for c in EXPLANATIONS if re.fullmatch(r"[EW]0([1-3]\d\d|40[1-7])", c)}
    missing = sorted(front_end - covered - set(ELSEWHERE))
    assert not missing, f"no golden bad spec expects {missing}"
    assert len(CASES) >= 45


def test_no_orphan_golden_files() -> None:
    outs = {p.stem for p in BAD.glob("*.out")}
    assert outs == {p.stem for p in CASES}


def test_three_independent_mistakes_give_three_errors() -> None:
    res = check_file(BAD / "049_three_mistakes.hermes")
    errors = [d for d in res.diagnostics if d.is_error]
    assert [d.code for d in errors] == ["E0302", "E0306", "E0212"]
    assert [d.span.line for d in errors] == [8, 11, 16]


def test_syntax_errors_in_several_items_are_all_reported() -> None:
    text = (
        "hermes 1\n"
        "link a { bandwidth 10 GB/s }\n"
        "link b { bandwidth = 10 GB/s; latency = 1 us }\n"
        "model m { layers = 32 hidden = 4 }\n"
        "link c { bandwidth = 10 GB/s; latency = 1 us; efficiency = 2 }\n"
    )
    res = check_file(BAD / "inline.hermes", text=text)
    got = [(d.code, d.span.line) for d in res.diagnostics]
    assert got == [("E0102", 2), ("E0102", 4), ("E0304", 5)]


def test_the_design_example_renders_as_documented() -> None:
    """DESIGN.md: `bandwidth = 50 GB` -> E0302, carets under `50 GB`, hint `50 GB/s`."""
    out = (BAD / "026_bandwidth_in_bytes.out").read_text(encoding="utf-8")
    assert "error[E0302]: `bandwidth` expects bytes per second, found bytes" in out
    line = next(x for x in out.splitlines() if "^" in x)
    src_line = next(x for x in out.splitlines() if "bandwidth = 50 GB;" in x)
    col = line.index("^")
    assert src_line[col : col + line.count("^")] == "50 GB"
    assert line.endswith("did you mean `50 GB/s`?")


# ------------------------------------------------------------------------------ real CLI


def _hermes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hermes_dsl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    good = tmp_path / "good.hermes"
    good.write_text("hermes 1\nlink ib { bandwidth = 50 GB/s; latency = 20 us }\n")
    ok = _hermes("check", str(good), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "0 errors" in ok.stderr

    bad = _hermes("check", "--format", "json", "026_bandwidth_in_bytes.hermes", cwd=BAD)
    assert bad.returncode == 1
    diags = json.loads(bad.stdout)
    assert diags and diags[0]["code"] == "E0302"
    for d in diags:
        assert {"code", "file", "line", "column", "message"} <= d.keys()
        assert d["file"] == "026_bandwidth_in_bytes.hermes"
        assert (d["line"], d["column"]) == (8, 25)

    usage = _hermes("check", "no_such_file.hermes", cwd=tmp_path)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr
    usage = _hermes("check", "--bogus-option", str(good), cwd=tmp_path)
    assert usage.returncode == 2


def test_explain_every_code() -> None:
    runner = CliRunner()
    for code in EXPLANATIONS:
        result = runner.invoke(cli, ["explain", code])
        assert result.exit_code == 0 and code in result.stdout
    assert runner.invoke(cli, ["explain", "E9999"]).exit_code == 2
