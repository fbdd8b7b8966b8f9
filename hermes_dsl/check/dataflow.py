"""A pipeline's dataflow as a directed graph of stages, with what flows on each edge.

Nodes are stage names with attributes ``stage`` (the IR ``Stage``), ``kind``, ``model`` (the
``ModelSpec`` or None) and ``clients``.  Edges carry ``edge`` (the IR ``Edge``), ``kind``
(next / fan / branch / loop), ``fraction``, ``max_times`` and ``payload``, a :class:`Payload`
saying what moves from the source stage to the target: the prompt, a query embedding,
retrieved context (tokens), a KV cache (bytes per token), or generated tokens.

``graph.graph["entry"]`` is the stage requests enter at (None when there is none) and
``graph.graph["exits"]`` the stages whose output is the response.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hermes_dsl.ir.experiment import Program
from hermes_dsl.ir.model import DTYPE_BYTES, ModelSpec
from hermes_dsl.ir.pipeline import LLM_STAGES, Pipeline, Stage

if TYPE_CHECKING:
    import networkx as nx

# What each stage kind hands to the next stage.
PAYLOAD_KINDS = ("prompt", "embedding", "context", "kv_cache", "tokens", "response")


@dataclass(frozen=True, slots=True)
class Payload:
    """What crosses one dataflow edge.

    ``kind`` is one of PAYLOAD_KINDS.  ``bytes_per_token`` is set for a KV cache (from
    ``ModelSpec.kv_bytes_per_token``) and for embeddings (bytes of one vector, ``per_request``);
    ``tokens`` is the size of retrieved context in tokens.
    """

    kind: str
    bytes_per_token: float = 0.0
    tokens: float = 0.0
    per_request: float = 0.0  # bytes per request, when the size does not scale with tokens
    model: str | None = None

    def label(self) -> str:
        if self.kind == "kv_cache":
            who = f" ({self.model})" if self.model else ""
            return f"KV cache{who}, {format_bytes(self.bytes_per_token)}/token"
        if self.kind == "context":
            return f"context, {self.tokens:,.0f} tokens"
        if self.kind == "embedding":
            return f"query embedding, {format_bytes(self.per_request)}"
        if self.kind == "tokens":
            return "generated tokens"
        if self.kind == "response":
            return "response"
        return "prompt"


def format_bytes(n: float) -> str:
    """1.5 KiB, 320 KiB, 70.6 GB: IEC below a MiB (per-token sizes), SI above (capacities)."""
    if n < 1024 * 1024:
        if n < 1024:
            return f"{n:.0f} B"
        return f"{n / 1024:.4g} KiB"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1e6:.3g} MB"


def _model(program: Program | None, stage: Stage) -> ModelSpec | None:
    if program is None or stage.model is None:
        return None
    return next((m for m in program.models if m.name == stage.model), None)


def payload_of(stage: Stage, program: Program | None, target: Stage | None = None) -> Payload:
    """What ``stage`` passes on (to ``target`` when it matters)."""
    kind = stage.kind
    model = _model(program, stage)
    if kind == "embed":
        dim = model.hidden if model else int(stage.option("dim", 768))  # type: ignore[arg-type]
        width = DTYPE_BYTES.get(model.dtype, 2.0) if model else 2.0
        return Payload("embedding", per_request=dim * width, model=stage.model)
    if kind == "ivfpq":
        docs = float(stage.option("docs", 20))  # type: ignore[arg-type]
        return Payload("context", tokens=docs * float(stage.option("doc_tokens", 512)))  # type: ignore[arg-type]
    if kind == "rerank":
        keep = float(stage.option("keep", 5))  # type: ignore[arg-type]
        return Payload("context", tokens=keep * float(stage.option("doc_tokens", 512)))  # type: ignore[arg-type]
    if kind in ("kv_fetch", "prefill"):
        if model is None and target is not None:
            model = _model(program, target)
        bpt = model.kv_bytes_per_token if model else 0.0
        return Payload("kv_cache", bytes_per_token=bpt, model=model.name if model else None)
    if kind in ("decode", "generate"):
        return Payload("tokens", model=stage.model)
    if kind == "postprocess":
        return Payload("response")
    return Payload("prompt")


class Flow:
    """A dataflow graph in plain dicts: the part of ``networkx.DiGraph`` the checks use, with
    the same node and edge orders.  ``to_networkx`` gives the DiGraph other users get; the
    checks use this one, so `hermes check` does not need networkx at all."""

    def __init__(self, name: str = "") -> None:
        self.graph: dict[str, object] = {"name": name}
        self.nodes: dict[str, dict[str, object]] = {}
        self.succ: dict[str, dict[str, dict[str, object]]] = {}
        self.pred: dict[str, dict[str, dict[str, object]]] = {}
        self.edges = _Edges(self.succ)

    def add_node(self, n: str, **attrs: object) -> None:
        self.nodes.setdefault(n, {}).update(attrs)
        self.succ.setdefault(n, {})
        self.pred.setdefault(n, {})

    def add_edge(self, a: str, b: str, **attrs: object) -> None:
        for n in (a, b):
            if n not in self.nodes:
                self.add_node(n)
        d = self.succ[a].get(b)
        if d is None:
            d = self.succ[a][b] = self.pred[b][a] = {}
        d.update(attrs)

    def has_edge(self, a: str, b: str) -> bool:
        return b in self.succ.get(a, ())

    def successors(self, n: str) -> Iterator[str]:
        return iter(self.succ[n])

    def predecessors(self, n: str) -> Iterator[str]:
        return iter(self.pred[n])

    def out_edges(self, n: str, data: bool = False) -> list[tuple]:  # type: ignore[type-arg]
        if data:
            return [(n, t, d) for t, d in self.succ[n].items()]
        return [(n, t) for t in self.succ[n]]

    def out_degree(self, n: str) -> int:
        return len(self.succ[n])

    def degree(self, n: str) -> int:
        return len(self.succ[n]) + len(self.pred[n])

    def descendants(self, n: str) -> set[str]:
        """Every node reachable from ``n``, without ``n`` (as ``networkx.descendants``)."""
        seen = {n}
        todo = list(self.succ[n])
        while todo:
            t = todo.pop()
            if t not in seen:
                seen.add(t)
                todo.extend(self.succ[t])
        seen.discard(n)
        return seen

    def has_cycle(self) -> bool:
        """Whether any node can reach itself (a self-loop included)."""
        indeg = {n: len(p) for n, p in self.pred.items()}
        todo = [n for n, k in indeg.items() if k == 0]
        done = 0
        while todo:
            n = todo.pop()
            done += 1
            for t in self.succ[n]:
                indeg[t] -= 1
                if indeg[t] == 0:
                    todo.append(t)
        return done < len(self.nodes)

    def forward(self) -> Flow:
        """This flow without its ``loop`` edges."""
        out = Flow()
        out.graph.clear()
        out.graph.update(self.graph)
        for n, d in self.nodes.items():
            out.add_node(n, **d)
        for a, nbrs in self.succ.items():
            for b, d in nbrs.items():
                if d["kind"] != "loop":
                    out.add_edge(a, b, **d)
        return out

    def to_networkx(self) -> nx.DiGraph:
        import networkx as nx

        g = nx.DiGraph()
        g.graph.update(self.graph)
        g.add_nodes_from(self.nodes.items())
        g.add_edges_from((a, b, d) for a, nbrs in self.succ.items() for b, d in nbrs.items())
        return g


class _Edges:
    """``flow.edges[a, b]``: the attributes of one edge."""

    __slots__ = ("succ",)

    def __init__(self, succ: dict[str, dict[str, dict[str, object]]]) -> None:
        self.succ = succ

    def __getitem__(self, key: tuple[str, str]) -> dict[str, object]:
        return self.succ[key[0]][key[1]]


def flow_graph(pipeline: Pipeline, program: Program | None = None) -> Flow:
    """The stages of ``pipeline`` as a :class:`Flow` (see the module docstring)."""
    g = Flow(name=pipeline.name)
    for s in pipeline.stages:
        g.add_node(s.name, stage=s, kind=s.kind, model=_model(program, s), clients=s.clients)
    by_name = {s.name: s for s in pipeline.stages}
    for e in pipeline.edges:
        if e.source not in by_name or e.target not in by_name:
            continue
        payload = payload_of(by_name[e.source], program, by_name[e.target])
        if g.has_edge(e.source, e.target):
            # a repeated arrow (two flows naming the same pair): keep the first, add fractions
            old = g.edges[e.source, e.target]
            if e.kind == "branch" and old["kind"] == "branch":
                old["fraction"] += e.fraction  # type: ignore[operator]
            continue
        g.add_edge(
            e.source,
            e.target,
            edge=e,
            kind=e.kind,
            fraction=e.fraction,
            max_times=e.max_times,
            payload=payload,
        )
    g.graph["entry"] = _entry(g, pipeline)
    g.graph["exits"] = tuple(
        s.name
        for s in pipeline.stages
        if not any(_forward(g, s.name, t) for t in g.successors(s.name))
    )
    return g


def dataflow_graph(pipeline: Pipeline, program: Program | None = None) -> nx.DiGraph:
    """The stages of ``pipeline`` as a DiGraph (see the module docstring)."""
    return flow_graph(pipeline, program).to_networkx()


def _forward(g: nx.DiGraph | Flow, a: str, b: str) -> bool:
    return g.edges[a, b]["kind"] != "loop"


def forward_graph(g: nx.DiGraph) -> nx.DiGraph:
    """The dataflow without its ``loop`` edges."""
    import networkx as nx

    out = nx.DiGraph()
    out.graph.update(g.graph)
    out.add_nodes_from(g.nodes(data=True))
    out.add_edges_from((a, b, d) for a, b, d in g.edges(data=True) if d["kind"] != "loop")
    return out


def _entry(g: nx.DiGraph | Flow, pipeline: Pipeline) -> str | None:
    """The first declared stage with no incoming (non-loop) edge that leads somewhere; a stage
    on no flow at all is the entry only when no stage leads anywhere."""
    sources = [
        s.name
        for s in pipeline.stages
        if not any(_forward(g, p, s.name) for p in g.predecessors(s.name))
    ]
    for name in sources:
        if g.out_degree(name):
            return name
    return sources[0] if sources else None


def is_llm(stage: Stage) -> bool:
    return stage.kind in LLM_STAGES
