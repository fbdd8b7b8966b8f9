"""docs/diagrams.md and the DOT files in docs/diagrams/ match the example specs.

When this fails, run ``python scripts/gen_diagram_docs.py`` and commit docs/diagrams.md and
docs/diagrams/ (the SVGs too, when Graphviz is installed).
"""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "gen_diagram_docs", REPO / "scripts" / "gen_diagram_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagram_docs_are_up_to_date() -> None:
    stale = _script().stale()
    assert not stale, (
        "stale diagram docs: " + ", ".join(stale) + "; run python scripts/gen_diagram_docs.py"
    )


def test_page_links_a_picture_of_every_example() -> None:
    page = (REPO / "docs" / "diagrams.md").read_text(encoding="utf-8")
    for spec in sorted((REPO / "specs").glob("*.hermes")):
        assert f"## {spec.stem}\n" in page
        assert f"diagrams/{spec.stem}.dataflow." in page
