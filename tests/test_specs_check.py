"""Every example spec and every standard-library file checks without errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hermes_dsl.compiler import check_file
from hermes_dsl.diagnostics import render_text
from tests.conftest import REPO

FILES = sorted((REPO / "specs").rglob("*.hermes")) + sorted((REPO / "stdlib").rglob("*.hermes"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_checks_clean(path: Path) -> None:
    res = check_file(path)
    errors = [d for d in res.diagnostics if d.is_error]
    assert not errors, render_text(errors, res.sources)
    # the only warnings an example may have: a trace or profile file absent on this machine
    assert {d.code for d in res.diagnostics} <= {"W0214", "W0215"}


def test_data_specs_are_clean_with_the_data(shared_data: Path) -> None:
    for name in ("trace_replay", "prefix_cache", "measured_profile"):
        res = check_file(REPO / "specs" / f"{name}.hermes", data_paths=(shared_data,))
        assert res.ok and not res.diagnostics, render_text(res.diagnostics, res.sources)


def test_every_standard_part_named_in_the_issue_exists() -> None:
    wanted = {
        "hw/nvidia": [
            "A100_80GB",
            "H100_SXM",
            "H200",
            "B200",
            "GB200",
            "NVLink3",
            "NVLink4",
            "NVLink5",
        ],
        "hw/amd": ["MI300X", "MI325X"],
        "hw/intel": ["Gaudi3"],
        "hw/google": ["TPU_v5e", "TPU_v5p", "TPU_v6e"],
        "hw/cpu": ["Grace", "SapphireRapids_8480"],
        "hw/links": ["PCIe4_x16", "PCIe5_x16", "IB_NDR", "Ethernet_400G"],
        "hw/memory": ["HBM3", "LPDDR5X", "DDR5", "CXL_Expander", "NVMe_SSD", "RemoteStorage"],
        "models/llama": [
            "Llama2_7B",
            "Llama2_13B",
            "Llama2_70B",
            "Llama3_1_8B",
            "Llama3_1_70B",
            "Llama3_1_405B",
        ],
        "models/mistral": ["Mistral_7B", "Mixtral_8x7B"],
        "models/deepseek": ["DeepSeek_V3"],
        "models/embed": ["E5_Base", "E5_Large", "E5_Mistral_7B"],
        "models/rerank": ["BGE_Reranker_Large"],
    }
    for module, names in wanted.items():
        text = (REPO / "stdlib" / "std" / f"{module}.hermes").read_text()
        for name in names:
            assert f" {name} " in text or f" {name}\n" in text, f"{name} missing from {module}"


def test_stdlib_values_cite_their_source() -> None:
    """Every numeric field in the standard library has a comment on its line."""
    import re

    bare = []
    for path in sorted((REPO / "stdlib").rglob("*.hermes")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"=\s*[\d.]", code) and "#" not in line:
                bare.append(f"{path.name}:{n}: {line.strip()}")
    assert not bare, "values without a source:\n" + "\n".join(bare)
