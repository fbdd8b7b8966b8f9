"""What a generated module runs: its experiment points, one after another, and the results.

Kept out of the template so generated modules stay short and this logic is tested once.  A
runtime error is reported at the spec line of the object it concerns (a stage, a workload):
the error carries the IR object's span, which the generated module kept from the spec.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hermes_dsl.ir.experiment import Program
from hermes_dsl.source import Span


@dataclass(frozen=True)
class Point:
    experiment: str
    swept: tuple[tuple[str, object], ...]
    program: Program

    @property
    def label(self) -> str:
        if not self.swept:
            return self.experiment
        return self.experiment + "[" + ", ".join(f"{k}={_fmt(v)}" for k, v in self.swept) + "]"


def _fmt(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def runtime_diagnostic(message: str, span: Span | None, hint: str | None) -> str:
    """A failure while simulating, rendered like a compile-time diagnostic at its spec line.

    The span comes from the IR object at fault (kept in the generated module); the spec's
    text is read again, when it can be found, to show the line with carets under it.
    """
    from hermes_dsl.diagnostics import Diagnostic, render_text
    from hermes_dsl.source import NO_SPAN, SourceMap

    sources = SourceMap()
    where = span if span is not None and span.line > 0 else NO_SPAN
    if where is not NO_SPAN:
        for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
            candidate = base / where.file
            if candidate.is_file():
                src = sources.add(where.file, candidate.read_text(encoding="utf-8"))
                line_text = src.line_text(where.line)
                end = len(line_text.rstrip()) + 1
                where = Span(where.file, 0, 0, where.line, where.col, where.line, end)
                break
    return render_text([Diagnostic("E0501", message, where, hint=hint)], sources)


def data_file(relative: str, spec: str = "") -> str:
    """A trace file named relative to a data folder, looked for when the module runs: beside
    the spec, in $HERMES_DATA (which `hermes run --data` extends), then the working directory.
    Unfound, the name comes back unchanged and running the point reports it."""
    roots = [str(Path(spec).parent)] if spec else []
    roots += [*os.environ.get("HERMES_DATA", "").split(os.pathsep), "."]
    for root in roots:
        if root and (Path(root) / relative).is_file():
            return str((Path(root) / relative).resolve())
    return relative


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Run the simulation compiled from a hermes spec.")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: the spec's)")
    ap.add_argument("--out", type=Path, default=None, help="folder for tables, trace and plots")
    ap.add_argument("--experiment", action="append", default=None, help="run only these")
    ap.add_argument("--quiet", action="store_true", help="no progress bar or table")
    ap.add_argument("--no-plots", action="store_true", help="skip the PNG/SVG plots")
    ap.add_argument(
        "--workers", type=int, default=1, help="run experiment points in this many processes"
    )
    return ap.parse_args(argv)


def select(points: Sequence[Point], names: list[str] | None) -> list[Point]:
    if not names:
        return list(points)
    known = {p.experiment for p in points}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown experiment {unknown[0]!r}; the spec has {sorted(known)}")
    return [p for p in points if p.experiment in names]


def _run_one(point: Point, seed: int | None, callback=None):  # type: ignore[no-untyped-def]
    from hermes_dsl.sim.assemble import run_point

    exp = next(e for e in point.program.experiments if e.name == point.experiment)
    run_seed = exp.seed if seed is None else seed
    return run_point(point.program, point.experiment, run_seed, callback)


def run_points(
    points: Sequence[Point],
    seed: int | None = None,
    progress: Callable[[str], Callable[[float, int, int], None] | None] | None = None,
    workers: int = 1,
) -> list[object]:
    """Simulate each point; returns the runtime's result objects in order.

    With ``workers > 1`` points run in separate processes; each point is deterministic for
    its seed, so the results are the same as one after another.
    """
    if workers <= 1 or len(points) <= 1:
        return [_run_one(p, seed, progress(p.label) if progress else None) for p in points]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(points))) as pool:
        futures = [pool.submit(_run_one, p, seed) for p in points]
        results = []
        for point, future in zip(points, futures, strict=True):
            result = future.result()
            if progress is not None and (done := progress(point.label)) is not None:
                total = len(result.request_columns()["arrival"])  # type: ignore[attr-defined]
                done(float(result.summary().get("duration_s") or 0.0), total, total)  # type: ignore[attr-defined]
            results.append(result)
    return results


def main(points: Sequence[Point], spec: str, digest: str, argv: Sequence[str] | None = None) -> int:
    """Command-line entry of a generated module."""
    from hermes_dsl.lower.results import print_table, write_results
    from hermes_dsl.sim.assemble import SimulationError

    args = parse_args(argv)
    chosen = select(points, args.experiment)
    bar = None
    if not args.quiet:
        from hermes_dsl.lower.progress import progress_bars

        bar = progress_bars
    try:
        results = run_points(chosen, args.seed, bar, args.workers)
    except SimulationError as err:
        print(runtime_diagnostic(err.message, err.span, err.hint), file=sys.stderr)
        return 1
    for point, result in zip(chosen, results, strict=True):
        for w in result.warnings:  # type: ignore[attr-defined]
            print(f"warning: {point.label}: {w}", file=sys.stderr)
    if not args.quiet:
        print_table(chosen, results)
    if args.out is not None:
        write_results(
            args.out,
            chosen,
            results,
            spec=spec,
            digest=digest,
            seed=args.seed,
            plots=not args.no_plots,
        )
        if not args.quiet:
            print(f"results written to {args.out}")
    return 0
