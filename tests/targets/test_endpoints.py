"""The workspace key goes only to the configured Ory API, and no content of the repository
makes the tool send a variable, or any request, elsewhere (issue 21, item 2;
docs/security.md §2).

A second test server on 127.0.0.1 plays the attacker: every test asserts it received nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import blobs
from reconciler.targets import endpoints

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
TOKEN = "ghp_attackerwantsthis0123456789"
SCHEMA = {
    "type": "object",
    "properties": {"traits": {"type": "object", "properties": {"email": {"type": "string"}}}},
}


@pytest.fixture
def attacker() -> Iterator[OryTestServer]:
    with OryTestServer(local_storage=True) as running:
        yield running


def _network(project: str, api_url: str | None = None) -> str:
    line = f"\n    api_url: {api_url}" if api_url else ""
    return (
        f"target:\n  ory_network:\n    project: {project}{line}\n"
        "identity_config:\n  selfservice:\n    methods:\n      totp: {enabled: true}\n"
    )


def _key_only(server: OryTestServer, **extra: str) -> dict[str, str]:
    """As in CI by default: the key is set, the API URL is not (the default applies)."""
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, **extra}


@pytest.mark.parametrize(
    "command",
    [("plan", "dev"), ("apply", "dev", "--yes"), ("adopt", "dev"), ("export", "dev", "--out", "-")],
)
def test_an_api_url_in_a_file_cannot_send_the_key_elsewhere(
    write: Write,
    run: Run,
    ory_server: OryTestServer,
    attacker: OryTestServer,
    command: tuple[str, ...],
) -> None:
    write("environments/dev.yaml", _network(ory_server.project_id, attacker.base_url))
    result = run(*command, env=_key_only(ory_server))
    assert result.code == 1
    assert "environments/dev.yaml:4:5: target.ory_network.api_url:" in result.err
    assert "RECONCILER_ALLOWED_API_HOSTS" in result.err
    assert "Traceback" not in result.err
    assert attacker.requests == []


def test_the_refusal_holds_where_the_api_url_variable_is_set_too(
    write: Write, run: Run, ory_server: OryTestServer, attacker: OryTestServer
) -> None:
    """The same file fails everywhere, not only where ORY_CONSOLE_API_URL happens to be
    unset."""
    write("environments/dev.yaml", _network(ory_server.project_id, attacker.base_url))
    env = _key_only(ory_server, ORY_CONSOLE_API_URL=ory_server.base_url)
    result = run("plan", "dev", env=env)
    assert result.code == 1
    assert "would send the workspace key to 127.0.0.1" in result.err
    assert attacker.requests == [] and ory_server.requests == []


def test_a_host_allowed_outside_the_repository_is_obeyed(
    write: Write, run: Run, ory_server: OryTestServer, attacker: OryTestServer
) -> None:
    local = ory_server.base_url.replace("127.0.0.1", "localhost")
    write("environments/dev.yaml", _network(ory_server.project_id, local))
    env = _key_only(ory_server, RECONCILER_ALLOWED_API_HOSTS="api.staging.test, localhost")
    result = run("plan", "dev", env=env)
    assert result.code == 0, result.err
    assert f"at {local}" in result.out
    assert [r.method for r in ory_server.requests] == ["GET"]
    assert attacker.requests == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_url", "http://127.0.0.1:{port}/${{GITHUB_TOKEN}}"),
        ("api_url", "https://api.console.ory.com/${{GITHUB_TOKEN}}"),
        ("project", "${{PROJECT_ID}}"),
    ],
)
def test_no_variable_in_a_target_field(
    write: Write,
    run: Run,
    ory_server: OryTestServer,
    attacker: OryTestServer,
    field: str,
    value: str,
) -> None:
    port = attacker.base_url.rsplit(":", 1)[1]
    written = value.format(port=port)
    project = written if field == "project" else ory_server.project_id
    api_url = written if field == "api_url" else None
    write("environments/dev.yaml", _network(project, api_url))
    env = _key_only(
        ory_server,
        GITHUB_TOKEN=TOKEN,
        PROJECT_ID=ory_server.project_id,
        RECONCILER_ALLOWED_API_HOSTS="127.0.0.1",  # even an allowed host gets no variable
    )
    line = 4 if field == "api_url" else 3
    for command in (("plan", "dev"), ("validate", "dev")):
        result = run(*command, env=env)
        assert result.code == 1
        assert f"environments/dev.yaml:{line}:" in result.err
        assert "is not allowed in target fields" in result.err
        assert TOKEN not in result.out + result.err
    assert attacker.requests == [] and ory_server.requests == []


def test_no_variable_in_a_kratos_file_path(write: Write, run: Run) -> None:
    write(
        "environments/local.yaml",
        "target: {kratos_file: {path: '${KRATOS_DIR}/kratos.yml'}}\n"
        "identity_config: {selfservice: {methods: {totp: {enabled: true}}}}\n",
    )
    write("kratos/kratos.yml", "dsn: memory\n")
    result = run("plan", "local", env={"KRATOS_DIR": "../kratos"})
    assert result.code == 1
    assert "environments/local.yaml:1:" in result.err
    assert "${KRATOS_DIR} is not allowed in target fields" in result.err


@pytest.mark.parametrize(
    "api_url",
    [
        "http://api.console.ory.com",  # the key in clear
        "http://attacker.test:8080/",
    ],
)
def test_a_file_api_url_is_https_loopback_excepted(
    write: Write, run: Run, ory_server: OryTestServer, api_url: str
) -> None:
    write("environments/dev.yaml", _network(ory_server.project_id, api_url))
    result = run("validate", "dev")
    assert result.code == 1
    assert "environments/dev.yaml:4:5: target.ory_network.api_url: must be an https:// URL" in (
        result.err
    )


def test_a_url_two_parsers_read_differently_is_refused(
    write: Write, run: Run, ory_server: OryTestServer, attacker: OryTestServer
) -> None:
    """``user@host``: one parser's host is the other's user name."""
    sneaky = f"https://api.console.ory.com@{attacker.base_url.removeprefix('http://')}/"
    write("environments/dev.yaml", _network(ory_server.project_id, sneaky))
    env = _key_only(ory_server, RECONCILER_ALLOWED_API_HOSTS="api.console.ory.com")
    result = run("plan", "dev", env=env)
    assert result.code == 1
    assert "environments/dev.yaml:4:5" in result.err
    assert "plain host name" in result.err
    assert attacker.requests == []


@pytest.mark.parametrize(
    "configured",
    ["http://api.example.test", "api.console.ory.com", "https://user:pw@api.console.ory.com"],
)
def test_an_unsafe_api_url_variable_is_a_clear_error(
    write: Write, run: Run, ory_server: OryTestServer, configured: str
) -> None:
    write("environments/dev.yaml", _network(ory_server.project_id))
    env = _key_only(ory_server, ORY_CONSOLE_API_URL=configured)
    result = run("plan", "dev", env=env)
    assert result.code == 1
    assert result.err.startswith("dev: error: ORY_CONSOLE_API_URL must be an https:// URL")
    assert "Traceback" not in result.err and "Unexpected" not in result.err


def test_the_key_does_not_follow_a_redirect(
    write: Write, run: Run, ory_server: OryTestServer, attacker: OryTestServer
) -> None:
    write("environments/dev.yaml", _network(ory_server.project_id))
    location = f"{attacker.base_url}/projects/{ory_server.project_id}"
    ory_server.fail_next(302, headers={"Location": location}, times=4)
    result = run("plan", "dev", env=_key_only(ory_server, ORY_CONSOLE_API_URL=ory_server.base_url))
    assert result.code == 1
    assert attacker.requests == []


def test_plain_http_to_loopback_is_accepted(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write("environments/dev.yaml", _network(ory_server.project_id))
    env = _key_only(ory_server, ORY_CONSOLE_API_URL=ory_server.base_url)
    assert run("plan", "dev", env=env).code == 0


# --- content-addressed storage: fetched only from Ory ------------------------------------


def _stored_at(server: OryTestServer, base: str, content: bytes) -> str:
    name = f"{blobs.sha512_hex(content)}.json"
    server.storage[name] = content
    return f"{base}/{name}"


def _wants_a_new_schema(target: str) -> str:
    """An environment whose custom schema matches nothing live: the plan looks at the content
    of the live schemas to explain the difference."""
    return (
        f"target: {target}\n"
        "identity_config:\n  identity:\n    default_schema_id: customer\n    schemas:\n"
        f"      - id: customer\n        schema: {json.dumps(SCHEMA)}\n"
    )


def test_a_kratos_file_cannot_make_the_plan_fetch_from_another_host(
    write: Write, run: Run, attacker: OryTestServer
) -> None:
    live = json.dumps({"type": "object", "title": "old"}).encode()
    url = _stored_at(attacker, attacker.storage_base, live)
    write(
        "kratos/kratos.yml",
        f"dsn: memory\nidentity:\n  default_schema_id: old\n  schemas:\n"
        f"    - {{id: old, url: '{url}'}}\n",
    )
    write(
        "environments/local.yaml",
        _wants_a_new_schema("{kratos_file: {path: ../kratos/kratos.yml}}"),
    )
    result = run("plan", "local")
    assert result.code == 0, result.err
    assert attacker.requests == []


def test_a_live_url_holding_a_variable_is_never_fetched(
    write: Write, run: Run, attacker: OryTestServer
) -> None:
    """A value once applied from ``${GITHUB_TOKEN}`` (say) sits in live config: the plan
    does not carry it to any host, the API's own storage included."""
    with OryTestServer(local_storage=True) as server:
        outside = _stored_at(attacker, f"{attacker.storage_base}/{TOKEN}", b"{}")
        own = _stored_at(server, f"{server.storage_base}/{TOKEN}", b'{"type": "object"}')

        def add(config: dict[str, Any]) -> None:
            config["identity"]["schemas"] += [{"id": "a", "url": outside}, {"id": "b", "url": own}]

        server.console_edit(add, normalise=False)
        text = _wants_a_new_schema(f"{{ory_network: {{project: {server.project_id}}}}}")
        text += "  courier: {smtp: {from_name: '${GITHUB_TOKEN}'}}\n"
        write("environments/dev.yaml", text)
        env = _key_only(server, ORY_CONSOLE_API_URL=server.base_url, GITHUB_TOKEN=TOKEN)
        result = run("plan", "dev", env=env)
        assert result.code == 0, result.err
        assert not [r for r in server.requests if TOKEN in r.path]
    assert attacker.requests == []


