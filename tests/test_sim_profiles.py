"""Measured profiles from the language to the simulator: a `profile` declaration makes the
clients of its model and device use the measured kernel times, checked against a hand sum of
the table; fallbacks outside the table are reported; generated code finds the file again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hermes_dsl.cli import cli
from hermes_dsl.compiler import check_file
from hermes_dsl.lower.codegen import lower_file
from hermes_dsl.perf.llm import LLMCost
from hermes_dsl.perf.profiles import ProfiledCost, ProfileError, read_profile
from hermes_dsl.sim.assemble import SimulationError, build_llm_clients, run_point
from tests.conftest import REPO, require_shared_data

SPEC = """hermes 1
import std.hw.nvidia.{{A100_80GB, H100_SXM}}
import std.models.llama.Llama2_7B

hardware h {{
  node n {{
    gpu a : A100_80GB
    gpu b : H100_SXM
  }}
}}
{profile}
pipeline p {{
  stage llm = generate(Llama2_7B, batching = static(max_batch = 1)) on h.n.{device}
}}

workload w {{
  arrival = poisson(1 req/s)
  prompt = {prompt}
  output = 2
  requests = 1
}}

experiment e {{
  run p with w
  seed = 1
}}
"""

PROFILE = """
profile measured {
  device = A100_80GB
  model  = Llama2_7B
  data   = "llama.csv"
}
"""

# Each kernel of the table takes FIXED + SLOPE x tokens: two rows per operator, so linear
# interpolation between them is exact and the expected times can be summed by hand.
FIXED, SLOPE = 3e-6, 2e-8
TOKEN_OPS = ("input_norm", "qkv_proj", "rope", "o_proj", "post_norm", "mlp_up", "mlp_act")
TOKEN_OPS += ("mlp_down", "add", "embedding", "attn_prefill", "lm_head")


def kernel(tokens: float) -> float:
    return FIXED + SLOPE * tokens


def write_table(path: Path, top: int = 4096) -> None:
    lines = ["operator,tokens,batch,tp,seconds"]
    for op in TOKEN_OPS:
        for t in (1, top):
            lines.append(f"{op},{t},1,1,{kernel(t)!r}")
    for ctx in (1, 8192):  # one decoding request reading `ctx` cached tokens
        lines.append(f"attn_decode,{ctx},1,1,{kernel(ctx)!r}")
    path.write_text("\n".join(lines) + "\n")


def spec(tmp_path: Path, *, profile: bool = True, device: str = "a", prompt: int = 512) -> Path:
    tmp_path.mkdir(exist_ok=True)
    write_table(tmp_path / "llama.csv")
    path = tmp_path / "spec.hermes"
    text = SPEC.format(profile=PROFILE if profile else "", device=device, prompt=prompt)
    path.write_text(text)
    return path


def resolve(path: Path):  # type: ignore[no-untyped-def]
    res = check_file(path)
    assert res.ok, [d.message for d in res.diagnostics]
    return res


def test_profiled_prefill_is_the_hand_sum_of_the_table(tmp_path: Path) -> None:
    res = resolve(spec(tmp_path))
    program = res.program
    model = program.model("Llama2_7B")
    (prof,) = program.profiles
    assert prof.format == "" and prof.tps == (1,)  # no `format`: told from the header
    assert read_profile(prof.path).format == "table"
    (info,) = [i for i in res.info if i.topic == "kv_capacity"]  # what `check --info` prints
    assert info.value("profile") == "measured" and "timings measured" in info.message

    stage = program.pipelines[0].stages[0]
    (client,) = build_llm_clients(program, stage)
    assert isinstance(client.cost, ProfiledCost)

    result = run_point(program, "e", 1)
    p = 512
    # Per layer: nine token kernels, the residual add twice, and prefill attention; once per
    # iteration: the embedding gather and the LM head for one sequence, plus the final norm
    # (not a table operator: the analytical model prices it).
    layer = (8 + 2) * kernel(p) + kernel(p)  # eight kernels, add twice; attention
    final_norm = LLMCost(client.cost.analytical.device, model).km.elementwise(
        p * client.cost.analytical.plan.norm_bytes, "norm"
    )
    want = model.layers * layer + kernel(p) + kernel(1) + final_norm
    ttft = result.column("ttft")[0]
    assert ttft == pytest.approx(want, rel=1e-12)
    assert result.warnings == ()

    analytical = run_point(resolve(spec(tmp_path / "x", profile=False)).program, "e", 1)
    assert analytical.column("ttft")[0] != pytest.approx(ttft, rel=0.01)


def test_outside_the_table_falls_back_with_a_warning(tmp_path: Path) -> None:
    res = resolve(spec(tmp_path, prompt=512))
    write_table(tmp_path / "llama.csv", top=256)  # the prompt is now above the measured range
    result = run_point(res.program, "e", 1)
    assert any("above the profiled range" in w and "qkv_proj" in w for w in result.warnings)
    assert any("used the analytical model" in w for w in result.warnings)
    assert all(w.startswith("profile `measured`") for w in result.warnings)


def test_a_profile_applies_only_to_its_device(tmp_path: Path) -> None:
    res = check_file(spec(tmp_path, device="b"))  # the stage runs on the H100
    assert "W0415" in [d.code for d in res.diagnostics] and res.ok
    stage = res.program.pipelines[0].stages[0]
    (client,) = build_llm_clients(res.program, stage)
    assert isinstance(client.cost, LLMCost)


def test_profile_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("operator,tokens,batch,tp,seconds\nqkv_proj,1,1,1,1e-5\nqkv_proj,0,1,1,1e-5\n")
    with pytest.raises(ProfileError, match=r"bad.csv: line 3: tokens must be positive"):
        read_profile(bad)
    bad.write_text("operator,tokens,batch,tp,seconds\nmatmul,1,1,1,1e-5\n")
    with pytest.raises(ProfileError, match=r"line 2: unknown operator 'matmul'"):
        read_profile(bad)
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ProfileError, match=r"neither a Vidur mlp\.csv nor a table"):
        read_profile(bad)
    good = tmp_path / "good.csv"
    write_table(good)
    with pytest.raises(ProfileError, match="the header is that of a table file"):
        read_profile(good, "vidur")


def test_generated_code_finds_the_profile_again(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = spec(tmp_path)
    lowered = lower_file(path)
    assert lowered.source is not None
    assert 'path=data_file("llama.csv", SPEC)' in lowered.source
    assert str(tmp_path / "llama.csv") not in lowered.source  # located again when run
    monkeypatch.setenv("HERMES_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "spec.hermes", "--quiet", "--out", "out"])
    assert result.exit_code == 0, result.output
    direct = run_point(resolve(path).program, "e", 1)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (point,) = summary["points"]
    assert point["warnings"] == []
    assert point["summary"]["ttft.p50"] == pytest.approx(direct.column("ttft")[0], rel=1e-12)


def test_missing_profile_file_fails_the_run_at_the_profile(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = spec(tmp_path)
    (tmp_path / "llama.csv").unlink()
    monkeypatch.setenv("HERMES_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "spec.hermes", "--quiet"])
    assert result.exit_code == 1
    assert "E0501" in result.stderr and "profile file `llama.csv` not found" in result.stderr
    assert "spec.hermes:12:9" in result.stderr  # the profile's name in the spec
    assert path.is_file()


def test_vidur_profile_of_the_published_data(tmp_path: Path) -> None:
    data = require_shared_data()
    path = tmp_path / "spec.hermes"
    text = SPEC.format(
        profile=PROFILE.replace(
            '"llama.csv"', '"profiles/vidur/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv"'
        ),
        device="a",
        prompt=512,
    )
    path.write_text(text)
    res = check_file(path, data_paths=(data,))
    assert res.ok, [d.message for d in res.diagnostics]
    (prof,) = res.program.profiles
    assert read_profile(prof.path).format == "vidur" and prof.tps == (1, 2, 4, 8)
    stage = res.program.pipelines[0].stages[0]
    (client,) = build_llm_clients(res.program, stage)
    cost = client.cost
    assert isinstance(cost, ProfiledCost)
    # At a measured token count, each profiled kernel is the file's median for that row.
    table = read_profile(prof.path)
    rows = [r for r in table.rows if r.operator == "qkv_proj" and r.tp == 1 and r.tokens == 512]
    assert rows and cost.lookup("qkv_proj", 512) == pytest.approx(
        sum(r.seconds for r in rows) / len(rows)
    )
    result = run_point(res.program, "e", 1)
    # Vidur files have no attention or LM head: the run says those kernels are analytical.
    assert any("attn_prefill not in the profile" in w for w in result.warnings)


def test_a_file_found_only_when_running_is_checked_then(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`hermes check` could not read it: the run makes the same checks before using it."""
    path = spec(tmp_path)
    (tmp_path / "llama.csv").unlink()
    res = check_file(path)
    assert res.ok and "W0215" in [d.code for d in res.diagnostics]
    program = res.program
    # measured at tp = 2 only, but the stage runs at tp = 1
    lines = ["operator,tokens,batch,tp,seconds", "qkv_proj,1,1,2,1e-5", "qkv_proj,99,1,2,2e-5"]
    (tmp_path / "llama.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SimulationError, match="no measurements at tp = 1"):
        run_point(program, "e", 1)
    # a Vidur file of another model (Llama-2-7B's file declared for the 13B model)
    vidur = REPO / "tests" / "golden" / "bad" / "profiles" / "llama2_7b_vidur.csv"
    text = spec(tmp_path / "b").read_text().replace("Llama2_7B", "Llama2_13B")
    (tmp_path / "b" / "spec.hermes").write_text(text)
    (tmp_path / "b" / "llama.csv").unlink()
    program = check_file(tmp_path / "b" / "spec.hermes").program
    (tmp_path / "b" / "llama.csv").write_text(vidur.read_text())
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(SimulationError, match="hidden = 4096, but `Llama2_13B` has hidden = 5120"):
        run_point(program, "e", 1)


def test_every_unprofiled_kernel_is_named(tmp_path: Path) -> None:
    path = spec(tmp_path)
    table = tmp_path / "llama.csv"
    kept = [ln for ln in table.read_text().splitlines() if not ln.startswith("mlp_up,")]
    table.write_text("\n".join(kept) + "\n")
    result = run_point(resolve(path).program, "e", 1)
    assert "profile `measured`: mlp_up not in the profile (tp=1); analytical" in result.warnings


def test_unreadable_files_are_diagnostics_not_crashes(tmp_path: Path) -> None:
    path = spec(tmp_path)
    table = tmp_path / "llama.csv"
    table.write_text("\ufeff" + table.read_text(), encoding="utf-8")  # a BOM, as Excel writes
    assert check_file(path).ok
    for content in (b"\xff\xfe\x00bad", b"operator,tokens,batch,tp,seconds\n" + b"x" * 200_000):
        table.write_bytes(content)
        res = check_file(path)
        assert [d.code for d in res.diagnostics if d.is_error] == ["E0313"]
    vidur = REPO / "tests" / "golden" / "bad" / "profiles" / "llama2_7b_vidur.csv"
    header, *rows = vidur.read_text().splitlines()
    nan_rows = [",".join(["nan"] * 10 + r.split(",")[10:]) for r in rows]
    table.write_text("\n".join([header, *nan_rows]) + "\n")
    res = check_file(path)
    assert any("no usable measurements" in d.message for d in res.diagnostics if d.is_error)


def test_a_field_given_twice_is_an_error(tmp_path: Path) -> None:
    path = spec(tmp_path)
    text = path.read_text().replace('data   = "llama.csv"', 'data = "llama.csv"\n  data = "x.csv"')
    path.write_text(text)
    res = check_file(path)
    assert [d.code for d in res.diagnostics if d.is_error] == ["E0202"]
