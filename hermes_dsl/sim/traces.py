"""Readers for public request traces, returning :class:`~hermes_dsl.sim.workload.RequestSet`.

Formats (detected from the header):
- Vidur/Splitwise CSV: ``arrived_at`` (s), ``num_prefill_tokens``, ``num_decode_tokens``;
  length-only files (no ``arrived_at``) need an arrival process;
- Azure LLM inference 2023: ``TIMESTAMP`` (wall clock), ``ContextTokens``, ``GeneratedTokens``;
- Mooncake JSON lines: ``timestamp`` (ms), ``input_length``, ``output_length``, ``hash_ids``
  (prefix-block hashes of 512 tokens);
- BurstGPT: ``Timestamp`` (s), ``Request tokens``, ``Response tokens``.
Rows are sorted by arrival (stable, so ties keep file order) and times shifted to start at 0.
Users bring their own files; the project ships none.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from hermes_dsl.sim.workload import RequestSet

__all__ = ["load_trace", "read_column", "read_lengths"]


def _header(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return next(csv.reader(f))


def read_column(path: str | Path, column: str) -> np.ndarray:
    """One numeric column of a CSV file as float64."""
    path = Path(path)
    names = _header(path)
    if column not in names:
        raise ValueError(f"{path} has no column {column!r}; it has {names}")
    data = np.genfromtxt(
        path, delimiter=",", skip_header=1, usecols=names.index(column), dtype=np.float64
    )
    return np.atleast_1d(data)


def read_lengths(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(prompt, output) token columns of any supported CSV trace."""
    rs = load_trace(path, lengths_only=True)
    return rs.prompt, rs.output


def _finish(
    arrival: np.ndarray,
    prompt: np.ndarray,
    output: np.ndarray,
    hashes: list[tuple[int, ...]] | None,
    name: str,
    rate: float | None,
    num_requests: int | None,
) -> RequestSet:
    order = np.argsort(arrival, kind="stable")
    arrival = arrival[order]
    arrival = arrival - arrival[0] if len(arrival) else arrival
    hs = None if hashes is None else tuple(hashes[i] for i in order.tolist())
    rs = RequestSet(
        arrival,
        prompt[order].astype(np.int64),
        output[order].astype(np.int64),
        hs,
        512,
        name,
    )
    if num_requests is not None:
        rs = rs.tiled(num_requests) if num_requests > len(rs) else rs.head(num_requests)
    if rate is not None:
        rs = rs.scaled_to_rate(rate)
    return rs


def load_trace(
    path: str | Path,
    *,
    rate: float | None = None,
    num_requests: int | None = None,
    lengths_only: bool = False,
) -> RequestSet:
    """Read a trace file into a request set.

    rate:         rescale arrival times to this mean rate (req/s), keeping their shape;
    num_requests: take the first ``n`` requests, or repeat the trace end to end to reach ``n``;
    lengths_only: accept files without arrival times (arrivals are then all 0).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"trace file {path} does not exist")
    name = path.stem
    if path.suffix == ".jsonl":
        return _mooncake(path, name, rate, num_requests)
    cols = _header(path)
    table = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    table = np.atleast_1d(table)
    fields = table.dtype.names or ()

    def col(header: str) -> np.ndarray:
        return np.asarray(table[fields[cols.index(header)]], dtype=np.float64)

    if "num_prefill_tokens" in cols and "num_decode_tokens" in cols:
        prompt, output = col("num_prefill_tokens"), col("num_decode_tokens")
        if "arrived_at" in cols:
            arrival = col("arrived_at")
        elif lengths_only:
            arrival = np.zeros(len(prompt))
        else:
            raise ValueError(
                f"{path} has token lengths but no arrival times; pair it with an arrival "
                "process (EmpiricalLength.from_csv) or pass lengths_only=True"
            )
    elif "TIMESTAMP" in cols and "ContextTokens" in cols:
        stamps = np.asarray(table[fields[cols.index("TIMESTAMP")]]).astype("datetime64[ns]")
        arrival = (stamps - stamps.min()).astype(np.int64) / 1e9
        prompt, output = col("ContextTokens"), col("GeneratedTokens")
    elif "Timestamp" in cols and "Request tokens" in cols:
        arrival = col("Timestamp")
        prompt, output = col("Request tokens"), col("Response tokens")
    else:
        raise ValueError(f"{path}: unrecognised trace columns {cols}")
    return _finish(arrival, prompt, output, None, name, rate, num_requests)


def _mooncake(path: Path, name: str, rate: float | None, num_requests: int | None) -> RequestSet:
    arrival: list[float] = []
    prompt: list[int] = []
    output: list[int] = []
    hashes: list[tuple[int, ...]] = []
    with path.open() as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            arrival.append(row["timestamp"] / 1000.0)
            prompt.append(row["input_length"])
            output.append(row["output_length"])
            hashes.append(tuple(row.get("hash_ids", ())))
    return _finish(
        np.asarray(arrival, dtype=np.float64),
        np.asarray(prompt, dtype=np.int64),
        np.asarray(output, dtype=np.int64),
        hashes,
        name,
        rate,
        num_requests,
    )
