"""Chrome trace (JSON, opens in Perfetto and chrome://tracing) of a pipeline run.

One process per stage, one thread per client: a slice per LLM iteration (a fast-forwarded
decode stretch is one slice naming how many iterations it folds) or per batch of a
non-LLM client (one thread per worker).  Links and memory tiers get a process of their own,
with one async slice per transfer on the track of the first resource it crosses.  A few sampled
requests get a thread each in every stage they visit, with one slice per visit, and flow arrows
join their visits in order, so a request can be followed across the pipeline.

Times are microseconds, as the format wants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hermes_dsl.sim.presult import PipelineResult

__all__ = ["chrome_trace"]

US = 1e6
REQUEST_TID = 1_000_000


def chrome_trace(result: PipelineResult) -> dict[str, object]:
    events: list[dict[str, object]] = []
    stage_pid = {name: i + 1 for i, name in enumerate(result.stage_names)}
    for name, pid in stage_pid.items():
        events.append({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": name}})
    client_tid: dict[str, tuple[int, int]] = {}
    per_stage: dict[str, int] = {}
    for row in result.clients:
        stage = result.stage_names[row.stage]
        pid = stage_pid[stage]
        k = per_stage.get(stage, 0)
        per_stage[stage] = k + 1
        tid = 1 + 100 * k
        client_tid[row.name] = (pid, tid)
        events.append(
            {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": row.name}}
        )
        log = result.iteration_logs.get(row.name)
        if log is None:
            continue
        start, end, size, extra = log
        llm = row.kind in ("generate", "prefill", "decode")
        for s, e, n, x in zip(
            start.tolist(), end.tolist(), size.tolist(), extra.tolist(), strict=True
        ):
            if llm:
                name = f"batch {n}" if x == 1 else f"batch {n} x{x} iterations"
                t = tid
            else:
                name = f"batch {n}"
                t = tid + x  # worker
            events.append(
                {"ph": "X", "name": name, "pid": pid, "tid": t, "ts": s * US, "dur": (e - s) * US}
            )
    # Links and tiers.
    link_pid = len(stage_pid) + 1
    events.append({"ph": "M", "name": "process_name", "pid": link_pid, "args": {"name": "links"}})
    for i, r in enumerate(result.resources):
        events.append(
            {
                "ph": "M",
                "name": "thread_name",
                "pid": link_pid,
                "tid": i + 1,
                "args": {"name": r.name},
            }
        )
    fl = result.flow_log
    if fl:
        for j, (s, e, b, r) in enumerate(
            zip(
                fl["start"].tolist(),
                fl["end"].tolist(),
                fl["bytes"].tolist(),
                fl["resource"].tolist(),
                strict=True,
            )
        ):
            if r < 0:
                continue
            common = {
                "cat": "transfer",
                "pid": link_pid,
                "tid": r + 1,
                "id": j,
                "name": f"{b / 1e6:.3g} MB",
            }
            events.append({**common, "ph": "b", "ts": s * US})
            events.append({**common, "ph": "e", "ts": e * US})
    # Sampled requests: their visits, joined by flow arrows.
    st = result.stages
    names = [row.name for row in result.clients]
    by_stage: dict[int, list[str]] = {}
    for row in result.clients:
        by_stage.setdefault(row.stage, []).append(row.name)
    for rid in result.sampled:
        sel = np.nonzero(st["request"] == rid)[0]
        order = sel[np.argsort(st["enqueue"][sel], kind="stable")]
        prev = None
        for v in order.tolist():
            stage = int(st["stage"][v])
            pid = stage_pid[result.stage_names[stage]]
            tid = REQUEST_TID + rid
            t0 = float(st["enqueue"][v]) * US
            t1 = float(st["end"][v]) * US
            clients = by_stage.get(stage, [])
            ci = int(st["client"][v])
            where = clients[ci] if ci < len(clients) else result.stage_names[stage]
            events.append(
                {
                    "ph": "M",
                    "name": "thread_name",
                    "pid": pid,
                    "tid": tid,
                    "args": {"name": f"request {rid}"},
                }
            )
            events.append(
                {
                    "ph": "X",
                    "name": f"request {rid} @ {where}",
                    "pid": pid,
                    "tid": tid,
                    "ts": t0,
                    "dur": max(t1 - t0, 0.0),
                    "args": {
                        "ready_us": float(st["ready"][v]) * US,
                        "start_us": float(st["start"][v]) * US,
                    },
                }
            )
            if prev is not None:
                ppid, ptid, pend = prev
                flow = {
                    "cat": "request",
                    "name": f"request {rid}",
                    "id": int(rid) * 1000 + v % 1000,
                }
                events.append({**flow, "ph": "s", "pid": ppid, "tid": ptid, "ts": pend, "bp": "e"})
                events.append({**flow, "ph": "f", "pid": pid, "tid": tid, "ts": t0, "bp": "e"})
            prev = (pid, tid, max(t1 - 0.001, t0))
    del names
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {"experiment": result.name},
    }
