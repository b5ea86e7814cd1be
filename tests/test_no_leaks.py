"""No secret and no API key in any output channel of any command: stdout, stderr, plan files,
exports, with -v, on success and on failure (issue 5, "Secrets" 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.usecases import planning, reconcile, steps

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

    monkeypatch.setattr(reconcile, "plan_fetched", crash)  # every plan goes through it
    result = run("-v", "plan", "dev", env=_env(ory_server))
    assert result.code == 1
    assert "Traceback" in result.err and "RuntimeError" in result.err
    _assert_clean(result.out + result.err, ory_server)


def test_no_object_repr_holds_the_key_or_secrets(repo: Path, ory_server: OryTestServer) -> None:
    settings = steps.Settings(root=repo, environ=_env(ory_server))
    environment = steps.load("dev", settings)
    target = steps.open_target(environment, settings)
    plan = planning.plan_environment(environment, target, settings)
    for thing in (settings, environment, environment.raw, target, plan):
        _assert_clean(repr(thing), ory_server)
    target.close()


# -- one scrubber in front of every output (docs/security.md §5) --------------------------

GITHUB_TOKEN = "ghs_job_token_in_a_hook_url_5d1c"
OIDC_SECRET = "oidc-client-secret-8e2f"

EVERY_POSITION = """
target: {{ory_network: {{project: {project}}}}}
identity_config:
  selfservice:
    methods:
      oidc:
        enabled: true
        config:
          providers:
            - id: acme-sso
              provider: generic
              client_id: reconciler
              client_secret: "${{OIDC_SECRET}}"
              issuer_url: https://sso.acme.test
              mapper_url: base64://bG9jYWwgY2xhaW1zID0gc3RkLmV4dFZhcignY2xhaW1zJyk7IHt9
              scope: [openid]
    flows:
      login:
        after:
          hooks:
            - hook: web_hook
              config:
                url: "https://hooks.acme.test/${{GITHUB_TOKEN}}"
                method: POST
                can_interrupt: {interrupt}
                body: base64://e30=
"""


def test_a_secret_in_a_label_a_finding_or_a_backup_reaches_no_output(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    """The hook's URL names the hook in every plan line and in the lint finding about it; the
    provider's secret comes back from GET. Neither reaches stdout, stderr, the job summary,
    the saved plan, `show`, or the backups apply keeps."""
    write(
        "environments/dev.yaml",
        EVERY_POSITION.format(project=ory_server.project_id, interrupt="false"),
    )
    summary = tmp_path / "summary.md"
    env = {
        **_env(ory_server),
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "OIDC_SECRET": OIDC_SECRET,
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    plan_file = tmp_path / "dev.plan.json"
    outputs = [
        run("-v", "plan", "dev", env=env),
        run("-v", "plan", "dev", "--format", "markdown", env=env),
        run("-v", "plan", "dev", "--format", "json", env=env),
        run("-v", "plan", "dev", "--out", str(plan_file), env=env),
        run("show", str(plan_file), "--format", "markdown", env=env),
        run("-v", "apply", "dev", "--yes", env=env),
    ]
    assert all(output.code == 0 for output in outputs), [o.err for o in outputs]
    assert "webhook-can-interrupt-deprecated" in outputs[0].out  # the finding naming the hook
    assert "hooks[web_hook (sensitive)]" in outputs[0].out  # the label, masked by path
    write(  # a second apply: its backup holds what the first one wrote
        "environments/dev.yaml",
        EVERY_POSITION.format(project=ory_server.project_id, interrupt="true"),
    )
    outputs.append(run("-v", "apply", "dev", "--yes", env=env))
    assert outputs[-1].code == 0, outputs[-1].err
    backups = list((tmp_path / ".reconciler" / "backups" / "dev").glob("*.json"))
    assert len(backups) == 2
    written = [summary, plan_file, *backups]
    for text in [o.out + o.err for o in outputs] + [p.read_text() for p in written]:
        for secret in (GITHUB_TOKEN, OIDC_SECRET, ory_server.workspace_key):
            assert secret not in text
    # ... while Ory has them, where they belong.
    stored = ory_server.stored_identity_config()
    assert stored["selfservice"]["flows"]["login"]["after"]["hooks"][0]["config"]["url"].endswith(
        GITHUB_TOKEN
    )
