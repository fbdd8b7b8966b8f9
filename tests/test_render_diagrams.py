"""Diagrams: golden DOT of three specs, determinism, SVG through the real Graphviz, the CLI.

``HERMES_UPDATE_GOLDEN=1 pytest tests/test_render_diagrams.py`` rewrites the golden DOT files
in tests/golden/dot/<spec>/; look at the pictures (``hermes diagram``) before committing them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hermes_dsl.cli import cli
from hermes_dsl.compiler import check_file
from hermes_dsl.render import GRAPHVIZ_INSTALL, diagrams, write_diagrams
from hermes_dsl.render import output as render_output

GOLDEN = Path(__file__).parent / "golden" / "dot"
SPECS = sorted(GOLDEN.glob("*.hermes"))
UPDATE = bool(os.environ.get("HERMES_UPDATE_GOLDEN"))
NEEDS_DOT = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz `dot` is not installed (apt-get install graphviz); CI installs it",
)


def _program(path: Path):  # type: ignore[no-untyped-def]
    res = check_file(path)
    assert res.program is not None and res.graphs is not None
    assert not [d for d in res.diagnostics if d.is_error]
    return res


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_golden_dot(spec: Path) -> None:
    res = _program(spec)
    got = diagrams(res.program, res.graphs)
    folder = GOLDEN / spec.stem
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, text in got.items():
            (folder / name).write_text(text, encoding="utf-8")
    want = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.dot"))}
    assert sorted(got) == sorted(want), "a diagram appeared or disappeared"
    for name in got:
        assert got[name] == want[name], f"{spec.stem}/{name} changed"


def test_dot_is_the_same_every_run() -> None:
    spec = GOLDEN / "racks_4x8x8.hermes"
    first = diagrams(_program(spec).program, _program(spec).graphs)
    second = diagrams(_program(spec).program, _program(spec).graphs)
    assert first == second
    for text in first.values():
        assert " at 0x" not in text and "20" + "2" not in text.split("\n")[0]


def test_collapsed_and_expanded_views() -> None:
    res = _program(GOLDEN / "racks_4x8x8.hermes")
    hw = diagrams(res.program, res.graphs)["hardware.dc.dot"]
    assert "n[0..7]  (8 identical)" in hw and "g[0..7]" in hw and "8 × H100_SXM" in hw
    assert all(f"rack r[{i}]" in hw for i in range(4))
    assert "dc.r[0].n[1].g[0]" not in hw  # the 8 nodes of a rack are one cluster
    expanded = diagrams(res.program, res.graphs, expand=True)["hardware.dc.dot"]
    assert "dc.r[3].n[7].g[7]" in expanded and "identical" not in expanded
    place = diagrams(res.program, res.graphs)["placement.chat.dot"]
    # prefill on nodes 0-3, decode on 4-7: nodes collapse only where their stages agree
    assert "n[1..3]  (3 identical)" in place and "n[4..7]  (4 identical)" in place


def _svg_texts(svg: str) -> str:
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


@NEEDS_DOT
def test_svg_names_every_rack_node_group_and_stage(tmp_path: Path) -> None:
    res = _program(GOLDEN / "racks_4x8x8.hermes")
    files = write_diagrams(res.program, res.graphs, tmp_path, "racks")
    assert not files.warnings, files.warnings
    names = sorted(p.name for p in files.images)
    assert "racks.hardware.dc.svg" in names and "racks.hardware.dc.png" in names
    hw = _svg_texts((tmp_path / "racks.hardware.dc.svg").read_text(encoding="utf-8"))
    for i in range(4):
        assert f"rack r[{i}]" in hw
    assert "node n[0..7]" in hw
    for text in ("g[0..7]", "spine · InterRack", "ib · InterNode", "nv · NVLink4"):
        assert text in hw
    flow = _svg_texts((tmp_path / "racks.dataflow.chat.svg").read_text(encoding="utf-8"))
    place = _svg_texts((tmp_path / "racks.placement.chat.svg").read_text(encoding="utf-8"))
    for stage in res.program.pipelines[0].stages:
        assert stage.name in flow and stage.name in place
    assert "node n[1..3]" in place and "node n[4..7]" in place


def test_without_graphviz_dot_is_written_and_the_install_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_output, "dot_executable", lambda: None)
    monkeypatch.chdir(GOLDEN)
    result = CliRunner().invoke(cli, ["diagram", "full_example.hermes", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "apt-get install graphviz" in result.stderr and GRAPHVIZ_INSTALL in result.stderr
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".dot"] * 3


@NEEDS_DOT
def test_cli_writes_svg_and_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    result = CliRunner().invoke(cli, ["diagram", "routing_mixed.hermes", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    suffixes = sorted({p.suffix for p in tmp_path.iterdir()})
    assert suffixes == [".dot", ".png", ".svg"]


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["diagram", str(tmp_path / "missing.hermes")]).exit_code == 2
    bad = tmp_path / "bad.hermes"
    bad.write_text("hermes 1\nlink x { bandwidth = 1 GB }\n")
    assert runner.invoke(cli, ["diagram", str(bad), "-o", str(tmp_path / "o")]).exit_code == 1
    broken = Path(__file__).parent / "golden" / "check" / "e0418_weights.hermes"
    out = tmp_path / "o2"
    result = runner.invoke(cli, ["diagram", str(broken), "-o", str(out)])
    assert result.exit_code == 1 and "E0418" in result.stderr
    assert (out / "e0418_weights.placement.p.dot").is_file()  # drawn anyway, to see why
