"""The saved plan's model: it reads what the writer writes, refuses a layout it does not know
with one message naming the field, and generates the committed JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.plan import planfile, planfile_reader
from reconciler.plan.planfile import PlanFileError
from reconciler.plan.planfile_model import SCHEMA_PATH, main, plan_schema_text

from conftest import REPO_ROOT, Run
from ory_server import OryTestServer

PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"  # environments/prod.yaml


def test_the_committed_schema_is_generated_from_the_model() -> None:
    committed = (REPO_ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == plan_schema_text(), (
        "docs/plan-format.schema.json is out of date with reconciler/plan/planfile_model.py: "
        "run `make schemas`"
    )


def test_main_writes_the_schema(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    assert main([str(tmp_path)]) == 0
    written = json.loads((tmp_path / SCHEMA_PATH).read_text())
    jsonschema.Draft202012Validator.check_schema(written)
    assert written["properties"]["format_version"]["const"] == planfile.FORMAT_VERSION


@pytest.fixture
def saved_plan(run: Run, ory_server: OryTestServer, example_repo: Path) -> dict[str, Any]:
    """A real saved plan of the example's prod environment (a secret, a new identity schema)."""
    ory_server.add_project(project_id=PROD)
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
        "LOGIN_HOOK_KEY": "hook-key-3f9a1c77d2",
    }
    out = example_repo / "plan.json"
    result = run("plan", "prod", "--out", str(out), env=env, root=example_repo)
    assert result.code == 0, result.err
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def _sealed(document: dict[str, Any]) -> str:
    """The document as a writer would have sealed it: the edit gets past the integrity check."""
    document["integrity"] = planfile.integrity(document)
    return planfile.dumps(document)


Edit = Callable[[dict[str, Any]], object]

EDITS: list[tuple[str, Edit, str]] = [
    (
        "unknown-action",
        lambda d: d["changes"][0].update(action="move"),
        "changes[0].action: Input should be 'add', 'change' or 'reset'",
    ),
    (
        "remove-with-value",
        lambda d: d["operations"].__setitem__(0, {"op": "remove", "path": "/a", "value": 1}),
        "operations[0].value: Extra inputs are not permitted",
    ),
    (
        "absolute-kratos-path",
        lambda d: d.update(target={"description": "x", "kind": "kratos_file", "path": "/etc/k"}),
        "target.path: should be a path relative to the repository",
    ),
    (
        "operation-missing",
        lambda d: d["operations"].pop(),
        "changes and operations differ in number",
    ),
    (
        "secret-of-no-operation",
        lambda d: d["secrets"][0].update(operation=len(d["operations"])),
        "a secret names operation",
    ),
    (
        "count-as-text",
        lambda d: d["summary"].update(add="1"),
        "summary.add: Input should be a valid integer",
    ),
    (
        "bad-pointer",
        lambda d: d["sensitive"]["identity"].append("selfservice"),
        "sensitive.identity[1]: should be a JSON pointer",
    ),
    ("unknown-key", lambda d: d.update(extra=1), "extra: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("edit", "message"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
def test_a_sealed_document_of_another_layout_is_refused_naming_the_field(
    saved_plan: dict[str, Any], edit: Edit, message: str
) -> None:
    planfile_reader.parse(_sealed(json.loads(json.dumps(saved_plan))), "plan.json")  # it reads
    edit(saved_plan)
    with pytest.raises(PlanFileError) as refused:
        planfile_reader.parse(_sealed(saved_plan), "plan.json")
    assert str(refused.value).startswith("plan.json does not have the saved-plan layout: ")
    assert message in str(refused.value)
    assert str(refused.value).endswith("; run plan --out again")


@pytest.mark.parametrize("command", ["apply", "show"])
def test_the_cli_refuses_it_with_one_message_and_writes_nothing(
    run: Run,
    saved_plan: dict[str, Any],
    example_repo: Path,
    ory_server: OryTestServer,
    command: str,
) -> None:
    saved_plan["changes"][0]["action"] = "move"
    out = example_repo / "plan.json"
    out.write_text(_sealed(saved_plan))
    arguments = ["apply", "--plan", str(out), "--yes"] if command == "apply" else ["show", str(out)]
    result = run(*arguments, root=example_repo)
    assert result.code == 1
    assert result.err.strip() == (
        f"Error: {out} does not have the saved-plan layout: changes[0].action: Input should be "
        "'add', 'change' or 'reset'; run plan --out again"
    )
    assert "Traceback" not in result.err
    assert result.out == ""
    assert ory_server.writes() == []
