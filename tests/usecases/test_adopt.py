"""``reconciler adopt ENV [--write]`` (and its older spelling ``export ENV --into [--write]``):
adopt console changes where they were declared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import Run
from ory_server import OryTestServer

HOOK_KEY = "hook-key-for-tests"
PROD_PROJECT = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
# The arguments that ask for ENV's drift, in both spellings.
Spelling = Callable[[str], tuple[str, ...]]
SPELLINGS = pytest.mark.parametrize(
    "adopt",
    [lambda env: ("adopt", env), lambda env: ("export", env, "--into")],
    ids=["adopt", "export-into"],
)


def _env(server: OryTestServer) -> dict[str, str]:
    return {
        **server.cli_env(),
        "LOGIN_HOOK_KEY": HOOK_KEY,
    }


def _console_changes(config: dict[str, Any]) -> None:
    config["selfservice"]["methods"]["totp"]["config"]["issuer"] = "Acme Console"  # dev.yaml
    config["selfservice"]["flows"]["login"]["lifespan"] = "2h"  # base.yaml


def _drifted(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> tuple[dict[str, str], Path, Path]:
    """dev applied, then changed in the console (a dev.yaml value and a base.yaml one): the
    variables, base.yaml and dev.yaml."""
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env).code == 0
    ory_server.console_edit(_console_changes)
    folder = example_repo / "environments"
    return env, folder / "base.yaml", folder / "dev.yaml"


@SPELLINGS
def test_drift_is_shown_with_where_it_was_declared_and_nothing_is_written(
    example_repo: Path, run: Run, ory_server: OryTestServer, adopt: Spelling
) -> None:
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env).code == 0
    ory_server.console_edit(_console_changes)
    before = {p: p.read_text() for p in (example_repo / "environments").iterdir()}
    writes = len(ory_server.writes())

    result = run(*adopt("dev"), env=env)
    assert result.code == 0, result.err
    assert (
        '  < /selfservice/flows/login/lifespan: "30m" (environments/base.yaml:23) -> "2h" (live)'
        in result.out.replace(str(example_repo) + "/", "")
    )
    assert (
        '  < /selfservice/methods/totp/config/issuer: "Acme (dev)" (environments/dev.yaml:11)'
        ' -> "Acme Console" (live)' in result.out.replace(str(example_repo) + "/", "")
    )
    assert "2 to adopt, 0 not adoptable." in result.out
    assert before == {p: p.read_text() for p in (example_repo / "environments").iterdir()}
    assert len(ory_server.writes()) == writes  # reading live only


@SPELLINGS
def test_write_puts_each_value_in_the_environments_own_file_keeping_comments(
    example_repo: Path, run: Run, ory_server: OryTestServer, adopt: Spelling
) -> None:
    env, base, dev = _drifted(example_repo, run, ory_server)
    base_before, dev_before = base.read_text(), dev.read_text()

    result = run(*adopt("dev"), "--write", env=env)
    assert result.code == 0, result.err
    out = result.out.replace(str(example_repo) + "/", "")
    assert (
        "      goes into environments/dev.yaml, overriding the shared layer "
        "environments/base.yaml for dev only (--into-layer: into environments/base.yaml, for "
        "every environment that extends it)\n" in out
    )

    # The shared layer is left alone: a dev-only console change must not change prod.
    assert base.read_text() == base_before
    written = dev_before.replace("issuer: Acme (dev)", "issuer: Acme Console")
    assert dev.read_text() == written + "    flows:\n      login:\n        lifespan: 2h\n"
    modeline = "# yaml-language-server: $schema=../schemas/environment.schema.json\n"
    assert dev.read_text().startswith(modeline + "extends: base.yaml  # the development project")
    planned = run("plan", "dev", "--detailed-exitcode", env=env)
    assert planned.code == 0, planned.out + planned.err
    rendered = run("render", "prod", env=env)
    assert "lifespan: 30m" in rendered.out


def test_into_layer_writes_the_shared_layer_and_names_what_else_it_changes(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    env, base, dev = _drifted(example_repo, run, ory_server)
    base_before, dev_before = base.read_text(), dev.read_text()

    shown = run("adopt", "dev", "--into-layer", env=env)  # says it first, writes nothing
    assert shown.code == 0, shown.err
    out = shown.out.replace(str(example_repo) + "/", "")
    assert (
        "      goes into the shared layer environments/base.yaml: it changes local, prod too\n"
        in out
    )
    assert base.read_text() == base_before

    result = run("adopt", "dev", "--write", "--into-layer", env=env)
    assert result.code == 0, result.err
    assert base.read_text() == base_before.replace("lifespan: 30m", "lifespan: 2h")
    assert dev.read_text() == dev_before.replace("issuer: Acme (dev)", "issuer: Acme Console")
    assert run("plan", "dev", "--detailed-exitcode", env=env).code == 0
    # prod extends the same base: it now declares the adopted lifespan too.
    assert "lifespan: 2h" in run("render", "prod", env=env).out


@SPELLINGS
def test_secrets_and_file_references_are_never_written_back(
    example_repo: Path, run: Run, ory_server: OryTestServer, adopt: Spelling
) -> None:
    ory_server.add_project(project_id=PROD_PROJECT)
    env = _env(ory_server)
    assert run("apply", "prod", "--yes", env=env).code == 0

    def console(config: dict[str, Any]) -> None:
        hook = config["selfservice"]["flows"]["login"]["after"]["hooks"][0]["config"]
        hook["url"] = "https://hooks.acme.test/v2/login"
        hook["auth"]["config"]["value"] = "console-key"
        config["selfservice"]["methods"]["webauthn"]["config"]["rp"]["display_name"] = "ACME"

    ory_server.console_edit(console, PROD_PROJECT)
    prod = example_repo / "environments" / "prod.yaml"
    before = prod.read_text()

    result = run(*adopt("prod"), "--write", env=env)
    assert result.code == 0, result.err
    assert (
        "  = /selfservice/flows/login/after/hooks: not adopted: a secret or ${VAR} value; "
        "never written back" in result.out
    )
    assert "1 to adopt, 1 not adoptable." in result.out
    assert "console-key" not in result.out + result.err + prod.read_text()
    assert HOOK_KEY not in result.out + result.err
    assert prod.read_text() == before.replace("display_name: Acme", "display_name: ACME")


def test_write_needs_into(example_repo: Path, run: Run) -> None:
    result = run("export", "dev", "--write")
    assert result.code == 64
    assert "--write only goes with --into" in result.err


@SPELLINGS
def test_an_invalid_environment_is_refused_before_any_request(
    example_repo: Path, run: Run, ory_server: OryTestServer, adopt: Spelling
) -> None:
    dev = example_repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("issuer: Acme (dev)", "issuer: [Acme, dev]"))
    before = dev.read_text()

    result = run(*adopt("dev"), "--write", env=_env(ory_server))
    assert result.code == 1
    assert "environments/dev.yaml:11:" in result.err and "issuer" in result.err
    assert "Traceback" not in result.err
    assert ory_server.requests == []
    assert dev.read_text() == before


def test_a_list_of_a_shared_layer_is_overridden_whole_in_the_environments_file(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    base = example_repo / "environments" / "base.yaml"
    base.write_text(
        base.read_text().replace(
            "      login:\n        lifespan: 30m\n",
            "      login:\n        lifespan: 30m\n"
            "      registration:\n        after:\n          hooks:\n"
            "            - hook: web_hook\n              config:\n"
            "                url: https://hooks.acme.test/registered\n"
            "                method: POST\n",
        )
    )
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env).code == 0

    def console(config: dict[str, Any]) -> None:
        hook = config["selfservice"]["flows"]["registration"]["after"]["hooks"][0]
        hook["config"]["method"] = "PUT"

    ory_server.console_edit(console)
    base_before = base.read_text()

    result = run("adopt", "dev", "--write", env=env)
    assert result.code == 0, result.err
    assert "goes into environments/dev.yaml, overriding the shared layer" in result.out.replace(
        str(example_repo) + "/", ""
    )
    assert base.read_text() == base_before
    assert run("plan", "dev", "--detailed-exitcode", env=env).code == 0
    dev_hooks = run("render", "dev", env=env).out.split("registration:", 1)[1]
    assert "method: PUT" in dev_hooks.split("login:", 1)[0]
    prod_hooks = run("render", "prod", env=env).out.split("registration:", 1)[1]
    assert "method: POST" in prod_hooks.split("login:", 1)[0]
