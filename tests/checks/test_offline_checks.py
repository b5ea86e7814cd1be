"""Small things users hit on the way (issue 10, item 7).

``validate`` runs offline (pre-commit has no secrets): an unset ``${VAR}`` is a warning there
and everything else is still checked; ``plan``, ``apply`` and ``render`` still refuse it. A
URL-valued key naming a file without ``file://`` is an error with a did-you-mean.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
UNSET = "SMTP_PASSWORD_NOT_SET_ANYWHERE"

SMTP_ENV = f"""
identity_config:
  courier:
    smtp:
      connection_uri: smtps://acme:${{{UNSET}}}@mail.acme.test:465
"""


def _with_target(project: str, body: str) -> str:
    return f"target:\n  ory_network:\n    project: {project}\n{body.lstrip()}"


def test_validate_warns_about_an_unset_variable_and_passes(write: Write, run: Run) -> None:
    write("environments/dev.yaml", SMTP_ENV)
    result = run("validate", "dev")
    assert result.code == 0, result.err
    assert result.out == "dev: valid\n"
    line = result.err.strip()
    assert line.startswith("Warning [unset-variable] ")
    assert line.endswith(
        "/environments/dev.yaml:4:7: identity_config.courier.smtp.connection_uri: "
        f"environment variable {UNSET} is not set; checked without it, but plan, apply and "
        "render need it"
    )


def test_validate_still_checks_everything_else(write: Write, run: Run) -> None:
    write("environments/dev.yaml", SMTP_ENV + "  sesion: {}\n")
    result = run("validate", "dev")
    assert result.code == 1
    assert "did you mean `session`?" in result.err
    assert f"{UNSET} is not set" in result.err


def test_a_placeholder_is_not_checked_against_the_schema(write: Write, run: Run) -> None:
    # lifespan must match a duration pattern; `${VAR}` unset cannot, and is not the user's error.
    write(
        "environments/dev.yaml",
        "identity_config:\n  selfservice:\n    flows:\n      login:\n"
        f"        lifespan: ${{{UNSET}}}\n",
    )
    result = run("validate", "dev")
    assert result.code == 0, result.err


@pytest.mark.parametrize("command", ["plan", "render", "apply"])
def test_commands_that_send_or_show_values_still_require_it(
    write: Write, run: Run, ory_server: OryTestServer, command: str
) -> None:
    write("environments/prod.yaml", _with_target(ory_server.project_id, SMTP_ENV))
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
    }
    extra = ["--yes"] if command == "apply" else []
    result = run(command, "prod", *extra, env=env)
    assert result.code == 1
    assert (
        "environments/prod.yaml:7:7: identity_config.courier.smtp.connection_uri: "
        f"environment variable {UNSET} is not set"
    ) in result.err
    assert ory_server.requests == []


@pytest.mark.parametrize(
    ("key_path", "entry"),
    [
        ("selfservice.methods.oidc.config.providers[0].mapper_url", "mapper_url"),
        ("courier.templates.recovery.valid.email.body", "body"),
    ],
)
def test_a_bare_file_path_in_a_url_key_gets_a_did_you_mean(
    write: Write, run: Run, key_path: str, entry: str
) -> None:
    shutil.copy(
        REPO_ROOT / "hooks" / "login.jsonnet", Path(write("hooks/x", "")).parent / "m.jsonnet"
    )
    if entry == "mapper_url":
        body = (
            "identity_config:\n  selfservice:\n    methods:\n      oidc:\n        config:\n"
            "          providers:\n            - id: g\n"
            "              mapper_url: ../hooks/m.jsonnet\n"
        )
    else:
        body = (
            "identity_config:\n  courier:\n    templates:\n      recovery:\n        valid:\n"
            "          email:\n            body: ../hooks/m.jsonnet\n"
        )
    write("environments/dev.yaml", body)
    result = run("validate", "dev")
    assert result.code == 1
    assert f"identity_config.{key_path}: ../hooks/m.jsonnet is a file" in result.err
    assert "did you mean file://../hooks/m.jsonnet?" in result.err


def test_url_keys_that_are_urls_or_inline_text_are_left_alone(write: Write, run: Run) -> None:
    write(
        "environments/dev.yaml",
        "identity_config:\n  selfservice:\n    methods:\n      oidc:\n        config:\n"
        "          providers:\n            - id: g\n"
        "              mapper_url: https://mappers.acme.test/g.jsonnet\n",
    )
    assert run("validate", "dev").code == 0
