"""Saved plans: plan --out, apply --plan, and every way a saved plan must be refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jsonschema
import pytest

from reconciler.plan import planfile, planfile_reader

from conftest import REPO_ROOT, Run
from ory_server import OryTestServer

PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
HOOK_KEY = "hook-key-3f9a1c77d2"
ROTATED_KEY = "hook-key-rotated-0b41e5"
PLAN_SCHEMA = json.loads((REPO_ROOT / "docs" / "plan-format.schema.json").read_text())


def _env(server: OryTestServer, hook_key: str = HOOK_KEY) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": hook_key,
    }


@pytest.fixture
def prod(ory_server: OryTestServer, example_repo: Path) -> Path:
    """The example repository with its prod project on the test server; returns the repo."""
    ory_server.add_project(project_id=PROD)
    return example_repo


def _saved(run: Run, repo: Path, server: OryTestServer, name: str = "prod") -> Path:
    out = repo / "plan.json"
    result = run("plan", name, "--out", str(out), env=_env(server), root=repo)
    assert result.code == 0, result.err
    assert f"Saved the plan to {out}" in result.err
    return out


def test_round_trip_applies_exactly_the_saved_plan_and_converges(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    out = _saved(run, prod, ory_server)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    saved = json.loads(out.read_text())
    applied = run("apply", "--plan", str(out), env=_env(ory_server), root=prod)
    assert applied.code == 0, applied.err
    assert "Apply complete: 1 added, 11 changed, 0 reset." in applied.out
    (write,) = ory_server.writes()
    assert write.path == f"/projects/{PROD}/revision/{saved['revision']}"
    sent = [
        {**op, "path": op["path"].removeprefix("/services/identity/config")}
        for op in write.json_body
    ]
    hook_value = "/selfservice/flows/login/after/hooks"
    expected = json.loads(json.dumps(saved["operations"]))
    for op in expected:  # the only difference: the secret, read again at apply
        if op["path"] == hook_value:
            op["value"][0]["config"]["auth"]["config"]["value"] = HOOK_KEY
    assert sent == expected
    again = run("plan", "prod", "--detailed-exitcode", env=_env(ory_server), root=prod)
    assert again.code == 0, again.out
    assert "No changes." in again.out


def test_the_plan_file_holds_no_secret_value(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    out = _saved(run, prod, ory_server)
    text = out.read_text()
    assert HOOK_KEY not in text
    assert ory_server.workspace_key not in text
    (secret,) = json.loads(text)["secrets"]
    assert secret["source"] == "/selfservice/flows/login/after/hooks/0/config/auth/config/value"
    assert secret["variables"] == ["LOGIN_HOOK_KEY"]
    assert "environments/prod.yaml:" in secret["written_at"]
    assert secret["written_at"].endswith(
        ": identity_config.selfservice.flows.login.after.hooks[0].config.auth.config.value"
    )
    assert secret["fingerprint"].startswith("hmac-sha256:")


def test_the_fingerprint_is_salted_per_plan(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    first = json.loads(_saved(run, prod, ory_server).read_text())
    second = json.loads(_saved(run, prod, ory_server).read_text())
    assert first["salt"] != second["salt"]
    assert first["secrets"][0]["fingerprint"] != second["secrets"][0]["fingerprint"]
    assert first["desired_digest"] == second["desired_digest"]


def test_a_plan_is_refused_when_live_moved(run: Run, prod: Path, ory_server: OryTestServer) -> None:
    out = _saved(run, prod, ory_server)
    planned = json.loads(out.read_text())["revision"]
    moved = ory_server.console_edit(
        [
            {
                "op": "replace",
                "path": "/services/identity/config/selfservice/methods/totp/config/issuer",
                "value": "Console",
            }
        ],
        PROD,
    )
    ory_server.clear_requests()
    result = run("apply", "--plan", str(out), env=_env(ory_server), root=prod)
    assert result.code == 1
    assert (
        f"Error: the plan was made against revision {planned}, but prod is now at revision "
        f"{moved}; nothing was written. Run plan again.\n"
    ) in result.err
    assert ory_server.writes() == []


def test_a_plan_is_refused_when_the_desired_files_changed(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    out = _saved(run, prod, ory_server)
    schema = prod / "schemas" / "customer-v1.schema.json"  # referenced with file:// by base.yaml
    schema.write_text(schema.read_text().replace('"E-mail"', '"Email address"'))
    result = run("apply", "--plan", str(out), env=_env(ory_server), root=prod)
    assert result.code == 1
    assert "the desired state of prod changed since the plan was made" in result.err
    assert "Run plan again." in result.err
    assert ory_server.writes() == []


def test_a_plan_is_refused_when_only_the_lint_settings_changed(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    # The same operations under other gates: a rule disabled after the review. Planning again
    # sends exactly the saved operations, so only the desired state's digest can refuse it.
    out = _saved(run, prod, ory_server)
    environment = prod / "environments" / "prod.yaml"
    environment.write_text(
        environment.read_text() + "lint:\n  disable:\n    totp-issuer-missing: set in base\n"
    )
    result = run("apply", "--plan", str(out), env=_env(ory_server), root=prod)
    assert result.code == 1
    assert "the desired state of prod changed since the plan was made" in result.err
    assert ory_server.writes() == []


def test_a_plan_is_refused_when_a_secret_was_rotated(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    out = _saved(run, prod, ory_server)
    result = run("apply", "--plan", str(out), env=_env(ory_server, ROTATED_KEY), root=prod)
    assert result.code == 1
    assert (
        "the secret at /selfservice/flows/login/after/hooks/0/config/auth/config/value "
        "(from ${LOGIN_HOOK_KEY}) changed since the plan was made; nothing was written."
    ) in result.err
    assert ROTATED_KEY not in result.out + result.err
    assert HOOK_KEY not in result.out + result.err
    assert ory_server.writes() == []


def test_a_kratos_file_plan_is_refused_when_the_file_changed(run: Run, example_repo: Path) -> None:
    kratos = example_repo / ".demo" / "kratos.yml"
    out = example_repo / "plan.json"
    env = {"LOGIN_HOOK_KEY": HOOK_KEY}
    assert run("plan", "local", "--out", str(out), env=env, root=example_repo).code == 0
    edited = kratos.read_text() + "# edited by hand after the plan\n"
    kratos.write_text(edited)
    result = run("apply", "--plan", str(out), env=env, root=example_repo)
    assert result.code == 1
    assert "Run plan again." in result.err
    assert kratos.read_text() == edited
    assert HOOK_KEY not in out.read_text()


def test_a_kratos_file_plan_applies(run: Run, example_repo: Path) -> None:
    out = example_repo / "plan.json"
    env = {"LOGIN_HOOK_KEY": HOOK_KEY}
    assert run("plan", "local", "--out", str(out), env=env, root=example_repo).code == 0
    result = run("apply", "--plan", str(out), env=env, root=example_repo)
    assert result.code == 0, result.err
    assert HOOK_KEY in (example_repo / ".demo" / "kratos.yml").read_text()
    assert run("plan", "local", "--detailed-exitcode", env=env, root=example_repo).code == 0


@pytest.mark.parametrize("option", ["--out", "--migration-plan"])
def test_a_plan_that_cannot_be_saved_says_where_and_exits_1(
    run: Run, example_repo: Path, option: str
) -> None:
    missing = example_repo / "no-such-folder" / "plan.out"
    result = run("plan", "local", option, str(missing), env={"LOGIN_HOOK_KEY": HOOK_KEY})
    assert result.code == 1
    assert "no-such-folder/plan.out: cannot write: No such file or directory" in result.err
    assert "bug" not in result.err and not missing.parent.exists()


def _rewrite(path: Path, edit: str) -> None:
    document = json.loads(path.read_text())
    if edit == "value":
        document["operations"][0]["value"] = "hand-edited"
    elif edit == "version":
        document["format_version"] = 99
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncate", "is not valid JSON (truncated or corrupted?)"),
        ("value", "was changed after it was written (its integrity digest does not match)"),
        ("version", "has format_version 99; this reconciler reads version 6"),
        ("empty-object", "is not a reconciler saved plan (no format_version)"),
    ],
)
def test_a_damaged_plan_file_is_refused(
    run: Run, prod: Path, ory_server: OryTestServer, damage: str, message: str
) -> None:
    out = _saved(run, prod, ory_server)
    if damage == "truncate":
        out.write_text(out.read_text()[:500])
    elif damage == "empty-object":
        out.write_text("{}")
    else:
        _rewrite(out, damage)
    result = run("apply", "--plan", str(out), env=_env(ory_server), root=prod)
    assert result.code == 1
    assert message in result.err
    assert result.out == ""
    assert ory_server.writes() == []


def test_json_output_is_the_documented_format(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    out = _saved(run, prod, ory_server)
    printed = run("plan", "prod", "--format", "json", env=_env(ory_server), root=prod)
    assert printed.code == 0
    document = json.loads(printed.out)
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(document)
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(json.loads(out.read_text()))
    saved = json.loads(out.read_text())
    salted = {"salt", "secrets", "integrity"}
    assert {k: v for k, v in document.items() if k not in salted} == {
        k: v for k, v in saved.items() if k not in salted
    }
    assert document["summary"] == {"add": 1, "change": 11, "reset": 0, "weakening": 0, "errors": 0}


def test_parse_reads_back_what_document_wrote(
    run: Run, prod: Path, ory_server: OryTestServer
) -> None:
    saved = planfile_reader.read(_saved(run, prod, ory_server))
    again = planfile_reader.parse(planfile.dumps(json.loads(Path(prod / "plan.json").read_text())))
    assert again == saved
    assert [c.pointer for c in saved.plan.changes][:2] == [
        "/identity/default_schema_id",
        "/selfservice/flows/login/after/hooks",
    ]
    assert len(saved.plan.impacts) == len(saved.plan.changes) == len(saved.plan.operations)


def test_out_needs_exactly_one_environment(run: Run, prod: Path) -> None:
    result = run("plan", "dev", "prod", "--out", str(prod / "plan.json"), root=prod)
    assert result.code == 64
    assert "--out saves one plan: name exactly one environment" in result.err
    assert not (prod / "plan.json").exists()
