"""A small writer of Graphviz DOT text: quoting, attributes, nested clusters.

The text is built in the order things are added, and callers add them in declaration order,
so the same program always gives the same bytes (no ids from memory addresses, no dates).
"""

from __future__ import annotations

import math


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def attrs(values: dict[str, object]) -> str:
    if not values:
        return ""
    parts = []
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        parts.append(f"{k}={quote(str(v))}")
    return " [" + ", ".join(parts) + "]"


class Dot:
    """Lines of a DOT graph with indentation for clusters."""

    def __init__(self, name: str, directed: bool = True, **graph: object) -> None:
        self.lines = [f"{'digraph' if directed else 'graph'} {quote(name)} {{"]
        self.arrow = "->" if directed else "--"
        self.depth = 1
        for k, v in graph.items():
            self.line(f"{k}={quote(str(v))};")

    def line(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def defaults(self, what: str, **values: object) -> None:
        self.line(what + attrs(values) + ";")

    def node(self, node_id: str, **values: object) -> None:
        self.line(quote(node_id) + attrs(values) + ";")

    def edge(self, a: str, b: str, **values: object) -> None:
        self.line(f"{quote(a)} {self.arrow} {quote(b)}" + attrs(values) + ";")

    def open_cluster(self, cluster_id: str, **values: object) -> None:
        self.line(f"subgraph {quote('cluster_' + cluster_id)} {{")
        self.depth += 1
        for k, v in values.items():
            if v is not None:
                self.line(f"{k}={quote(str(v))};")

    def close(self) -> None:
        self.depth -= 1
        self.line("}")

    def text(self) -> str:
        while self.depth > 1:
            self.close()
        return "\n".join([*self.lines, "}"]) + "\n"


# ---------------------------------------------------------------------------------- figures
def fmt_bytes(n: float) -> str:
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def fmt_rate(n: float) -> str:
    if math.isinf(n):
        return "unlimited"
    return fmt_bytes(n) + "/s"


def fmt_time(t: float) -> str:
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    if t >= 1e-6:
        return f"{t * 1e6:.3g} µs"
    return f"{t * 1e9:.3g} ns"


def fmt_count(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale and n % (scale / 10) == 0:
            return f"{n / scale:g}{unit}"
    return f"{n:g}"
