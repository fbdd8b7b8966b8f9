"""The generated modules: current, deterministic, formatted, and immune to hostile specs."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hermes_dsl.lower.codegen import lower_file
from tests.conftest import REPO

SPECS = sorted((REPO / "specs").glob("*.hermes"))
UPDATE = bool(os.environ.get("HERMES_UPDATE_GOLDEN"))


def compile_in_repo(spec: Path) -> str:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        lowered = lower_file(spec.relative_to(REPO))
    finally:
        os.chdir(cwd)
    assert lowered.source is not None, [d.message for d in lowered.diagnostics]
    return lowered.source


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_generated_module_is_current(spec: Path) -> None:
    """generated/ holds the compiled form of every example; a stale one fails here."""
    target = REPO / "generated" / f"{spec.stem}.py"
    source = compile_in_repo(spec)
    if UPDATE:
        target.write_text(source, encoding="utf-8")
    assert target.is_file(), f"{target} is missing: run `hermes compile {spec}` from the repo"
    assert target.read_text(encoding="utf-8") == source, (
        f"{target.name} is stale: run `hermes compile specs/{spec.name}` "
        "(or HERMES_UPDATE_GOLDEN=1 pytest tests/test_lower_codegen.py)"
    )


def test_no_generated_module_without_a_spec() -> None:
    stems = {p.stem for p in SPECS}
    orphans = [p.name for p in (REPO / "generated").glob("*.py") if p.stem not in stems]
    assert not orphans


def test_compiling_twice_gives_the_same_bytes() -> None:
    spec = REPO / "specs" / "rag_disaggregated.hermes"
    assert compile_in_repo(spec) == compile_in_repo(spec)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff (a dev dependency) is not installed")
def test_generated_code_is_formatted() -> None:
    files = [str(p) for p in (REPO / "generated").glob("*.py")]
    done = subprocess.run(
        ["ruff", "format", "--check", "--isolated", "--line-length", "100", *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sweep_points_share_what_does_not_change() -> None:
    source = compile_in_repo(REPO / "specs" / "rag_disaggregated.hermes")
    assert source.count("\nHARDWARE_DC = Platform(") == 1  # the platform once for 3 points
    assert source.count("workloads=(WORKLOAD_CHAT_USERS") == 3
    tree = ast.parse(source)
    names = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets}
    assert {"WORKLOAD_CHAT_USERS", "WORKLOAD_CHAT_USERS_2", "WORKLOAD_CHAT_USERS_3"} <= names


HOSTILE = (
    r"""hermes 1
# names that collide with the generated module's own, strings that try to escape
param requests: int = 10
gpu SPEC {
  vendor = "\"); open('PWNED', 'w'); (\"\n\"\"\"\n"
  memory = 80 GB; mem_bandwidth = 2 TB/s; flops = { bf16 = 100 TFLOP/s }
}
gpu POINTS : SPEC { vendor = "\\\\\"\\n import os; os.system('touch PWNED') # """
    + "\u2028"
    + r"""" }
model main { layers = 2; hidden = 64; heads = 2; ffn = 128; vocab = 100 }
hardware at { gpu data_file : SPEC; gpu Point : POINTS }
pipeline COMPILER { stage __import__ = generate(main) on at.data_file }
workload os {
  arrival = poisson(1 req/s)
  prompt = trace("x\"); open('PWNED', 'w'); (\".csv", column = "\"\"\"")
  output = 8
  requests = requests
}
experiment SPEC_SHA256 { run COMPILER with os }
"""
)


def test_hostile_spec_cannot_change_the_generated_program(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "hostile.hermes"
    spec.write_text(HOSTILE, encoding="utf-8")
    lowered = lower_file(spec)
    assert lowered.source is not None, [d.message for d in lowered.diagnostics]
    tree = ast.parse(lowered.source)
    # Only imports, the `at` helper, constant assignments and the main guard at top level.
    kinds = {type(n).__name__ for n in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "FunctionDef", "Assign", "If"}
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    allowed = {"at", "data_file", "main", "Span", "SystemExit", "Point", "Program", "ParamValue"}
    ir = {
        "Device",
        "DeviceSpec",
        "Group",
        "Platform",
        "ModelSpec",
        "Batching",
        "Pipeline",
        "Stage",
        "Distribution",
        "Workload",
        "Experiment",
    }
    assert calls <= allowed | ir, calls - allowed - ir
    # Importing the module runs nothing from the spec: no file appears.
    out = tmp_path / "hostile_gen.py"
    out.write_text(lowered.source, encoding="utf-8")
    code = f"import runpy; runpy.run_path({str(out)!r}, run_name='not_main')"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert not (tmp_path / "PWNED").exists()
    # The strings survive intact as data.
    namespace = {}
    exec(compile(lowered.source, str(out), "exec"), namespace)
    vendors = {namespace["GPU_SPEC"].vendor, namespace["GPU_POINTS"].vendor}
    assert '"); open(\'PWNED\', \'w\'); ("\n"""\n' in vendors
    assert namespace["SPEC"] == "hostile.hermes"
