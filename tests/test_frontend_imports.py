"""Imports: selective and aliased names, whole modules used as namespaces, `--path` folders,
and the sandbox (a symlink leading outside the allowed folders is refused)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hermes_dsl.compiler import check_file

USE = """
hardware dc {{
  gpu g[2] : {gpu}
  link nv : {link} connects g[*]
}}
"""


def devices(res):  # type: ignore[no-untyped-def]
    return res.program.platforms[0].devices


def test_selective_import_with_alias(tmp_path: Path) -> None:
    text = "hermes 1\nimport std.hw.nvidia.{H100_SXM, NVLink4 as NV}\n" + USE.format(
        gpu="H100_SXM", link="NV"
    )
    res = check_file(tmp_path / "a.hermes", text=text)
    assert res.ok, res.diagnostics
    assert devices(res)[0].spec.type_name == "H100_SXM"
    assert res.program.platforms[0].links[0].spec.bandwidth == 450e9


def test_single_name_import_with_alias(tmp_path: Path) -> None:
    text = (
        "hermes 1\nimport std.hw.nvidia.H100_SXM as Hopper\nimport std.hw.nvidia.NVLink4\n"
        + USE.format(gpu="Hopper", link="NVLink4")
    )
    res = check_file(tmp_path / "a.hermes", text=text)
    assert res.ok, res.diagnostics
    assert devices(res)[0].spec.memory == 80e9


def test_whole_module_import(tmp_path: Path) -> None:
    text = "hermes 1\nimport std.hw.nvidia\n" + USE.format(
        gpu="nvidia.H100_SXM", link="nvidia.NVLink4"
    )
    res = check_file(tmp_path / "a.hermes", text=text)
    assert res.ok, res.diagnostics
    assert len(devices(res)) == 2


def test_whole_module_unknown_member(tmp_path: Path) -> None:
    text = "hermes 1\nimport std.hw.nvidia\n" + USE.format(
        gpu="nvidia.H100_SMX", link="nvidia.NVLink4"
    )
    res = check_file(tmp_path / "a.hermes", text=text)
    assert [d.code for d in res.diagnostics] == ["E0201"]


def test_sibling_module_and_path_folder(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "mine.hermes").write_text(
        "hermes 1\nimport std.hw.nvidia.H100_SXM\ngpu Big : H100_SXM { memory = 141 GB }\n"
        "link Fast { bandwidth = 900 GB/s }\n"
    )
    text = "hermes 1\nimport parts.mine.{Big, Fast}\n" + USE.format(gpu="Big", link="Fast")
    res = check_file(tmp_path / "a.hermes", text=text)
    assert res.ok, res.diagnostics
    assert devices(res)[0].spec.memory == 141e9

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = elsewhere / "b.hermes"
    res = check_file(spec, text=text)
    assert [d.code for d in res.diagnostics] == ["E0203"]
    res = check_file(spec, search_paths=(tmp_path,), text=text)
    assert res.ok, res.diagnostics


def test_import_through_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.hermes").write_text("hermes 1\nlink Secret { bandwidth = 1 GB/s }\n")
    project = tmp_path / "project"
    project.mkdir()
    try:
        os.symlink(outside / "secret.hermes", project / "secret.hermes")
        os.symlink(outside, project / "lib")
    except OSError:
        pytest.skip("symbolic links are not available here")
    for module in ("secret", "lib.secret"):
        text = f"hermes 1\nimport {module}.Secret\n"
        res = check_file(project / "spec.hermes", text=text)
        assert [d.code for d in res.diagnostics] == ["E0206"], module
        assert "outside the folders" in res.diagnostics[0].message


def test_import_cycle_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "a.hermes").write_text("hermes 1\nimport b.Y\nlink X { bandwidth = 1 GB/s }\n")
    (tmp_path / "b.hermes").write_text("hermes 1\nimport a.X\nlink Y { bandwidth = 1 GB/s }\n")
    res = check_file(tmp_path / "main.hermes", text="hermes 1\nimport a.X\n")
    assert [d.code for d in res.diagnostics] == ["E0205"]


def test_importing_a_name_twice_under_one_alias(tmp_path: Path) -> None:
    text = "hermes 1\nimport std.hw.nvidia.{H100_SXM as G, B200 as G}\n"
    res = check_file(tmp_path / "a.hermes", text=text)
    assert [d.code for d in res.diagnostics] == ["E0202"]
