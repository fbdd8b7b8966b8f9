"""Rendering: Graphviz diagrams of a checked program (``hermes diagram``).

``write_diagrams(program, graphs, out_dir, stem)`` always writes DOT; with Graphviz's ``dot``
on the PATH it also writes SVG and PNG beside each DOT file.
"""

from hermes_dsl.render.diagrams import dataflow_dot, diagrams, hardware_dot, placement_dot
from hermes_dsl.render.output import (
    GRAPHVIZ_INSTALL,
    DiagramFiles,
    dot_executable,
    render_with_dot,
    write_diagrams,
)

__all__ = [
    "GRAPHVIZ_INSTALL",
    "DiagramFiles",
    "dataflow_dot",
    "diagrams",
    "dot_executable",
    "hardware_dot",
    "placement_dot",
    "render_with_dot",
    "write_diagrams",
]
