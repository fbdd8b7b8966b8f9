"""The front half of the compiler as one call: text -> checked IR plus diagnostics."""

from __future__ import annotations

import gc
from pathlib import Path

from hermes_dsl.diagnostics import Diagnostic
from hermes_dsl.resolve.program import Resolution, resolve_file


def check_file(
    path: str | Path,
    params: dict[str, str] | None = None,
    search_paths: tuple[Path, ...] = (),
    data_paths: tuple[Path, ...] = (),
    text: str | None = None,
) -> Resolution:
    """Parse, resolve and check one spec.  Never raises on bad input."""
    # The front end makes hundreds of thousands of small objects and no reference cycles
    # worth collecting; pausing the cyclic collector saves about a third of its time.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _check_file(path, params, search_paths, data_paths, text)
    finally:
        if paused:
            gc.enable()


def _check_file(
    path: str | Path,
    params: dict[str, str] | None,
    search_paths: tuple[Path, ...],
    data_paths: tuple[Path, ...],
    text: str | None,
) -> Resolution:
    res = resolve_file(path, params, search_paths, data_paths, text)
    if res.program is not None and not any(d.is_error for d in res.diagnostics):
        from hermes_dsl.check import check_program

        checked = check_program(res.program)
        res.diagnostics = sorted(res.diagnostics + checked.diagnostics, key=Diagnostic.sort_key)
        res.info = checked.info
        res.graphs = checked.graphs
    return res
