"""``reconciler show PLANFILE``: a saved plan printed without the repository or the network."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import Run

ENV = {"LOGIN_HOOK_KEY": "hook-key-for-tests"}


def _pointers(text: str) -> list[str]:
    return sorted(re.findall(r"^\s*[-+~] (/\S+):", text, flags=re.M))


def test_show_prints_a_saved_plan_in_every_format_without_the_repository(
    example_repo: Path, run: Run, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    planned = run("plan", "local", "--out", str(saved), env=ENV)
    assert planned.code == 0, planned.err
    markdown = run("plan", "local", "--format", "markdown", env=ENV).out
    shutil.rmtree(example_repo / "environments")  # show needs nothing but the file
    shutil.rmtree(example_repo / ".demo")

    text = run("show", str(saved))
    assert text.code == 0, text.err
    assert text.out.startswith("Environment local: Kratos config file")
    assert "Plan: 7 to add, 3 to change, 1 to reset." in text.out
    assert _pointers(text.out) == _pointers(planned.out) and _pointers(text.out)
    assert "hook-key-for-tests" not in text.out

    shown = run("show", str(saved), "--format", "markdown").out
    assert shown.splitlines()[0] == markdown.splitlines()[0]
    assert shown.splitlines()[0].startswith("**reconciler plan** · `local` · Plan: 7 to add")

    as_json = run("show", str(saved), "--format", "json").out
    assert json.loads(as_json) == json.loads(saved.read_text())


def test_show_refuses_a_tampered_plan(example_repo: Path, run: Run, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert run("plan", "local", "--out", str(saved), env=ENV).code == 0
    saved.write_text(saved.read_text().replace("customer-v1", "customer-v9"))
    result = run("show", str(saved))
    assert result.code == 1
    assert "Traceback" not in result.err and result.out == ""
    assert "plan" in result.err
