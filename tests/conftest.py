"""Shared test helpers: where the repository and the public data live.

The data in ../shared/data (traces, measured kernel timings) is not part of the repository.
Tests that need it ask for the ``shared_data`` fixture, which skips with a reason on a user's
clone and fails in CI, where HERMES_REQUIRE_DATA=1 is set and the data must be present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def require_shared_data() -> Path:
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    message = f"the public data folder {SHARED_DATA} is missing (it sits beside the repository)"
    if os.environ.get("HERMES_REQUIRE_DATA"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def shared_data() -> Path:
    return require_shared_data()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI, a test skipped because the shared data folder is missing is a failure."""
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("HERMES_REQUIRE_DATA")
        and report.skipped
        and call.excinfo is not None
        and "shared" in str(call.excinfo.value)
    ):
        report.outcome = "failed"
        report.longrepr = f"required data missing in CI: {call.excinfo.value}"
