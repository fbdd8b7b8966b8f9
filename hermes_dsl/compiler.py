"""The front half of the compiler as one call: text -> checked IR plus diagnostics."""

from __future__ import annotations

from pathlib import Path

from hermes_dsl.resolve.program import Resolution, resolve_file


def check_file(
    path: str | Path,
    params: dict[str, str] | None = None,
    search_paths: tuple[Path, ...] = (),
    data_paths: tuple[Path, ...] = (),
    text: str | None = None,
) -> Resolution:
    """Parse, resolve and check one spec.  Never raises on bad input."""
    return resolve_file(path, params, search_paths, data_paths, text)
