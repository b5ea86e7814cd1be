"""No secret and no API key in any output channel of any command: stdout, stderr, plan files,
exports, with -v, on success and on failure (issue 5, "Secrets" 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.usecases import kernel, reconcile

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
HOOK_SECRET = "hook-secret-0f9e8d7c"
SMTP_SECRET = "smtp-secret-6a5b4c3d"
TAGGED_SECRET = "tagged-secret-1a2b3c4d"

ENVIRONMENT = """
target: {{ory_network: {{project: {project}}}}}
identity_config:
  courier:
    smtp:
      connection_uri: "smtps://acme:${{SMTP_PASSWORD}}@mail.acme.test:465"
      from_name: !secret {tagged}
  selfservice:
    methods:
      totp: {{enabled: true, config: {{issuer: Acme}}}}
    flows:
      login:
        after:
          hooks:
            - hook: web_hook
              config:
                url: https://hooks.acme.test/login
                method: POST
                auth:
                  type: api_key
                  config: {{name: X-Api-Key, value: "${{HOOK_KEY}}", in: header}}
"""


def _secrets(server: OryTestServer) -> tuple[str, ...]:
    return (HOOK_SECRET, SMTP_SECRET, TAGGED_SECRET, server.workspace_key)


def _env(server: OryTestServer, key: str | None = None) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": key or server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "HOOK_KEY": HOOK_SECRET,
        "SMTP_PASSWORD": SMTP_SECRET,
    }


def _assert_clean(text: str, server: OryTestServer) -> None:
    for secret in _secrets(server):
        assert secret not in text


@pytest.fixture
def repo(tmp_path: Path, write: Write, ory_server: OryTestServer) -> Path:
    write(
        "environments/dev.yaml",
        ENVIRONMENT.format(project=ory_server.project_id, tagged=TAGGED_SECRET),
    )
    write(
        "environments/broken.yaml",
        ENVIRONMENT.format(project=ory_server.project_id, tagged=TAGGED_SECRET).replace(
            "totp: {enabled: true", 'totp: {enabled: "${HOOK_KEY}"'
        ),
    )
    return tmp_path


def test_every_command_on_success_and_failure(
    repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    plan_file = repo / "dev.plan.json"
    export_file = repo / "exported.yaml"
    outputs = [
        run("-v", "validate", env=env),
        run("-v", "validate", "broken", env=env),
        run("-v", "render", "dev", env=env),
        run("-v", "plan", "dev", env=env),
        run("-v", "plan", "broken", env=env),
        run("-v", "plan", "dev", "--format", "json", env=env),
        run("-v", "plan", "dev", "--format", "markdown", env=env),
        run("-v", "plan", "dev", "--out", str(plan_file), env=env),
        run("-v", "plan", "dev", env=_env(ory_server, "ory_wak_not_the_right_key_123")),
        run("-v", "plan", "dev", env=_env(ory_server, ory_server.project_key)),
        run("-v", "apply", "dev", "--plan", str(plan_file), "--yes", env=env),
        run("-v", "apply", "dev", "--plan", str(plan_file), "--yes", env=env),  # stale now
        run("-v", "apply", "dev", "--yes", env=env),
        run("-v", "--rotate-secrets", "apply", "dev", "--yes", env=env),
        run("-v", "export", "dev", "--out", str(export_file), "--force", env=env),
        run("-v", "diff", "dev", "broken", env=env),
    ]
    assert {o.code for o in outputs} >= {0, 1}  # both paths were exercised
    for output in outputs:
        _assert_clean(output.out + output.err, ory_server)
    _assert_clean(plan_file.read_text(), ory_server)
    _assert_clean(export_file.read_text(), ory_server)
    # ... while the secrets did reach Ory, where they belong.
    stored = ory_server.stored_identity_config()
    assert SMTP_SECRET in stored["courier"]["smtp"]["connection_uri"]


def test_a_crash_with_verbose_traceback_still_hides_secrets(
    repo: Path, run: Run, ory_server: OryTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: object, **__: object) -> None:
        raise RuntimeError(f"boom while holding {SMTP_SECRET} and {ory_server.workspace_key}")

    monkeypatch.setattr(reconcile, "_plan_fetched", crash)  # every plan goes through it
    result = run("-v", "plan", "dev", env=_env(ory_server))
    assert result.code == 1
    assert "Traceback" in result.err and "RuntimeError" in result.err
    _assert_clean(result.out + result.err, ory_server)


def test_no_object_repr_holds_the_key_or_secrets(repo: Path, ory_server: OryTestServer) -> None:
    settings = kernel.Settings(root=repo, environ=_env(ory_server))
    environment = kernel.load("dev", settings)
    target = kernel.open_target(environment, settings)
    plan = reconcile.plan_environment(environment, target, settings)
    for thing in (settings, environment, environment.raw, target, plan):
        _assert_clean(repr(thing), ory_server)
    target.close()
