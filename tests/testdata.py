"""Finds the shared real microscopy files (``../shared/testdata`` beside the repository)."""

from __future__ import annotations

from pathlib import Path

from conftest import skip_or_fail

REPOSITORY = Path(__file__).resolve().parent.parent
TESTDATA = REPOSITORY.parent / "shared" / "testdata"


def testdata_path(rel: str) -> Path:
    """The path of a shared test file; skips the test loudly when it is absent (and fails
    instead when REQUIRE_TESTDATA=1, as in CI)."""
    path = TESTDATA / rel
    if not path.exists():
        skip_or_fail(
            "REQUIRE_TESTDATA",
            f"shared test data not found at {path} (expected ../shared/testdata)",
        )
    return path
