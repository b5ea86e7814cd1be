"""End to end against the test server behaving as ory-network-behaviour.md documents: write-only
values, settable cookie keys, the five fixed warnings, 429s with reset 0, silently dropped keys.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
SMTP_PASSWORD = "smtp-pw-0123456789"
TURNSTILE_SECRET = "turnstile-secret-9876543210"

DESIRED = """
target:
  ory_network:
    project: {project}
identity_config:
  courier:
    smtp:
      connection_uri: "smtps://acme:${{SMTP_PASSWORD}}@mail.acme.test:465"
  session:
    cookie:
      persistent: true
      same_site: Strict
  selfservice:
    methods:
      captcha:
        enabled: true
        config:
          cf_turnstile: {{sitekey: 0x4AAAAAAAtest, secret: "${{TURNSTILE_SECRET}}"}}
      passkey:
        enabled: true
        config:
          rp: {{display_name: Acme, id: acme.test, origins: ["https://acme.test"]}}
"""


def _env(server: OryTestServer) -> dict[str, str]:
    return {
        **server.cli_env(),
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "TURNSTILE_SECRET": TURNSTILE_SECRET,
    }


def test_a_network_config_with_write_only_values_converges_through_rate_limits(
    write: Write, run: Run, ory_server: OryTestServer, retry_waits: list[float]
) -> None:
    write("environments/dev.yaml", DESIRED.format(project=ory_server.project_id))
    env = _env(ory_server)

    planned = run("plan", "dev", "--detailed-exitcode", env=env)
    assert planned.code == 2, planned.out + planned.err
    # Live shows no SMTP at all (Ory reports courier.smtp only once a URI is set): sent.
    assert '  + /courier/smtp: {"connection_uri": "(sensitive)"}' in planned.out
    assert "  ~ /session/cookie/persistent: false -> true" in planned.out
    assert '  ~ /session/cookie/same_site: "Lax" -> "Strict"' in planned.out
    assert "  + /selfservice/methods/captcha: " in planned.out
    assert "  + /selfservice/methods/passkey: " in planned.out

    ory_server.clear_requests()
    ory_server.rate_limit_next(times=2, methods=("GET",))
    ory_server.rate_limit_next(times=2, methods=("PATCH",))
    applied = run("apply", "dev", "--yes", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert [(r.method, r.status) for r in ory_server.requests] == [
        ("GET", 429),
        ("GET", 429),
        ("GET", 200),
        ("PATCH", 429),
        ("PATCH", 429),
        ("PATCH", 200),
    ]
    # Four backoffs of a second or more (reset 0 is not waited as 0); after each, the pacer
    # may sleep again until its slot.
    assert len(retry_waits) >= 4 and min(sorted(retry_waits)[-4:]) >= 1.0
    # Ory's five warnings concern keys this environment does not set: not shown.
    assert "can not be set" not in applied.err

    stored = ory_server.stored_identity_config()
    assert stored["courier"]["smtp"]["connection_uri"] == (
        f"smtps://acme:{SMTP_PASSWORD}@mail.acme.test:465"
    )
    turnstile = stored["selfservice"]["methods"]["captcha"]["config"]["cf_turnstile"]
    assert turnstile["secret"] == TURNSTILE_SECRET
    assert stored["session"]["cookie"]["persistent"] is True

    again = run("plan", "dev", "--detailed-exitcode", env=env)
    assert again.code == 0, again.out + again.err
    assert again.out.endswith("No changes.\n")
    assert "2 declared write-only values are not compared: Ory does not return them" in again.out

    adopt = run("export", "dev", "--into", env=env)
    assert adopt.code == 0, adopt.out + adopt.err
    assert "not adopted" not in adopt.out
    assert "0 to adopt, 0 not adoptable." in adopt.out

    for output in (planned, applied, again, adopt):
        text = output.out + output.err
        assert SMTP_PASSWORD not in text and TURNSTILE_SECRET not in text
        assert ory_server.workspace_key not in text


@pytest.mark.ory_server
def test_a_key_ory_silently_drops_fails_the_apply_naming_it(write: Write, run: Run) -> None:
    # ory-network-behaviour.md §3, §7 #9: Ory accepts a hook on a flow/method pair it does not
    # support with 200 and drops it (terraform-provider-ory #328, PR #330: login.after.profile).
    # The schema refuses that pair, so this server drops one the schema allows instead.
    dropped = (("selfservice", "flows", "settings", "after", "profile"),)
    with OryTestServer(dropped_paths=dropped) as server:
        _apply_a_dropped_key(write, run, server)


def _apply_a_dropped_key(write: Write, run: Run, ory_server: OryTestServer) -> None:
    body = """
target:
  ory_network:
    project: {project}
identity_config:
  selfservice:
    flows:
      settings:
        after:
          profile:
            hooks:
              - hook: web_hook
                config: {{url: "https://hooks.acme.test/profile", method: POST, body: "base64://e30="}}
"""
    write("environments/dev.yaml", body.format(project=ory_server.project_id))
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 1
    assert (
        "these paths still differ from the desired state: /selfservice/flows/settings/after/"
        "profile. The target accepted /selfservice/flows/settings/after/profile and ignored it"
    ) in result.err
    assert len(ory_server.applied_patches) == 1


def test_server_managed_leaves_warn_at_their_line_and_settable_cookie_keys_apply(
    write: Write, run: Run, ory_server: OryTestServer, tmp_path: Path
) -> None:
    body = """
