"""Results people can use: a table on the terminal and, in ``--out``, tables, a summary, a
Chrome trace and plots.

Layout of ``--out`` (one subfolder per experiment point, named by its label)::

    summary.json                   every point: reported metrics, SLO verdicts, spec hash, seed
    <point>/requests.csv           one row per request (times in seconds)
    <point>/stages.csv             one row per request per stage visit
    <point>/clients.csv            per client: busy time, utilisation, energy
    <point>/trace.json             Chrome trace (open in https://ui.perfetto.dev)
    <point>/*.png, *.svg           latency CDFs, stage breakdown, throughput and queue over time,
                                   client utilisation
    goodput.png/.svg               goodput against load, for sweeps
"""

from __future__ import annotations

import csv
import json
import math
import platform
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hermes_dsl import __version__


def _label_dir(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", label).strip("_") or "point"


def _num(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, np.generic):
        return _num(v.item())
    return v


def _reported(point, result) -> list[str]:  # type: ignore[no-untyped-def]
    exp = next(e for e in point.program.experiments if e.name == point.experiment)
    names = list(exp.report) or ["ttft.p50", "ttft.p90", "tpot.p90", "e2e.p90", "throughput"]
    return names


def _unit(name: str) -> tuple[str, float]:
    """Display unit and scale for a metric: latencies in ms, rates in req/s, energy in kJ."""
    head = name.split(".")[0]
    if head in ("ttft", "tpot", "e2e", "queue", "stage"):
        return "ms", 1e3
    if head in ("goodput", "throughput"):
        return "req/s", 1.0
    if head == "energy":
        return "kJ", 1e-3
    return "", 1.0


def print_table(points: Sequence, results: Sequence) -> None:  # type: ignore[type-arg]
    """Per experiment: one row per reported metric, one column per point, then the SLOs."""
    from rich.console import Console
    from rich.table import Table

    groups: dict[str, list[tuple[object, object]]] = {}
    for p, r in zip(points, results, strict=True):
        groups.setdefault(p.experiment, []).append((p, r))
    console = Console(width=max(100, Console().width))
    for exp, rows in groups.items():
        names = _reported(rows[0][0], rows[0][1])
        table = Table(title=f"experiment {exp}", title_justify="left")
        table.add_column("metric")
        for p, _ in rows:
            swept = ", ".join(
                f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.swept
            )
            table.add_column(swept or "value", justify="right")
        for n in names:
            unit, scale = _unit(n)
            cells = []
            for _, r in rows:
                v = r.metric(n)
                cells.append("-" if v is None or not math.isfinite(v) else f"{v * scale:.4g}")
            table.add_row(f"{n} ({unit})" if unit else n, *cells)
        if any(r.slo_ok is not None for _, r in rows):
            terms = [t for t, _, _, _ in rows[0][1].slo()]
            for i, term in enumerate(terms):
                table.add_row(
                    f"SLO {term}", *("met" if r.slo()[i][3] else "missed" for _, r in rows)
                )
            table.add_row("all SLOs", *("met" if r.slo_ok else "missed" for _, r in rows))
        console.print(table)


def summary_dict(points, results, *, spec: str, digest: str, seed: int | None) -> dict:  # type: ignore[no-untyped-def]
    out = {
        "spec": spec,
        "spec_sha256": digest,
        "seed_override": seed,
        "versions": {
            "hermes": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "points": [],
    }
    for p, r in zip(points, results, strict=True):
        exp = next(e for e in p.program.experiments if e.name == p.experiment)
        out["points"].append(
            {
                "experiment": p.experiment,
                "label": p.label,
                "swept": {k: _num(v) for k, v in p.swept},
                "seed": exp.seed if seed is None else seed,
                "metrics": {n: _num(r.metric(n)) for n in _reported(p, r)},
                "slo": [
                    {"term": t, "value": _num(v), "bound": _num(b), "ok": ok}
                    for t, v, b, ok in r.slo()
                ],
                "slo_ok": r.slo_ok,
                "summary": {k: _num(v) for k, v in r.summary().items()},
                "warnings": list(r.warnings),
            }
        )
    return out


def _write_columns(path: Path, columns: dict[str, np.ndarray]) -> None:
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        cols = [np.asarray(columns[k]).tolist() for k in names]
        for i in range(n):
            w.writerow([_cell(c[i]) for c in cols])


def _cell(v: object) -> object:
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(v)
    return v


def _write_parquet(path: Path, columns: dict[str, np.ndarray]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return
    pq.write_table(pa.table({k: np.asarray(v) for k, v in columns.items()}), path)


def write_results(
    out: Path,
    points: Sequence,  # type: ignore[type-arg]
    results: Sequence,  # type: ignore[type-arg]
    *,
    spec: str,
    digest: str,
    seed: int | None,
    plots: bool = True,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(points, results, spec=spec, digest=digest, seed=seed)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")
    for p, r in zip(points, results, strict=True):
        d = out / _label_dir(p.label)
        d.mkdir(exist_ok=True)
        tables = {
            "requests": r.request_columns(),
            "stages": r.stage_table(),
            "clients": r.client_table(),
        }
        for name, cols in tables.items():
            _write_columns(d / f"{name}.csv", cols)
            _write_parquet(d / f"{name}.parquet", cols)
        (d / "trace.json").write_text(json.dumps(r.chrome_trace()))
        if plots:
            from hermes_dsl.render.plots import point_plots

            point_plots(d, spec, p, r)
    if plots:
        from hermes_dsl.render.plots import sweep_plots

        sweep_plots(out, spec, points, results)
