"""End to end: every example through `hermes run`, checked against the runtime driven from
Python with the same seed; runtime errors reported at their spec line; the Python API."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import hermes_dsl
from hermes_dsl.cli import cli
from hermes_dsl.compiler import check_file
from hermes_dsl.lower.codegen import override_text
from hermes_dsl.sim.assemble import run_point
from tests.conftest import REPO, SHARED_DATA, require_shared_data

SPECS = sorted((REPO / "specs").glob("*.hermes"))
NEEDS_DATA = {"trace_replay", "prefix_cache", "measured_profile"}
SMALL = {"requests": "40"}


def _run_cli(args: list[str], monkeypatch, tmp_path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HERMES_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _direct(spec: Path, data: tuple[Path, ...]) -> dict[str, dict[str, float]]:
    """The same experiment points run straight through the runtime, no generated code."""
    base = check_file(spec, SMALL, data_paths=data)
    assert base.ok and base.program is not None
    types = {p.name: p.type for p in base.program.params}
    out = {}
    for exp in base.program.experiments:
        names = [s.param for s in exp.sweeps]
        for combo in itertools.product(*(s.values for s in exp.sweeps)):
            extra = {n: override_text(types[n], v) for n, v in zip(names, combo, strict=True)}
            res = check_file(spec, {**SMALL, **extra}, data_paths=data)
            assert res.program is not None
            result = run_point(res.program, exp.name, exp.seed)
            label = exp.name
            if combo:
                label += (
                    "["
                    + ", ".join(
                        f"{n}={v:g}" if isinstance(v, float) else f"{n}={v}"
                        for n, v in zip(names, combo, strict=True)
                    )
                    + "]"
                )
            out[label] = {m: result.metric(m) for m in exp.report}
    return out


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_run_matches_the_runtime_driven_directly(spec: Path, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data: tuple[Path, ...] = ()
    if spec.stem in NEEDS_DATA:
        data = (require_shared_data(),)
    args = [
        "run",
        str(spec.relative_to(REPO)),
        "-p",
        "requests=40",
        "--quiet",
        "--no-plots",
        "--out",
        str(tmp_path / "out"),
    ]
    for d in data:
        args += ["--data", str(d)]
    code, _, err = _run_cli(args, monkeypatch, tmp_path)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    direct = _direct(spec, data)
    got = {p["label"]: p["metrics"] for p in summary["points"]}
    assert set(got) == set(direct)
    for label, metrics in direct.items():
        for name, value in metrics.items():
            if value != value:  # NaN is written as null
                assert got[label][name] is None
            else:
                assert got[label][name] == value, (label, name)
    assert summary["spec_sha256"] and summary["versions"]["hermes"] == hermes_dsl.__version__


def test_results_folder_has_tables_trace_and_plots(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    code, stdout, err = _run_cli(
        ["run", "specs/rag_disaggregated.hermes", "-p", "requests=40", "--out", str(out)],
        monkeypatch,
        tmp_path,
    )
    assert code == 0, err
    assert "experiment main" in stdout and "ttft.p50 (ms)" in stdout and "all SLOs" in stdout
    point = out / "main_rate_2"
    if not point.is_dir():
        point = next(p for p in out.iterdir() if p.is_dir())
    for name in (
        "requests.csv",
        "stages.csv",
        "clients.csv",
        "trace.json",
        "latency_cdf.png",
        "latency_cdf.svg",
        "stage_breakdown.png",
        "over_time.png",
        "utilisation.png",
    ):
        assert (point / name).is_file(), name
    assert (out / "goodput.png").is_file() and (out / "goodput.svg").is_file()
    header = (point / "requests.csv").read_text().splitlines()[0]
    assert "ttft" in header and "arrival" in header
    trace = json.loads((point / "trace.json").read_text())
    assert trace["traceEvents"]


def test_runs_are_deterministic_and_seeds_matter(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    outs = []
    for seed, name in ((1, "a"), (1, "b"), (2, "c")):
        code, _, err = _run_cli(
            [
                "run",
                "specs/single_llm.hermes",
                "-p",
                "requests=50",
                "--quiet",
                "--no-plots",
                "--seed",
                str(seed),
                "--out",
                str(tmp_path / name),
            ],
            monkeypatch,
            tmp_path,
        )
        assert code == 0, err
        outs.append((tmp_path / name / "main" / "requests.csv").read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]


def test_runtime_error_points_at_the_spec_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "missing_trace.hermes"
    spec.write_text(
        "hermes 1\n"
        "import std.hw.nvidia.H100_SXM\n"
        "import std.models.llama.Llama2_7B\n"
        "hardware box { gpu g : H100_SXM }\n"
        "pipeline p { stage llm = generate(Llama2_7B) on box.g }\n"
        "workload w {\n"
        "  arrival = poisson(1 req/s)\n"
        '  prompt  = trace("nowhere/lengths.csv", column = "num_prefill_tokens")\n'
        "  output  = 16\n"
        "  requests = 5\n"
        "}\n"
        "experiment main { run p with w }\n"
    )
    code, _, err = _run_cli(["run", str(spec), "--quiet"], monkeypatch, tmp_path)
    assert code == 1
    assert "error[E0501]" in err
    assert f"{spec}:8:" in err or "missing_trace.hermes:8:" in err
    assert 'prompt  = trace("nowhere/lengths.csv"' in err  # the spec line, shown under the arrow
    assert "Traceback" not in err


def test_python_api(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = hermes_dsl.load(REPO / "specs" / "single_llm.hermes", requests=30, rate="4 req/s")
    program = spec.check()
    assert program.workloads[0].requests == 30
    source = spec.compile(tmp_path / "m.py")
    assert "POINTS = (" in source and (tmp_path / "m.py").is_file()
    results = spec.run(seed=3)
    assert results.labels() == ["main"]
    r = results["main"]
    cols = r.request_columns()
    assert len(cols["ttft"]) == 30
    table = results.table()
    assert table["point"] == ["main"] and len(table["ttft.p50"]) == 1
    # the same as the runtime driven directly
    direct = run_point(program, "main", 3)
    assert direct.metric("ttft.p50") == r.metric("ttft.p50")
    assert SHARED_DATA  # imported for the data-backed cases above


def test_generated_module_runs_on_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`python generated/<spec>.py --seed 3` runs without the hermes command."""
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "generated/units_and_params.py",
            "--seed",
            "3",
            "--quiet",
            "--no-plots",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["spec"] == "specs/units_and_params.hermes"
    assert summary["points"][0]["seed"] == 3
    assert summary["points"][0]["summary"]["completed"] == 500


def test_points_in_parallel_give_the_same_results(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        code, _, err = _run_cli(
            [
                "run",
                "specs/reasoning_disagg.hermes",
                "-p",
                "requests=30",
                "--quiet",
                "--no-plots",
                "--workers",
                workers,
                "--out",
                str(out),
            ],
            monkeypatch,
            tmp_path,
        )
        assert code == 0, err
        summary = json.loads((out / "summary.json").read_text())
        outs.append([(p["label"], p["metrics"], p["summary"]) for p in summary["points"]])
    assert len(outs[0]) == 6
    assert outs[0] == outs[1]


def test_simulation_errors_keep_their_place_across_processes() -> None:
    import pickle

    from hermes_dsl.sim.assemble import SimulationError
    from hermes_dsl.source import Span

    err = SimulationError("no room", Span("s.hermes", 0, 0, 3, 5, 3, 9), "raise tp")
    back = pickle.loads(pickle.dumps(err))
    assert (back.message, back.span, back.hint) == (err.message, err.span, err.hint)
