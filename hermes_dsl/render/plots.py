"""Plots of a run, as PNG and SVG: what a person looks at first after a simulation.

Every figure names the spec and the experiment point in its title, labels its axes with units,
and has a legend where there is more than one series.  SVGs are written without timestamps or
random ids so that the same run gives the same files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

plt.rcParams.update(
    {
        "svg.hashsalt": "hermes",
        "figure.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 9,
    }
)
_META = {"svg": {"Date": None}, "png": {"Software": None}}


def _param_unit(param_type: str) -> str:
    from hermes_dsl.resolve.values import PARAM_TYPES
    from hermes_dsl.units import dim_symbol

    kind = PARAM_TYPES.get(param_type)
    return dim_symbol(kind) if isinstance(kind, tuple) and any(kind) else ""


def _save(fig, path: Path) -> None:  # type: ignore[no-untyped-def]
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(path.with_suffix("." + ext), metadata=_META[ext])
    plt.close(fig)


def _title(spec: str, label: str, what: str) -> str:
    return f"{what}\n{Path(spec).name}: {label}"


def latency_cdfs(out: Path, spec: str, label: str, columns: dict[str, np.ndarray]) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for ax, (key, name) in zip(
        axes, (("ttft", "TTFT"), ("tpot", "TPOT"), ("e2e", "end to end")), strict=True
    ):
        x = np.asarray(columns.get(key, []), dtype=float)
        x = np.sort(x[np.isfinite(x)]) * 1e3
        if len(x):
            y = np.arange(1, len(x) + 1) / len(x)
            ax.plot(x, y, lw=1.4, label=f"{name} ({len(x)} requests)")
            for q, style in ((0.5, ":"), (0.9, "--"), (0.99, "-.")):
                ax.axvline(
                    np.quantile(x, q),
                    color="grey",
                    ls=style,
                    lw=0.8,
                    label=f"P{int(q * 100)} = {np.quantile(x, q):.3g} ms",
                )
            ax.legend(fontsize=7, loc="lower right")
        ax.set_xlabel(f"{name} (ms)")
        ax.set_ylabel("fraction of requests")
        ax.set_ylim(0, 1.01)
    fig.suptitle(_title(spec, label, "Latency CDFs"), fontsize=10)
    _save(fig, out / "latency_cdf")


def stage_breakdown(
    out: Path, spec: str, label: str, stage_names: Sequence[str], per_stage: dict[str, np.ndarray]
) -> None:
    """Stacked bars: each stage's latency (queueing + service) at P50, P90 and P99."""
    if not stage_names:
        return
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    qs = (50, 90, 99)
    bottoms = np.zeros(len(qs))
    for name in stage_names:
        x = np.asarray(per_stage.get(name, []), dtype=float)
        x = x[np.isfinite(x)]
        vals = np.percentile(x, qs) * 1e3 if len(x) else np.zeros(len(qs))
        ax.bar([f"P{q}" for q in qs], vals, bottom=bottoms, label=name)
        bottoms += vals
    ax.set_ylabel("latency (ms)")
    ax.set_xlabel("percentile of each stage's latency")
    ax.legend(title="stage", fontsize=7, loc="upper left")
    ax.set_title(_title(spec, label, "Stage breakdown of end-to-end latency"), fontsize=10)
    _save(fig, out / "stage_breakdown")


def over_time(out: Path, spec: str, label: str, timeline: dict[str, np.ndarray]) -> None:
    t = np.asarray(timeline.get("time", []), dtype=float)
    if len(t) < 2:
        return
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    done = np.asarray(timeline.get("completed", np.zeros_like(t)), dtype=float)
    dt = np.diff(t)
    rate = np.divide(np.diff(done), dt, out=np.zeros_like(dt), where=dt > 0)
    a1.plot(t[1:], rate, lw=1.0, label="completed requests per second")
    a1.set_ylabel("throughput (req/s)")
    a1.legend(fontsize=7)
    for key, name in (("queue", "queued requests"), ("in_system", "requests in system")):
        if key in timeline:
            a2.plot(t, timeline[key], lw=1.0, label=name)
    a2.set_ylabel("requests")
    a2.set_xlabel("simulated time (s)")
    a2.legend(fontsize=7)
    a1.set_title(_title(spec, label, "Throughput and queue length over time"), fontsize=10)
    _save(fig, out / "over_time")


def utilisation(out: Path, spec: str, label: str, clients: dict[str, np.ndarray]) -> None:
    names = [str(n) for n in clients.get("name", [])]
    if not names:
        return
    util = np.asarray(clients.get("utilization", clients.get("utilisation", [])), dtype=float)
    height = max(2.5, 0.22 * len(names) + 1.2)
    fig, ax = plt.subplots(figsize=(7, min(height, 14)))
    if len(names) > 48:  # many clients: a histogram reads better than 128 bars
        ax.hist(util * 100, bins=20, range=(0, 100), label=f"{len(names)} clients")
        ax.set_xlabel("utilisation (% of time busy)")
        ax.set_ylabel("clients")
        ax.legend(fontsize=7)
    else:
        ax.barh(names, util * 100)
        ax.set_xlabel("utilisation (% of time busy)")
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
    ax.set_title(_title(spec, label, "Client utilisation"), fontsize=10)
    _save(fig, out / "utilisation")


def point_plots(out: Path, spec: str, point, result) -> None:  # type: ignore[no-untyped-def]
    label = point.label
    latency_cdfs(out, spec, label, result.request_columns())
    names, per_stage = result.stage_latencies()
    stage_breakdown(out, spec, label, names, per_stage)
    over_time(out, spec, label, result.timeline())
    utilisation(out, spec, label, result.client_table())


def sweep_plots(out: Path, spec: str, points: Sequence, results: Sequence) -> None:  # type: ignore[type-arg]
    """Goodput against the swept load, one line per experiment (configuration)."""
    series: dict[str, list[tuple[float, float, str]]] = {}
    param_type = ""
    for p, r in zip(points, results, strict=True):
        if len(p.swept) != 1 or not isinstance(p.swept[0][1], int | float):
            continue
        name, value = p.swept[0]
        param_type = next((q.type for q in p.program.params if q.name == name), "")
        g = r.metric("goodput")
        if g is not None and math.isfinite(g):
            series.setdefault(p.experiment, []).append((float(value), g, name))
    if not series:
        return
    fig, ax = plt.subplots(figsize=(6.5, 4))
    xlabel = ""
    for exp, pts in sorted(series.items()):
        pts.sort()
        xs, ys, names = zip(*pts, strict=True)
        ax.plot(xs, ys, marker="o", label=exp)
        xlabel = names[0]
    if param_type == "rate":  # the swept param is the offered load itself
        lo, hi = ax.get_xlim()
        ax.plot([0, hi], [0, hi], color="grey", ls=":", lw=0.8, label="goodput = offered load")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(f"{xlabel} (offered load, req/s)")
    else:
        unit = _param_unit(param_type)
        ax.set_xlabel(f"{xlabel} ({unit})" if unit else xlabel)
    ax.set_ylabel("goodput (req/s meeting every SLO)")
    ax.legend(title="experiment", fontsize=7)
    what = "load" if param_type == "rate" else f"`{xlabel}`"
    ax.set_title(f"Goodput against {what}\n{Path(spec).name}", fontsize=10)
    _save(fig, out / "goodput")
