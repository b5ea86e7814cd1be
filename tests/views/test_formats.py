"""views/formats.py: one registry of output formats, read by ``plan --format`` and ``show
--format``. A format is one module: the toy format below is defined only here, registered the
way the shipped ones are, and both commands print with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.views import Shown, formats
from reconciler.views.formats import Format, Formatter

from conftest import Run

ENV = {"LOGIN_HOOK_KEY": "hook-key-for-tests"}


def toy(shown: Shown) -> str:
    """One line per environment: its name, its counts, and whether the plan file came too."""
    lines = []
    for outcome in shown.outcomes:
        counts = outcome.plan.counts() if outcome.plan is not None else {}
        lines.append(
            f"toy {outcome.name} {sorted(counts.items())} documents={len(shown.documents)}"
        )
    return "\n".join(lines) + "\n"


def _toy() -> Formatter:
    return toy


@pytest.fixture
def toy_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setitem(formats.FORMATS, "toy", Format(_toy, documents=True))
    yield "toy"


def test_a_format_registered_once_is_used_by_plan_and_show(
    example_repo: Path, run: Run, tmp_path: Path, toy_format: str
) -> None:
    saved = tmp_path / "plan.json"
    planned = run("plan", "local", "--format", toy_format, "--out", str(saved), env=ENV)
    assert planned.code == 0, planned.err
    expected = "toy local [('add', 7), ('change', 3), ('reset', 1)] documents=1\n"
    assert planned.out == expected
    shown = run("show", str(saved), "--format", toy_format)
    assert shown.code == 0, shown.err
    assert shown.out == expected


def test_the_choice_of_formats_is_the_registry(run: Run, toy_format: str) -> None:
    for command in ("plan", "show"):
        help_text = run(command, "--help").out
        assert "[text|markdown|json|toy]" in help_text
    refused = run("show", "plan.json", "--format", "yaml")
    assert refused.code == 64
    assert "'yaml' is not one of 'text', 'markdown', 'json', 'toy'" in refused.err


def test_a_format_that_prints_no_document_never_gets_one(
    example_repo: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(formats.FORMATS, "toy", Format(_toy))
    planned = run("plan", "local", "--format", "toy", env=ENV)
    assert planned.code == 0, planned.err
    assert planned.out.endswith("documents=0\n")


def test_every_shipped_format_loads_a_function() -> None:
    for name, entry in formats.FORMATS.items():
        assert callable(entry.load()), name
