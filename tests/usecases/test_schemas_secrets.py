"""Issue 5: identity schemas in every form, their immutability, and write-only secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import blobs
from reconciler.jsontypes import canonical_bytes

from conftest import REPO_ROOT, Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
CUSTOMER = json.loads((REPO_ROOT / "schemas" / "customer-v1.schema.json").read_text())


@pytest.fixture
def server() -> Iterator[OryTestServer]:
    """A test server whose storage URLs it serves itself, so schemas can be fetched."""
    with OryTestServer(local_storage=True) as running:
        yield running


def _env(server: OryTestServer, **extra: str) -> dict[str, str]:
    return server.cli_env() | extra


def _environment(server: OryTestServer, body: str) -> str:
    return f"target: {{ory_network: {{project: {server.project_id}}}}}\nidentity_config:\n{body}"


def _yaml_schema() -> str:
    from reconciler.loading.yamlio import dump_plain

    return dump_plain(CUSTOMER)


_INLINE_SCHEMA = "".join(f"          {line}\n" for line in _yaml_schema().splitlines())
_INDENTED_BASE64 = blobs.encode(json.dumps(CUSTOMER, indent=4).encode())
SCHEMA_FORMS = {
    "preset": (
        "",
        "  identity:\n    default_schema_id: preset://username\n    schemas:\n      - id: preset://username\n",
    ),
    "file-json": (
        "json",
        "  identity:\n    default_schema_id: customer\n    schemas:\n"
        "      - {id: customer, url: 'file://../schemas/customer.json'}\n",
    ),
    "file-yaml": (
        "yaml",
        "  identity:\n    default_schema_id: customer\n    schemas:\n"
        "      - {id: customer, url: 'file://../schemas/customer.yaml'}\n",
    ),
    "inline": (
        "",
        "  identity:\n    default_schema_id: customer\n    schemas:\n"
        "      - id: customer\n        schema:\n"
        + "".join(f"          {line}\n" for line in _yaml_schema().splitlines()),
    ),
    "base64": (
        "",
        "  identity:\n    default_schema_id: customer\n    schemas:\n"
        f"      - {{id: customer, url: '{_INDENTED_BASE64}'}}\n",
    ),
}


@pytest.mark.parametrize("form", sorted(SCHEMA_FORMS))
def test_every_schema_form_converges(
    tmp_path: Path, write: Write, run: Run, server: OryTestServer, form: str
) -> None:
    kind, body = SCHEMA_FORMS[form]
    if kind == "json":
        write("schemas/customer.json", json.dumps(CUSTOMER, indent=2))
    elif kind == "yaml":
        write("schemas/customer.yaml", _yaml_schema())
    write("environments/dev.yaml", _environment(server, body))

    assert run("plan", "dev", "--detailed-exitcode", env=_env(server)).code in (0, 2)
    applied = run("apply", "dev", "--yes", "--allow-weaken", env=_env(server))
    assert applied.code == 0, applied.out + applied.err
    again = run("plan", "dev", "--detailed-exitcode", env=_env(server))
    assert again.code == 0, again.out + again.err

    stored = server.stored_identity_config()["identity"]
    if form != "preset":
        # JSON goes as the bytes written (as the Ory CLI sends a file), YAML as canonical
        # JSON; Ory stores each under the SHA-512 of exactly what it received.
        sent = {
            "file-json": json.dumps(CUSTOMER, indent=2).encode(),
            "base64": blobs.decode(_INDENTED_BASE64),
        }.get(form) or canonical_bytes(CUSTOMER)
        digest = blobs.sha512_hex(sent)
        assert stored["default_schema_id"] == digest
        assert any(s["url"].endswith(f"/{digest}.json") for s in stored["schemas"])


def test_changed_schema_under_existing_id_explains_traits(
    tmp_path: Path, write: Write, run: Run, server: OryTestServer
) -> None:
    server.add_console_schema(CUSTOMER)
    changed = json.loads(json.dumps(CUSTOMER))
    email = changed["properties"]["traits"]["properties"]["email"]["ory.sh/kratos"]
    del email["credentials"]["password"]
    write("schemas/customer.json", json.dumps(changed))
    write(
        "environments/dev.yaml",
        _environment(
            server,
            "  identity:\n    default_schema_id: customer\n    schemas:\n"
            "      - {id: customer, url: 'file://../schemas/customer.json'}\n",
        ),
    )
    result = run("plan", "dev", env=_env(server))
    assert "new schema needed: identity schema customer has different content" in result.out
    assert "identity schemas are immutable on Ory Network" in result.out
    assert (
        "      - BREAKING traits.email: credentials.password.identifier removed: users lose "
        "this way to sign in (password)\n" in result.out
    )


def test_same_content_serialised_differently_is_no_change(
    tmp_path: Path, write: Write, run: Run, server: OryTestServer
) -> None:
    server.add_console_schema(CUSTOMER)  # stored with default json.dumps spacing
    write("schemas/customer.json", json.dumps(CUSTOMER, indent=8, sort_keys=True))
    write(
        "environments/dev.yaml",
        _environment(
            server,
            "  identity:\n    default_schema_id: customer\n    schemas:\n"
            "      - {id: customer, url: 'file://../schemas/customer.json'}\n",
        ),
    )
    result = run("plan", "dev", "--detailed-exitcode", env=_env(server))
    assert result.code == 0, result.out + result.err
    cache = list((tmp_path / ".reconciler" / "cache" / "content").iterdir())
    assert len(cache) == 1  # fetched once, kept by its hash
    server.clear_requests()
    assert run("plan", "dev", "--detailed-exitcode", env=_env(server)).code == 0
    assert [r.path for r in server.requests if r.path.startswith("/storage/")] == []


def test_undeclared_live_schemas_are_said_to_stay(
    write: Write, run: Run, server: OryTestServer
) -> None:
    write(
        "environments/dev.yaml",
        _environment(server, "  identity:\n    schemas:\n      - id: preset://email\n"),
    )
    result = run("plan", "dev", env=_env(server))
    assert 'identity schemas "preset://username", ' in result.out
    assert (
        "stay although not declared here: identity schemas are never removed through config"
        in result.out
    )
    assert "/identity/schemas" not in result.out.split("Warning")[0].replace("Live revision", "")


SMTP = "  courier:\n    smtp:\n      connection_uri: 'smtps://acme:${SMTP_PASSWORD}@mail.acme.test:465'\n"


def test_secrets_are_added_when_missing_then_not_compared(
    write: Write, run: Run, server: OryTestServer
) -> None:
    write("environments/dev.yaml", _environment(server, SMTP))
    env = _env(server, SMTP_PASSWORD="pw-one-1234")
    first = run("plan", "dev", env=env)
    # Ory reports courier.smtp only once a URI is set: live shows it unset, so it is sent.
    assert '  + /courier/smtp: {"connection_uri": "(sensitive)"}' in first.out
    # The plan names the write-only values it sends and those it does not (issue 21 item 4).
    first_verbose = run("-v", "plan", "dev", env=env)
    assert (
        "  > /courier/smtp/connection_uri: (sensitive), sent (Ory may not return it)\n"
        in first_verbose.out
    )
    assert run("apply", "dev", "--yes", env=env).code == 0
    assert server.stored_identity_config()["courier"]["smtp"]["connection_uri"].endswith(
        ":pw-one-1234@mail.acme.test:465"
    )
    rotated = _env(server, SMTP_PASSWORD="pw-two-5678")
    plan = run("plan", "dev", "--detailed-exitcode", env=rotated)
    assert plan.code == 0, plan.out + plan.err
    assert "1 declared write-only value is not compared: Ory does not return it" in plan.out
    assert "/courier/smtp/connection_uri" not in plan.out  # listed under -v only
    verbose = run("-v", "plan", "dev", env=rotated)
    assert "  = /courier/smtp/connection_uri: (sensitive), not compared, not sent\n" in verbose.out
    markdown = run("plan", "dev", "--format", "markdown", env=rotated)
    assert "Not compared, not sent: `/courier/smtp/connection_uri`." in markdown.out
    resend = run("--rotate-secrets", "apply", "dev", "--yes", env=rotated)
    assert resend.code == 0, resend.out + resend.err
    assert server.stored_identity_config()["courier"]["smtp"]["connection_uri"].endswith(
        ":pw-two-5678@mail.acme.test:465"
    )
    for output in (first, plan, resend):
        assert "pw-one-1234" not in output.out + output.err
        assert "pw-two-5678" not in output.out + output.err


def test_empty_variable_never_blanks_a_secret(
    write: Write, run: Run, server: OryTestServer
) -> None:
    write("environments/dev.yaml", _environment(server, SMTP))
    result = run("apply", "dev", "--yes", env=_env(server, SMTP_PASSWORD=""))
    assert result.code == 1
    assert "environment variable SMTP_PASSWORD is empty" in result.err
    assert server.writes() == []


def test_secrets_list_and_tag_mask_values(write: Write, run: Run, server: OryTestServer) -> None:
    write(
        "environments/dev.yaml",
        _environment(
            server,
            "  courier:\n    smtp: {from_name: !secret 'tagged-secret-name'}\n"
            "  selfservice:\n    default_browser_return_url: https://listed-secret.test/\n",
        )
        + "secrets:\n  - /selfservice/default_browser_return_url\n",
    )
    for args in (("render", "dev"), ("plan", "dev")):
        result = run(*args, env=_env(server))
        assert "tagged-secret-name" not in result.out + result.err
        assert "listed-secret.test" not in result.out + result.err
        assert "(sensitive)" in result.out


def test_apply_converges_when_a_schema_matched_only_by_fetched_content(
    write: Write, run: Run, server: OryTestServer
) -> None:
    # The verification after apply must see the same fetched content the plan saw.
    server.add_console_schema(CUSTOMER)
    write("schemas/customer.json", json.dumps(CUSTOMER, indent=8, sort_keys=True))
    write(
        "environments/dev.yaml",
        _environment(
            server,
            "  identity:\n    default_schema_id: customer\n    schemas:\n"
            "      - {id: customer, url: 'file://../schemas/customer.json'}\n"
            "  selfservice:\n    methods:\n      totp: {enabled: true}\n",
        ),
    )
    result = run("apply", "dev", "--yes", env=_env(server))
    assert result.code == 0, result.out + result.err
    assert "Apply complete: 0 added, 1 changed, 0 reset." in result.out


def test_an_environment_that_declares_only_schemas_assumes_no_default(
    write: Write, run: Run, server: OryTestServer
) -> None:
    # Issue 22: a missing default_schema_id was taken for `default`, a false error; the live
    # default stays whatever it is. The schema is a real one (the corpus, SOURCES.md).
    person = REPO_ROOT / "tests/fixtures/corpus/quickstart-email-password/identity.schema.json"
    write("schemas/person.json", person.read_text(encoding="utf-8"))
    write(
        "environments/dev.yaml",
        _environment(
            server,
            "  identity:\n    schemas:\n      - {id: person, url: 'file://../schemas/person.json'}\n",
        ),
    )
    checked = run("validate", "dev")
    assert checked.code == 0, checked.out + checked.err
    assert "default-schema" not in checked.out + checked.err
    planned = run("plan", "dev", env=_env(server))
    assert planned.code == 0, planned.out + planned.err
    assert "default-schema" not in planned.out + planned.err
    assert "Plan: 1 to add, 0 to change, 0 to reset." in planned.out


def _console_schema_named_after(server: OryTestServer, raw: bytes) -> None:
    """A schema uploaded as these bytes (the Ory CLI sends a file as it is): Ory names it
    after their SHA-512, id and URL (ory-network-behaviour.md §4). Its storage URL is not
    served here, so nothing but its name can tell what it holds."""
    digest = blobs.sha512_hex(raw)

    def add(config: dict[str, Any]) -> None:
        url = f"{server.storage_base}/{digest}.json"
        config["identity"]["schemas"].append({"id": digest, "url": url})
        config["identity"]["default_schema_id"] = digest

    server.console_edit(add, normalise=False)


_CUSTOMER_FROM_FILE = (
    "  identity:\n    default_schema_id: customer\n    schemas:\n"
    "      - {id: customer, url: 'file://../schemas/customer.json'}\n"
)


@pytest.mark.ory_server
@pytest.mark.parametrize("spacing", [2, None], ids=["as-uploaded", "canonical"])
def test_a_schema_file_matches_the_live_schema_named_after_its_bytes(
    write: Write, run: Run, spacing: int | None
) -> None:
    # Issue 22: a byte-identical file planned "new schema needed" (a re-serialised copy was
    # hashed). Live named after the file's bytes (uploaded by the Ory CLI) or after its
    # canonical JSON (what earlier versions of this tool sent): both are the same schema.
    pretty = json.dumps(CUSTOMER, indent=2).encode()
    stored = pretty if spacing else canonical_bytes(CUSTOMER)
    with OryTestServer() as server:  # storage not served: only names can match
        _console_schema_named_after(server, stored)
        write("schemas/customer.json", pretty.decode())
        write("environments/dev.yaml", _environment(server, _CUSTOMER_FROM_FILE))
        result = run("plan", "dev", "--detailed-exitcode", env=_env(server))
        assert result.code == 0, result.out + result.err
        assert result.out.endswith("No changes.\n")
        assert "default-schema" not in result.out + result.err  # the checks agree with the diff
        assert not [r for r in server.requests if "/storage/" in r.path]


def test_a_new_schema_file_is_sent_as_its_own_bytes(
    write: Write, run: Run, server: OryTestServer
) -> None:
    # What the Ory CLI does: Ory names the schema after the file (`sha512sum`), so the
    # next plan matches it by name alone.
    pretty = json.dumps(CUSTOMER, indent=2).encode()
    write("schemas/customer.json", pretty.decode())
    write("environments/dev.yaml", _environment(server, _CUSTOMER_FROM_FILE))
    applied = run("apply", "dev", "--yes", env=_env(server))
    assert applied.code == 0, applied.out + applied.err
    stored = server.stored_identity_config()["identity"]
    assert stored["default_schema_id"] == blobs.sha512_hex(pretty)
