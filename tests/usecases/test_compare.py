"""``reconciler diff ENV_A ENV_B``: what promoting A to B would change."""

from __future__ import annotations

from pathlib import Path

from conftest import Run
from ory_server import OryTestServer

HOOK_KEY = "hook-key-for-tests"
PROD_PROJECT = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"


def test_dev_to_prod_shows_the_overlay_difference_and_what_only_prod_sets(
    example_repo: Path, run: Run
) -> None:
    result = run("diff", "dev", "prod")
    assert result.code == 0, result.err
    assert result.out.startswith("Promoting dev to prod (desired states):\n")
    assert '  ~ /selfservice/methods/totp/config/issuer: "Acme" -> "Acme (dev)"' in result.out
    assert "Plan: 0 to add, 1 to change, 0 to reset." in result.out
    only_prod = result.out.split("Set in prod only", 1)[1]
    assert "  /selfservice/methods/webauthn: " in only_prod
    assert "  /selfservice/flows/login/after: " in only_prod
    # What base.yaml gives both is not a difference.
    assert "lookup_secret" not in result.out


def test_the_other_direction_mirrors_the_shared_paths(example_repo: Path, run: Run) -> None:
    result = run("diff", "prod", "dev", env={"LOGIN_HOOK_KEY": HOOK_KEY})
    assert result.code == 0, result.err
    assert '  ~ /selfservice/methods/totp/config/issuer: "Acme (dev)" -> "Acme"' in result.out
    assert "  + /selfservice/methods/webauthn: " in result.out
    assert "  + /selfservice/flows/login/after: " in result.out
    assert "Plan: 2 to add, 1 to change, 0 to reset." in result.out
    assert '"value": "(sensitive)"' in result.out
    assert HOOK_KEY not in result.out + result.err
    assert "Set in dev only" not in result.out


def test_secrets_need_not_be_set_to_compare(example_repo: Path, run: Run) -> None:
    result = run("diff", "prod", "local")  # both use ${LOGIN_HOOK_KEY}; it is not set here
    assert result.code == 0, result.err
    # The hooks differ only by URL; the secret compares by presence, so only the URL shows
    # (issue 12: a list change reads field by field).
    hook = "/selfservice/flows/login/after/hooks[web_hook https://hooks.acme.test/login]"
    assert (
        f'~ {hook}.config.url: "http://127.0.0.1:4455/hooks/login" -> "https://hooks.acme.test/login"'
    ) in result.out
    assert "auth.config.value" not in result.out


def test_ignore_hides_expected_per_environment_differences(example_repo: Path, run: Run) -> None:
    result = run("diff", "dev", "prod", "--ignore", "/selfservice/methods/totp/config/issuer")
    assert result.code == 0, result.err
    assert "No changes." in result.out
    hidden = run(
        "diff",
        "prod",
        "local",
        "--ignore",
        "/selfservice/flows",
        "--ignore",
        "/selfservice/methods",
    )
    assert "No changes." in hidden.out
    assert "/selfservice/flows" not in hidden.out


def test_ignore_must_be_a_pointer(example_repo: Path, run: Run) -> None:
    result = run("diff", "dev", "prod", "--ignore", "selfservice")
    assert result.code == 64
    assert "is not a JSON pointer" in result.err


def test_removals_show_as_resets(example_repo: Path, run: Run) -> None:
    result = run("diff", "local", "dev", env={"LOGIN_HOOK_KEY": HOOK_KEY})
    # local resets link's base_url; dev does not declare it, so there is nothing to reset.
    assert "(reset)" not in result.out
    (example_repo / "environments" / "dev.yaml").write_text(
        (example_repo / "environments" / "dev.yaml").read_text()
        + "      link:\n        config:\n          base_url: https://dev.acme.test\n"
    )
    result = run("diff", "local", "dev", env={"LOGIN_HOOK_KEY": HOOK_KEY})
    assert "  - /selfservice/methods/link/config/base_url: " in result.out
    assert "(reset)" in result.out


def test_live_compares_what_the_projects_hold(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.add_project(project_id=PROD_PROJECT)
    env = ory_server.cli_env() | {"LOGIN_HOOK_KEY": HOOK_KEY}
    assert run("apply", "dev", "--yes", env=env).code == 0
    assert run("apply", "prod", "--yes", env=env).code == 0
    ory_server.console_edit(
        lambda c: c["session"]["whoami"].update(required_aal="aal1"), PROD_PROJECT
    )
    result = run("diff", "dev", "prod", "--live", env=env)
    assert result.code == 0, result.err
    assert result.out.startswith("Promoting dev to prod (live configs):\nLive revisions: ")
    assert '  ~ /session/whoami/required_aal: "aal1" -> "highest_available"' in result.out
    assert '  ~ /selfservice/methods/totp/config/issuer: "Acme" -> "Acme (dev)"' in result.out
    assert "/serve" not in result.out and "/cookies" not in result.out
    assert HOOK_KEY not in result.out + result.err

    quiet = run(
        "diff",
        "dev",
        "prod",
        "--live",
        "--ignore",
        "/selfservice",
        "--ignore",
        "/session",
        env=env,
    )
    assert "No changes." in quiet.out
