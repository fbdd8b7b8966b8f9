"""Time `hermes compile` of the largest example spec (and of every example).

Run ``python bench/lower_compile.py``.  Compiling resolves the spec once per experiment point
(each combination of swept values) and renders the module; the figure printed is the best of
a few runs, in process, plus one run through the command line with its start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hermes_dsl.lower.codegen import lower_file

REPO = Path(__file__).resolve().parents[1]


def best_of(fn, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    os.chdir(REPO)
    specs = sorted(Path("specs").glob("*.hermes"), key=lambda p: -p.stat().st_size)
    print(f"{'spec':28} {'lines':>6} {'points':>6} {'module':>10} {'compile':>9}")
    for spec in specs:
        lowered = lower_file(spec)
        assert lowered.source is not None
        seconds = best_of(lambda spec=spec: lower_file(spec))
        lines = len(spec.read_text().splitlines())
        size = f"{len(lowered.source) / 1024:.0f} KiB"
        print(f"{spec.name:28} {lines:6d} {lowered.points:6d} {size:>10} {seconds * 1e3:7.0f} ms")
    largest = max(specs, key=lambda p: len(lower_file(p).source or ""))
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "hermes_dsl",
                "compile",
                str(largest),
                "-o",
                str(Path(tmp) / "m.py"),
            ],
            capture_output=True,
        )
        wall = time.perf_counter() - t
    assert done.returncode == 0, done.stderr.decode()
    print(
        f"\nlargest generated module: {largest.name}; `hermes compile` from the command line "
        f"(start-up included): {wall:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
