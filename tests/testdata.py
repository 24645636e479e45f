"""Finds the shared real microscopy files (``../shared/testdata`` beside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
TESTDATA = REPOSITORY.parent / "shared" / "testdata"


def testdata_path(rel: str) -> Path:
    """The path of a shared test file; skips the test when the folder or file is absent."""
    path = TESTDATA / rel
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (expected ../shared/testdata)")
    return path
