"""The real example images of the home page (visualizer/public/examples) open as projects with
the axes the home page sends, and their labels where they have some."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import app_with_worker
from helpers import create

EXAMPLES = Path(__file__).resolve().parent.parent / "visualizer" / "public" / "examples"
LIST = (Path(__file__).resolve().parent.parent / "visualizer/src/examples/real.ts").read_text()


def _examples() -> list[dict]:
    """Each example's images, labels and axes as the home page's list names them."""
    found = []
    for block in LIST.split("  {\n    id: ")[1:]:
        fields = dict(re.findall(r"^    (images|labels|axes): '([^']+)'", block, re.M))
        found.append(fields)
    return found


@pytest.fixture(scope="module")
def client(request, tmp_path_factory):
    with app_with_worker(request, tmp_path_factory.mktemp("examples"), "sqlite-local", {}) as app:
        yield app.test_client()


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e["images"])
def test_each_real_example_opens(client, example):
    extra = {"axes": example["axes"]} if "axes" in example else {}
    if "labels" in example:
        extra["labels"] = EXAMPLES / example["labels"]
    project = create(client, EXAMPLES / example["images"], **extra)
    assert project["status"] == "ready"
    if "labels" in example:
        assert len(project["cells"]) > 40
    licence_note = (EXAMPLES / "README.md").read_text()
    assert example["images"] in licence_note
