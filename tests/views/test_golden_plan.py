"""The whole text and Markdown plan of one realistic change set, line by line (issue 12).

Against the test server (tests/ory_server.py): the example repository's prod environment is
applied, then a pull request switches code MFA on (its forced-2FA finding acknowledged under
``lint: disable``), changes the login web hook's Jsonnet body, adds an identity schema (the
mfa-optional profile from ory/kratos, tests/fixtures/SOURCES.md) and lowers the minimum
password length (a weakening change). The expected outputs are tests/golden/*.txt.

Values that differ per run (the server's port, revisions, the random project slug) are
replaced by placeholders before comparing. When the output changes on purpose, regenerate the
files with ``RECONCILER_UPDATE_GOLDEN=1 make test`` and review the diff before committing:
the test never rewrites them otherwise.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from conftest import MFA_OPTIONAL, Run
from ory_server import OryTestServer

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"  # environments/prod.yaml
UPDATE = os.environ.get("RECONCILER_UPDATE_GOLDEN") == "1"

PULL_REQUEST = """
      code:
        mfa_enabled: true
      password:
        config:
          min_password_length: 8
"""
NEW_SCHEMA = """
      - id: customer-v1
        url: file://../schemas/customer-v1.schema.json
      - id: customer-mfa
        url: file://../schemas/customer-mfa.schema.json
"""
ACKNOWLEDGED = """lint:
  disable:
    code-mfa-forces-2fa: existing email users confirm a code by design (ticket SEC-12)
"""


def _pull_request(repo: Path) -> None:
    prod = repo / "environments" / "prod.yaml"
    text = prod.read_text()
    text = text.replace("    methods:\n", "    methods:" + PULL_REQUEST, 1)
    prod.write_text(text + ACKNOWLEDGED)
    base = repo / "environments" / "base.yaml"
    old_schema = (
        "\n      - id: customer-v1\n        url: file://../schemas/customer-v1.schema.json\n"
    )
    base.write_text(base.read_text().replace(old_schema, NEW_SCHEMA))
    shutil.copy(
        MFA_OPTIONAL / "identity.traits.schema.json", repo / "schemas" / "customer-mfa.schema.json"
    )
    hook = repo / "hooks" / "login.jsonnet"
    hook.write_text(
        hook.read_text().replace(
            "  method: ctx.flow.active,\n", "  method: ctx.flow.active,\n  flow: ctx.flow.id,\n"
        )
    )


def _stable(text: str, server: OryTestServer) -> str:
    project = server.project_document(PROD)
    text = text.replace(server.base_url, "http://ory.test")
    text = text.replace(str(project["slug"]), "<slug>")
    return text.replace(str(project["revision_id"]), "<revision>")


def _compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                f"tests/golden/{name} (expected)",
                "actual output",
            )
        )
        pytest.fail(
            f"the plan differs from tests/golden/{name}:\n{diff}\n"
            "If the change is intended: RECONCILER_UPDATE_GOLDEN=1, then review the diff.",
            pytrace=False,
        )


def test_a_realistic_pull_request_plans_exactly_as_the_golden_files_show(
    example_repo: Path, run: Run, ory_server: OryTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(example_repo)  # as CI runs it: files are named relative to the repository
    ory_server.add_project(project_id=PROD)
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
        "LOGIN_HOOK_KEY": "hook-key-for-tests",
    }
    assert run("apply", "prod", "--yes", "--allow-weaken", env=env).code == 0
    _pull_request(example_repo)

    text = run("plan", "prod", env=env)
    assert text.code == 0, text.out + text.err  # the finding is acknowledged: not an error
    markdown = run("plan", "prod", "--format", "markdown", env=env)
    _compare("prod-plan.txt", _stable(text.out, ory_server))
    _compare("prod-plan.md", _stable(markdown.out, ory_server))
    assert "hook-key-for-tests" not in text.out + markdown.out
