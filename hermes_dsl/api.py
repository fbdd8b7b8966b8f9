"""The Python interface, for notebooks and scripts::

    import hermes_dsl
    spec = hermes_dsl.load("specs/single_llm.hermes", rate="12 req/s", requests=500)
    spec.check()                      # raises HermesError with every diagnostic, or returns self
    spec.diagram("out/")              # DOT, and SVG/PNG when Graphviz is installed
    results = spec.run(seed=1)        # compiles, then runs the generated module's points
    results["main"].metric("ttft.p90")
    pandas.DataFrame(results["main"].request_columns())

Running goes through the same compiled module as `hermes run`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hermes_dsl.diagnostics import HermesError, render_text


def _param_text(value: object) -> str:
    """Keyword params as spec text: 500 -> "500", True -> "true"; strings are spec text
    already ("12 req/s"; a string param's value needs its quotes: '"fast"')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


@dataclass
class Results:
    """Results of every experiment point, by point label (``main``, ``main[rate=10]``)."""

    points: list = field(default_factory=list)  # type: ignore[type-arg]
    results: list = field(default_factory=list)  # type: ignore[type-arg]

    def __getitem__(self, label: str):  # type: ignore[no-untyped-def]
        for p, r in zip(self.points, self.results, strict=True):
            if p.label == label:
                return r
        raise KeyError(f"{label!r}; points: {[p.label for p in self.points]}")

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(zip(self.points, self.results, strict=True))

    def labels(self) -> list[str]:
        return [p.label for p in self.points]

    def table(self) -> dict[str, list]:  # type: ignore[type-arg]
        """One row per point, one column per reported metric (a data frame's dict form)."""
        rows: dict[str, list] = {"point": []}  # type: ignore[type-arg]
        for p, r in self:
            rows["point"].append(p.label)
            exp = next(e for e in p.program.experiments if e.name == p.experiment)
            for name in exp.report:
                rows.setdefault(name, []).append(r.metric(name))
        return rows


class Spec:
    def __init__(
        self,
        path: str | Path,
        params: dict[str, str],
        search: tuple[Path, ...] = (),
        data: tuple[Path, ...] = (),
    ) -> None:
        self.path = Path(path)
        self.params = params
        self.search = search
        self.data = data

    def check(self):  # type: ignore[no-untyped-def]
        """The resolved program; raises HermesError listing every error."""
        from hermes_dsl.compiler import check_file

        res = check_file(self.path, self.params, self.search, self.data)
        if not res.ok:
            err = HermesError(res.diagnostics)
            err.args = (render_text(res.diagnostics, res.sources),)
            raise err
        return res.program

    def compile(self, out: str | Path | None = None) -> str:
        """The generated module's source; written to ``out`` when given."""
        from hermes_dsl.lower.codegen import lower_file

        lowered = lower_file(self.path, self.params, self.search, self.data)
        if lowered.source is None:
            err = HermesError(lowered.diagnostics)
            err.args = (render_text(lowered.diagnostics, lowered.sources),)
            raise err
        if out is not None:
            Path(out).write_text(lowered.source, encoding="utf-8")
        return lowered.source

    def diagram(self, out: str | Path, expand: bool = False) -> list[Path]:
        from hermes_dsl.render.diagrams import write_diagrams

        return write_diagrams(self.check(), Path(out), expand=expand)

    def run(
        self, seed: int | None = None, experiments: list[str] | None = None, workers: int = 1
    ) -> Results:
        from hermes_dsl.lower.cache import load_module
        from hermes_dsl.lower.entry import run_points, select

        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"{self.path.stem}.py"
            self.compile(target)
            module = load_module(target, f"hermes_generated_{self.path.stem}")
        points = select(module.POINTS, experiments)
        return Results(points, run_points(points, seed, workers=workers))


def load(
    path: str | Path,
    *,
    search: tuple[str | Path, ...] = (),
    data: tuple[str | Path, ...] = (),
    **params: object,
) -> Spec:
    """A spec with params set as keyword arguments (``rate="12 req/s"``, ``requests=500``)."""
    return Spec(
        path,
        {k: _param_text(v) for k, v in params.items()},
        tuple(Path(p) for p in search),
        tuple(Path(p) for p in data),
    )
