"""Golden diagnostics of the structure checks: tests/golden/check/*.hermes against the text
`hermes check` prints (the .out beside each spec).

Each spec's first line names the codes it must produce (``# expect: E0410 E0413``) and the
test asserts exactly those codes appear, so a golden file cannot drift to another problem
unnoticed.  ``HERMES_UPDATE_GOLDEN=1 pytest tests/test_check_golden.py`` rewrites the .out
files; read the diff as a user would before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hermes_dsl.cli import cli
from hermes_dsl.explanations import EXPLANATIONS

GOLDEN = Path(__file__).parent / "golden" / "check"
CASES = sorted(GOLDEN.glob("*.hermes"))
UPDATE = bool(os.environ.get("HERMES_UPDATE_GOLDEN"))
EXPECT = re.compile(r"#\s*expect:\s*(.*)")
HEADER = re.compile(r"^(?:error|warning)\[(\w+)\]", re.M)
CHECK_CODES = [c for c in EXPLANATIONS if c[1:3] == "04" and c[1:].isdigit() and int(c[3:]) >= 10]


def expected_codes(path: Path) -> set[str]:
    m = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert m, f"{path.name}: the first line must be `# expect: CODE ...`"
    return set(m[1].split())


def run_check(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    monkeypatch.chdir(GOLDEN)
    result = CliRunner().invoke(cli, ["check", "--no-color", name])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.stdout, result.exit_code


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_check(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run_check(path.name, monkeypatch)
    golden = path.with_suffix(".out")
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert golden.is_file(), f"no {golden.name}; run with HERMES_UPDATE_GOLDEN=1"
    assert out == golden.read_text(encoding="utf-8")
    found = set(HEADER.findall(out))
    assert found == expected_codes(path)
    assert code == (1 if any(c.startswith("E") for c in found) else 0)


def test_every_check_code_has_a_golden_spec() -> None:
    covered: set[str] = set()
    for path in CASES:
        covered |= expected_codes(path)
    assert CHECK_CODES, "no E041x/W041x codes in explanations.py"
    assert set(CHECK_CODES) <= covered, sorted(set(CHECK_CODES) - covered)


def test_every_code_the_checks_emit_is_explained() -> None:
    source = (Path(__file__).parents[1] / "hermes_dsl" / "check" / "rules.py").read_text()
    emitted = set(re.findall(r'"([EW]04\d\d)"', source))
    assert emitted and emitted <= set(EXPLANATIONS), sorted(emitted - set(EXPLANATIONS))
