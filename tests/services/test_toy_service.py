"""A config service is one declaration plus its data (issue 23, item 2).

The toy service is defined only here: its declaration below (as a module of
``reconciler/services`` declares one) and its official schema, ``toy.schema.json`` beside this
file (both hand-written: a service Ory does not have). Registered the way the identity config
is (``registry.register``), it is validated, planned beside the identity config in one plan,
and applied with it in one PATCH against the local Ory project API (``tests/ory_server.py``,
``add_service``); a typo in it is caught at file:line:col by its own schema, turning its lock
off is a weakening apply refuses, and its write-only ``token`` is never compared but sent on
request, like the SMTP URI. A second toy sits at the project document's root (as issue 24's
project settings will).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.secrets import SecretPaths
from reconciler.services import registry
from reconciler.services.declaration import Judging, Security, Service
from reconciler.services.impact import exactly, more_is_weaker, turning_off

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]

# --- the toy service's declaration: all a new service takes --------------------------------

TOY = Service(
    name="toy",
    key="toy_config",
    place="/services/toy/config",
    title="Toy config",
    judging={
        "ory_network": Judging(
            subject="toy config schema",
            drops_unknown="the toy service ignores it",
            schema=Path(__file__).resolve().parent / "toy.schema.json",
        )
    },
    # A write-only key: Ory treats it as a secret and leaves it out of every read.
    secrets=SecretPaths(secret=(r"^/token$",)),
    security=Security(
        leaves=(
            (exactly("/lock/enabled"), turning_off("weakens", "toy lock")),
            (exactly("/lock/attempts"), more_is_weaker("toy lock attempts")),
        )
    ),
)

# -------------------------------------------------------------------------------------------

LIVE_TOY = {"greeting": "hello", "lock": {"enabled": True, "attempts": 5}, "token": "t0-old"}
TOKEN = "toy-token-4f9e2a"


def _registered(service: Service) -> Iterator[Service]:
    """``service`` registered the way the services of the package are, for one test."""
    registry.register(service)
    try:
        yield service
    finally:
        registry.unregister(service.name)


@pytest.fixture
def toy() -> Iterator[Service]:
    yield from _registered(TOY)


@pytest.fixture
def server(ory_server: OryTestServer, toy: Service) -> OryTestServer:
    ory_server.add_service("toy", LIVE_TOY, withheld=(("token",),))
    return ory_server


def _env(server: OryTestServer) -> dict[str, str]:
    return {
        **server.cli_env(),
        "TOY_TOKEN": TOKEN,
    }


def _dev(write: Write, server: OryTestServer, toy: str, identity: str = "") -> None:
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n{identity}{toy}",
    )


GREETING_AND_LOCK = """\
toy_config:
  greeting: hi there
  lock:
    attempts: 3
"""
TOTP_ISSUER = """\
identity_config:
  selfservice:
    methods:
      totp: {enabled: true, config: {issuer: Acme}}
