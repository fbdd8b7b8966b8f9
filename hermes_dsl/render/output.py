"""Writing diagrams: DOT always, SVG and PNG through Graphviz's ``dot`` when it is installed."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from hermes_dsl.check.rules import Graphs
from hermes_dsl.ir.experiment import Program
from hermes_dsl.render.diagrams import diagrams

GRAPHVIZ_INSTALL = (
    "Graphviz's `dot` was not found, so only DOT files were written; install Graphviz to get "
    "SVG and PNG (Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: `brew install "
    "graphviz`; conda: `conda install -c conda-forge graphviz`; Windows: `winget install "
    "graphviz`), or render a DOT file yourself with `dot -Tsvg FILE.dot -o FILE.svg`"
)
FORMATS = ("svg", "png")


@dataclass
class DiagramFiles:
    dot: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def dot_executable() -> str | None:
    return shutil.which("dot")


def render_with_dot(dot_file: Path, fmt: str, exe: str | None = None) -> Path:
    """Run ``dot -T<fmt>`` on one file; raises RuntimeError with Graphviz's message on failure."""
    exe = exe or dot_executable()
    if exe is None:
        raise RuntimeError(GRAPHVIZ_INSTALL)
    out = dot_file.with_suffix("." + fmt)
    proc = subprocess.run(
        [exe, f"-T{fmt}", str(dot_file), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dot failed on {dot_file}: {proc.stderr.strip()}")
    return out


def write_diagrams(
    program: Program,
    graphs: Graphs,
    out_dir: Path,
    stem: str,
    expand: bool = False,
    formats: tuple[str, ...] = FORMATS,
) -> DiagramFiles:
    """Write ``STEM.hardware.PLATFORM``, ``STEM.dataflow.PIPELINE`` and
    ``STEM.placement.PIPELINE`` as .dot (and .svg/.png) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DiagramFiles()
    for name, text in diagrams(program, graphs, expand).items():
        path = out_dir / f"{stem}.{name}"
        path.write_text(text, encoding="utf-8")
        files.dot.append(path)
    if not formats:
        return files
    exe = dot_executable()
    if exe is None:
        files.warnings.append(GRAPHVIZ_INSTALL)
        return files
    for path in files.dot:
        for fmt in formats:
            try:
                files.images.append(render_with_dot(path, fmt, exe))
            except RuntimeError as err:
                files.warnings.append(str(err))
    return files
