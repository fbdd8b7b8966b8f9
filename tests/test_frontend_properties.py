"""Property tests: no input, however malformed, ends in a traceback; every diagnostic has a
valid span; resolution is deterministic and independent of hash ordering."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hermes_dsl.cli import cli
from hermes_dsl.compiler import check_file
from hermes_dsl.source import NO_SPAN

GOOD = Path(__file__).parent / "golden" / "ir" / "rag_chat.hermes"

KEYWORDS = [
    "hermes",
    "1",
    "import",
    "param",
    "hardware",
    "rack",
    "node",
    "gpu",
    "cpu",
    "accel",
    "memory",
    "link",
    "group",
    "model",
    "pipeline",
    "workload",
    "experiment",
    "connects",
    "shared_by",
    "stage",
    "route",
    "flow",
    "loop",
    "run",
    "with",
    "slo",
    "sweep",
    "report",
    "in",
    "by",
    "on",
    "max",
    "as",
    "true",
    "false",
    "std.hw.nvidia.H100_SXM",
    "H100_SXM",
    "NVLink4",
    "prefill",
    "decode",
    "poisson",
    "fixed",
    "continuous",
    "chunked",
    "dc",
    "r",
    "n",
    "g",
    "c",
    "ttft.p90",
    "rate",
    "bandwidth",
    "memory",
    "layers",
    "dtype",
    "fp8",
]
NUMBERS = ["1", "8", "0.9", "4M", "5K", "1_000", "80 GB", "50 GB/s", "20 us", "400 Gbps", "2 GiB"]
PUNCT = [*list('{}[]()=,;:.*+-/<>&|#"'), "->", "..", "\n", "\n  ", " ", '"x"']
TOKENS = st.sampled_from(KEYWORDS + NUMBERS + PUNCT)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_valid(text: str) -> None:
    res = check_file("fuzz.hermes", text=text)
    lines = text.split("\n")
    for d in res.diagnostics:
        assert d.code[0] in "EW" and d.message
        if d.span is NO_SPAN or d.span.file != "fuzz.hermes":
            continue
        s = d.span
        assert 0 <= s.start <= s.end <= len(text), d
        assert 1 <= s.line <= len(lines) and 1 <= s.end_line <= len(lines), d
        assert (s.line, s.col) <= (s.end_line, s.end_col), d
        assert 1 <= s.col <= len(lines[s.line - 1]) + 1, d


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    assert_valid(data.decode("utf-8", errors="replace"))


@SETTINGS
@given(st.lists(TOKENS, max_size=80))
def test_token_soup(tokens: list[str]) -> None:
    assert_valid("hermes 1\n" + " ".join(tokens))


@SETTINGS
@given(st.lists(TOKENS, max_size=12), st.integers(min_value=0, max_value=10_000))
def test_mutated_valid_spec(tokens: list[str], where: int) -> None:
    """A valid spec with a burst of tokens spliced in somewhere."""
    text = GOOD.read_text(encoding="utf-8")
    at = where % (len(text) + 1)
    assert_valid(text[:at] + " ".join(tokens) + text[at:])


@settings(max_examples=25, deadline=None)
@given(st.lists(TOKENS, max_size=40))
def test_cli_never_crashes(tokens: list[str]) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "fuzz.hermes"
        spec.write_text("hermes 1\n" + " ".join(tokens), encoding="utf-8")
        for fmt in ("text", "json"):
            result = runner.invoke(cli, ["check", "--format", fmt, str(spec)])
            assert result.exit_code in (0, 1), result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)


def test_resolving_twice_gives_equal_programs() -> None:
    a = check_file(GOOD)
    b = check_file(GOOD)
    assert a.program == b.program
    assert repr(a.program) == repr(b.program)
    assert a.diagnostics == b.diagnostics


def test_resolution_does_not_depend_on_hash_seed() -> None:
    code = (
        "import sys; from hermes_dsl.compiler import check_file; "
        "r = check_file(sys.argv[1]); print(repr(r.program)); print(r.diagnostics)"
    )
    outs = []
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code, str(GOOD)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