"""


def test_the_environment_file_gets_the_key_and_the_editor_schema_has_it(toy: Service) -> None:
    from reconciler.loading.editor_schema import environment_schema

    properties = environment_schema()["properties"]
    assert isinstance(properties, dict)
    assert "toy_config" in properties and "identity_config" in properties


def test_a_typo_is_caught_by_its_own_schema_at_file_line_and_column(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _dev(write, server, "toy_config:\n  lock:\n    enabeld: false\n")
    result = run("validate", "dev")
    assert result.code == 1
    assert (
        "environments/dev.yaml:4:5: toy_config.lock.enabeld: `enabeld` at /lock "
        "is unknown to the toy config schema; did you mean `enabled`?"
    ) in result.err
    assert not server.requests  # validate never asks the server


def test_a_wrong_type_is_caught_before_anything_is_sent(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _dev(write, server, "toy_config:\n  lock:\n    attempts: many\n")
    result = run("plan", "dev", env=_env(server))
    assert result.code == 1
    assert (
        "environments/dev.yaml:4:5: toy_config.lock.attempts: /lock/attempts must be of type "
        'integer, but is string "many"'
    ) in result.err
    assert not server.requests


def test_planned_beside_the_identity_config_and_applied_in_one_patch(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _dev(write, server, GREETING_AND_LOCK, TOTP_ISSUER)
    planned = run("plan", "dev", env=_env(server))
    assert planned.code == 0, planned.err
    # Two services change: each heads its own changes, the identity config's first.
    identity, toy = planned.out.split("  Toy config (toy_config):\n")
    assert "  Identity config (identity_config):\n" in identity
    assert "/selfservice/methods/totp/config/issuer" in identity
    assert toy.startswith('  ~ /greeting: "hello" -> "hi there"\n  ~ /lock/attempts: 5 -> 3\n\n')
    assert "Plan: 0 to add, 4 to change, 0 to reset." in planned.out

    revision = server.revision()
    server.clear_requests()
    applied = run("apply", "dev", "--yes", env=_env(server))
    assert applied.code == 0, applied.err
    [patch] = server.writes()
    assert patch.path == f"/projects/{server.project_id}/revision/{revision}"
    paths = [op["path"] for op in patch.json_body]
    assert paths[-2:] == ["/services/toy/config/greeting", "/services/toy/config/lock/attempts"]
    assert all(p.startswith("/services/identity/config/selfservice/") for p in paths[:-2])
    stored = server.stored_service_config("toy")
    assert stored == {
        "greeting": "hi there",
        "lock": {"enabled": True, "attempts": 3},
        "token": "t0-old",
    }
    again = run("plan", "dev", "--detailed-exitcode", env=_env(server))
    assert again.code == 0, again.out + again.err
    assert "No changes." in again.out


def test_its_security_rule_makes_apply_refuse_a_weakening(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _dev(write, server, "toy_config:\n  lock: {enabled: false}\n")
    planned = run("plan", "dev", env=_env(server))
    assert "~ /lock/enabled: true -> false\n      ! weakens security: toy lock turned off" in (
        planned.out
    )
    server.clear_requests()
    refused = run("apply", "dev", "--yes", env=_env(server))
    assert refused.code == 1
    assert "/lock/enabled (toy lock turned off)" in refused.err
    assert not server.writes()


def test_its_write_only_key_is_not_compared_but_sent_on_request(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _dev(write, server, "toy_config:\n  token: ${TOY_TOKEN}\n")
    planned = run("plan", "dev", "-v", env=_env(server))
    assert planned.code == 0, planned.err
    assert "= /token: (sensitive), not compared, not sent" in planned.out
    assert "No changes." in planned.out
    rotated = run("apply", "dev", "--yes", "--rotate-secrets", env=_env(server))
    assert rotated.code == 0, rotated.err
    assert TOKEN not in rotated.out + rotated.err
    assert server.stored_service_config("toy")["token"] == TOKEN
    assert "token" not in server.project_document()["services"]["toy"]["config"]


def test_a_saved_plan_names_each_change_s_service_and_applies_as_reviewed(
    write: Write, run: Run, server: OryTestServer, tmp_path: Path
) -> None:
    _dev(write, server, GREETING_AND_LOCK, TOTP_ISSUER)
    saved = tmp_path / "plan.json"
    assert run("plan", "dev", "--out", str(saved), env=_env(server)).code == 0
    document = json.loads(saved.read_text())
    services = [change["service"] for change in document["changes"]]
    assert services == ["identity", "identity", "toy", "toy"]
    assert [c["pointer"] for c in document["changes"][2:]] == ["/greeting", "/lock/attempts"]
    assert [op["path"] for op in document["operations"][2:]] == ["/greeting", "/lock/attempts"]
    server.clear_requests()
    applied = run("apply", "--plan", str(saved), env=_env(server))
    assert applied.code == 0, applied.err
    assert len(server.writes()) == 1


def test_a_kratos_file_target_refuses_it_where_it_is_written(
    write: Write, run: Run, toy: Service
) -> None:
    write("deploy/kratos.yml", "version: v1.3.0\n")
    write(
        "environments/local.yaml",
        "target:\n  kratos_file: {path: ../deploy/kratos.yml}\ntoy_config:\n  greeting: hi\n",
    )
    result = run("validate", "local")
    assert result.code == 1
    assert (
        "environments/local.yaml:3:1: toy_config: a kratos_file target holds only the identity "
        "config; set it in an environment whose target holds the toy config"
    ) in result.err


# --- a service at the document's root, beside ``services`` (issue 24's project settings) ---

SETTINGS = Service(
    name="toy_settings",
    key="toy_settings",
    place="",  # the project document's root, shared with `services`, `id`, `slug`...
    title="Toy project settings",
    judging={
        "ory_network": Judging(
            subject="toy project settings schema",
            drops_unknown="the project ignores it",
            schema=Path(__file__).resolve().parent / "toy-settings.schema.json",
        )
    },
    fields=("name", "cors_public"),  # of the root's keys, these are the service's
)


@pytest.fixture
def settings_service() -> Iterator[Service]:
    yield from _registered(SETTINGS)


def test_a_service_at_the_document_root_patches_its_own_fields_only(
    write: Write, run: Run, ory_server: OryTestServer, settings_service: Service
) -> None:
    _dev(
        write,
        ory_server,
        "toy_settings:\n  name: Acme\n  cors_public: {enabled: true, origins: [https://acme.test]}\n",
    )
    planned = run("plan", "dev", env=_env(ory_server))
    assert planned.code == 0, planned.err
    assert '~ /name: "ory-cy-e2e-' in planned.out and '-> "Acme"' in planned.out
    assert "~ /cors_public/enabled: false -> true" in planned.out
    ory_server.clear_requests()
    assert run("apply", "dev", "--yes", env=_env(ory_server)).code == 0
    [patch] = ory_server.writes()
    assert sorted(op["path"] for op in patch.json_body) == [
        "/cors_public/enabled",
        "/cors_public/origins",
        "/name",
    ]
    document = ory_server.project_document()
    assert document["name"] == "Acme"
    assert document["cors_public"] == {"enabled": True, "origins": ["https://acme.test"]}
    assert run("plan", "dev", "--detailed-exitcode", env=_env(ory_server)).code == 0


def test_a_file_reference_in_any_service_is_sent_inline_as_base64(
    write: Write, run: Run, server: OryTestServer
) -> None:
    # As an Ory Permission Language file is uploaded (`namespaces.location: base64://...`).
    write("greetings/hello.txt", "Hello from a file\n")
    _dev(write, server, "toy_config:\n  greeting: file://../greetings/hello.txt\n")
    assert run("apply", "dev", "--yes", env=_env(server)).code == 0
    [patch] = server.writes()
    [operation] = patch.json_body
    assert operation["path"] == "/services/toy/config/greeting"
    assert operation["value"] == "base64://SGVsbG8gZnJvbSBhIGZpbGUK"
    assert run("plan", "dev", "--detailed-exitcode", env=_env(server)).code == 0


def test_diff_between_environments_compares_each_service(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _dev(write, server, "toy_config: {greeting: hi there}\n", TOTP_ISSUER)
    write(
        "environments/prod.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n"
        "toy_config: {greeting: hello, lock: {enabled: true}}\n",
    )
    result = run("diff", "dev", "prod")
    assert result.code == 0, result.err
    assert '  Toy config (toy_config):\n  ~ /greeting: "hello" -> "hi there"\n' in result.out
    assert "  Identity config (identity_config):\n  + /selfservice" in result.out
    assert '  toy_config/lock: {"enabled": true}\n' in result.out  # set in prod only


def test_adopt_writes_a_live_value_back_under_its_service_s_key(
    write: Write, run: Run, server: OryTestServer, tmp_path: Path
) -> None:
    _dev(write, server, "toy_config:\n  greeting: hi there  # ours\n")
    result = run("adopt", "dev", "--write", env=_env(server))
    assert result.code == 0, result.err
    assert '< /greeting: "hi there" (' in result.out
    assert 'environments/dev.yaml:3) -> "hello" (live)' in result.out
    written = (tmp_path / "environments" / "dev.yaml").read_text()
    assert "toy_config:\n  greeting: hello     # ours\n" in written  # comment kept