def test_the_plan_still_reads_what_ory_stores(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    """The rule keeps what it is for: content on the configured API's own storage is read."""
    with OryTestServer(local_storage=True) as server:
        live = json.dumps({"type": "object", "title": "old"}).encode()
        url = _stored_at(server, server.storage_base, live)

        def add(config: dict[str, Any]) -> None:
            config["identity"]["schemas"].append({"id": "old", "url": url})

        server.console_edit(add, normalise=False)
        write(
            "environments/dev.yaml",
            _wants_a_new_schema(f"{{ory_network: {{project: {server.project_id}}}}}"),
        )
        env = _key_only(server, ORY_CONSOLE_API_URL=server.base_url)
        assert run("plan", "dev", env=env).code == 0
        assert [r.path for r in server.requests if r.path.startswith("/storage/")]


def test_references_inside_an_identity_schema_are_never_fetched(
    write: Write, run: Run, attacker: OryTestServer
) -> None:
    """``$ref`` and ``$schema`` in a repository's schema name URLs; no check follows them."""
    schema = {
        "$schema": f"{attacker.base_url}/meta.json",
        "type": "object",
        "properties": {"traits": {"$ref": f"{attacker.base_url}/traits.json"}},
    }
    write("schemas/customer.json", json.dumps(schema))
    write("kratos/kratos.yml", "dsn: memory\n")
    write(
        "environments/local.yaml",
        "target: {kratos_file: {path: ../kratos/kratos.yml}}\n"
        "identity_config:\n  identity:\n    default_schema_id: customer\n    schemas:\n"
        "      - {id: customer, url: 'file://../schemas/customer.json'}\n",
    )
    for command in ("validate", "plan"):
        run(command, "local")
    assert attacker.requests == []


# --- the rule itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://api.console.ory.com", ("https", "api.console.ory.com", 443)),
        ("https://API.Console.Ory.com:8443/v1", ("https", "api.console.ory.com", 8443)),
        ("http://[::1]:4000", ("http", "::1", 4000)),
        ("https://api.console.ory.com@attacker.test", None),
        ("https://attacker.test\\@api.console.ory.com", None),
        ("https://api.console.ory.com?x=1", None),
        ("https://api.console.ory.com /", None),
        ("ftp://api.console.ory.com", None),
    ],
)
def test_origin_of_reads_only_plain_urls(url: str, origin: tuple[str, str, int] | None) -> None:
    assert endpoints.origin_of(url) == origin


def test_allowed_hosts_are_separated_by_commas_or_spaces() -> None:
    environ = {"RECONCILER_ALLOWED_API_HOSTS": " Api.Staging.test,localhost  [::1]\n"}
    assert endpoints.allowed_hosts(environ) == {"api.staging.test", "localhost", "::1"}
    assert endpoints.allowed_hosts({}) == frozenset()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://storage.googleapis.com/bac-gcs-production/" + "a" * 128 + ".json", True),
        ("https://storage.googleapis.com/someone-else/" + "a" * 128 + ".json", False),
        ("http://storage.googleapis.com/bac-gcs-production/" + "a" * 128 + ".json", False),
        ("https://api.console.ory.com/storage/" + "a" * 128 + ".json", True),
        ("https://attacker.test/" + "a" * 128 + ".json", False),
    ],
)
def test_may_fetch_only_from_ory(url: str, allowed: bool) -> None:
    assert endpoints.may_fetch(url, {}) is allowed