target:
  ory_network:
    project: {project}
identity_config:
  cookies:
    domain: acme.test
    same_site: Strict
"""
    write("environments/dev.yaml", body.format(project=ory_server.project_id))
    env = _env(ory_server)
    planned = run("plan", "dev", env=env)
    assert planned.code == 0, planned.err
    assert '  ~ /cookies/same_site: "Lax" -> "Strict"' in planned.out
    assert "/cookies/domain:" not in planned.out  # never planned
    assert (
        "Warning: environments/dev.yaml:6:5: identity_config.cookies.domain: the target sets "
        "/cookies/domain itself and ignores writes to it; it is never planned"
    ) in planned.out.replace(f"{tmp_path}/", "")

    applied = run("-v", "apply", "dev", "--yes", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert ory_server.stored_identity_config()["cookies"]["same_site"] == "Strict"
    # Ory's warning about the declared key, at its line; the other four under -v only.
    assert (
        "environments/dev.yaml:6:5: identity_config.cookies.domain: Configuration key "
        "`cookies.domain` can not be set and will be ignored."
    ) in applied.err.replace(f"{tmp_path}/", "")
    assert (
        "The target also sent 4 warning(s) about keys this environment does not set"
    ) in applied.err
    quiet = run("apply", "dev", "--yes", env=env)  # no changes: nothing sent, nothing warned
    assert "serve.*" not in quiet.err


def test_rotate_sends_a_write_only_value_once_per_version(
    write: Write, run: Run, ory_server: OryTestServer, tmp_path: Path
) -> None:
    desired = DESIRED.format(project=ory_server.project_id)
    write("environments/dev.yaml", desired)
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env).code == 0
    new_password = "smtp-pw-rotated-555"
    rotated_env = {**env, "SMTP_PASSWORD": new_password}
    unseen = run("plan", "dev", "--detailed-exitcode", env=rotated_env)
    assert unseen.code == 0  # a new value cannot be seen: Ory never returns it

    write("environments/dev.yaml", desired + "rotate:\n  /courier/smtp/connection_uri: 2\n")
    first = run("plan", "dev", "--detailed-exitcode", env=rotated_env)
    assert first.code == 2, first.out + first.err
    assert "  + /courier/smtp/connection_uri: (sensitive)" in first.out
    assert "note: rotate: 2, and .reconciler/state/dev.json has no record of sending it" in (
        first.out.replace(str(tmp_path) + "/", "")
    )
    assert run("apply", "dev", "--yes", env=rotated_env).code == 0
    stored = ory_server.stored_identity_config()["courier"]["smtp"]["connection_uri"]
    assert new_password in stored
    state = (tmp_path / ".reconciler" / "state" / "dev.json").read_text()
    assert '"/courier/smtp/connection_uri": 2' in state and new_password not in state
    assert run("plan", "dev", "--detailed-exitcode", env=rotated_env).code == 0

    write("environments/dev.yaml", desired + "rotate:\n  /courier/smtp/connection_uri: 3\n")
    bumped = run("plan", "dev", "--out", str(tmp_path / "plan.json"), env=rotated_env)
    assert "note: rotate: 3 (last sent: 2)" in bumped.out
    saved = run("apply", "--plan", str(tmp_path / "plan.json"), env=rotated_env)
    assert saved.code == 0, saved.out + saved.err
    assert (
        '"/courier/smtp/connection_uri": 3' in (tmp_path / ".reconciler/state/dev.json").read_text()
    )
    assert new_password not in (tmp_path / "plan.json").read_text()
    assert run("plan", "dev", "--detailed-exitcode", env=rotated_env).code == 0


def test_a_lost_answer_to_a_write_only_patch_is_recognised_as_applied(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    # The re-read cannot show the SMTP URI (Ory never returns it); courier.smtp showing up
    # and every other change being there is what proves the PATCH landed.
    write("environments/dev.yaml", DESIRED.format(project=ory_server.project_id))
    ory_server.fail_after_apply(502)
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 0, result.out + result.err
    assert "shows every change of this plan, so the apply took effect" in result.err
    assert len(ory_server.applied_patches) == 1
    assert [r.method for r in ory_server.requests].count("PATCH") == 1


def test_a_rotation_of_an_undeclared_value_is_refused_before_any_request(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    body = DESIRED.format(project=ory_server.project_id) + "rotate:\n  /courier/smtp/nope: 1\n"
    write("environments/dev.yaml", body)
    result = run("plan", "dev", env=_env(ory_server))
    assert result.code == 1
    assert "rotate: /courier/smtp/nope is not declared under identity_config" in result.err
    assert ory_server.requests == []


def test_the_markdown_plan_says_how_many_write_only_values_were_not_compared(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write("environments/dev.yaml", DESIRED.format(project=ory_server.project_id))
    assert run("apply", "dev", "--yes", env=_env(ory_server)).code == 0
    markdown = run("plan", "dev", "--format", "markdown", env=_env(ory_server))
    assert "2 declared write-only values are not compared" in markdown.out
    assert SMTP_PASSWORD not in markdown.out
