"""Compiled modules cached by a hash of the spec, its imports, the params and the compiler.

`hermes run` always executes a generated module (the one execution path); the cache only saves
compiling the same spec twice.  Checking still runs every time, so diagnostics are never stale.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType

from hermes_dsl import __version__
from hermes_dsl.lower.codegen import Lowered, lower_file, spec_digest


def cache_dir() -> Path:
    base = os.environ.get("HERMES_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return (root / "hermes") if not os.environ.get("HERMES_CACHE") else root


def load_module(path: Path, name: str = "hermes_generated") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compiled_module(
    spec: Path,
    params: dict[str, str],
    search: tuple[Path, ...] = (),
    data: tuple[Path, ...] = (),
) -> tuple[ModuleType | None, Lowered]:
    from hermes_dsl.compiler import check_file

    res = check_file(spec, params, search, data)
    if not res.ok:
        return None, Lowered(None, res.diagnostics, res.sources)
    key = hashlib.sha256(
        "\0".join(
            [
                spec_digest(res),
                __version__,
                repr(sorted(params.items())),
                repr([str(p) for p in data]),
                str(spec.resolve()),
            ]
        ).encode()
    ).hexdigest()[:24]
    target = cache_dir() / f"{spec.stem}-{key}.py"
    if target.is_file():
        return load_module(target), Lowered(target.read_text(), res.diagnostics, res.sources)
    lowered = lower_file(spec, params, search, data, checked=res)
    if lowered.source is None:
        return None, lowered
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(lowered.source, encoding="utf-8")
    tmp.replace(target)
    return load_module(target), lowered
