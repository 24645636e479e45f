"""The worked example of client/README.md runs as written against a real server."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_worked_example_runs_as_written(server, admin_token, monkeypatch, capsys):
    section = README.read_text(encoding="utf-8").split("## Worked example", 1)[1]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))
    assert "create_project" in code and "project.labels()" in code
    monkeypatch.setenv("DEEPCELL_LABEL_URL", server.url)
    monkeypatch.setenv("DEEPCELL_LABEL_TOKEN", admin_token)
    exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    assert "Correct it at http://127.0.0.1" in printed
    assert "Next round's min_size: 50" in printed
    assert "Tasks: 2" in printed
