"""Every ```hermes block in docs/language.md is a complete spec that checks clean."""

from __future__ import annotations

import re

import pytest

from hermes_dsl.compiler import check_file
from hermes_dsl.diagnostics import render_text
from tests.conftest import REPO

BLOCK = re.compile(r"```hermes\n(.*?)```", re.S)
DOC = REPO / "docs" / "language.md"
EXAMPLES = BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_reference_has_examples() -> None:
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_checks_clean(index: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / f"example_{index}.hermes"
    spec.write_text(EXAMPLES[index], encoding="utf-8")
    res = check_file(spec)
    assert not [d for d in res.diagnostics if d.is_error], render_text(res.diagnostics, res.sources)


def test_documented_diagnostic_is_what_the_compiler_prints(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.hermes"
    spec.write_text("hermes 1\nlink ib { bandwidth = 50 GB; latency = 20 us }\n")
    res = check_file(spec)
    shown = DOC.read_text(encoding="utf-8").split("```text\n")[-1].split("```")[0]
    assert render_text(res.diagnostics, res.sources).strip() == shown.strip()
