"""Issue 25 items 1 and 2: a schema switch plans with its trait changes, classified, in every
format, and the old content comes from the repository when Ory's storage cannot be read."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import blobs

from conftest import FIXTURES, Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
# A real identity schema (ory/examples, SOURCES.md): an enum, an array, a nested object, and
# email recovery and verification.
K8S = FIXTURES / "corpus" / "examples-kratos-keto-oathkeeper-k8s" / "identity.schema.json"
OLD: dict[str, Any] = json.loads(K8S.read_text())


def five_changes(old: dict[str, Any]) -> dict[str, Any]:
    """The five changes of issue 25 made to the real schema."""
    new = copy.deepcopy(old)
    properties = new["properties"]["traits"]["properties"]
    properties["group"]["type"] = "string"
    del properties["group"]["items"]
    properties["role"]["enum"] = ["user"]
    properties["email"]["maxLength"] = 320
    properties["name"]["required"] = ["first"]
    del properties["email"]["ory.sh/kratos"]["recovery"]
    del properties["email"]["ory.sh/kratos"]["verification"]
    return new


EXPECTED = (
    'BREAKING traits.group: type "array" -> "string": existing identities may fail',
    'BREAKING traits.role: enum narrowed, ["admin"] no longer allowed',
    "BREAKING traits.email: maxLength 320 added",
    "BREAKING traits.name.first: trait became required: identities that have traits.name",
    'BREAKING traits.email: recovery.via "email" removed: users can no longer recover',
    'BREAKING traits.email: verification.via "email" removed: users can no longer verify',
)


@pytest.fixture
def server() -> Iterator[OryTestServer]:
    """A test server whose storage URLs it serves itself: a schema it no longer holds is
    storage that cannot be read."""
    with OryTestServer(local_storage=True) as running:
        yield running


def _switch_to_v2(server: OryTestServer, write: Write) -> None:
    """Live: the real schema as the default `customer`. The repository: a v2 with the five
    changes, made the default (the way the identity-schema-changed rule advises)."""
    server.add_console_schema(OLD, "customer")
    write("schemas/customer-v2.schema.json", json.dumps(five_changes(OLD), indent=2))
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n"
        "identity_config:\n  identity:\n    default_schema_id: customer-v2\n    schemas:\n"
        "      - {id: customer-v2, url: 'file://../schemas/customer-v2.schema.json'}\n",
    )


def _forget_stored(server: OryTestServer) -> None:
    server.storage.clear()  # storage answers 404: the live content cannot be fetched


def test_the_five_trait_changes_appear_in_the_text_plan(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _switch_to_v2(server, write)
    result = run("plan", "dev", env=server.cli_env())
    assert 'new identity schema, replacing the default schema "customer"' in result.out
    for line in EXPECTED:
        assert f"      - {line}" in result.out, result.out


def test_the_trait_changes_appear_in_markdown_and_json(
    write: Write, run: Run, server: OryTestServer, tmp_path: Path
) -> None:
    _switch_to_v2(server, write)
    markdown = run("plan", "dev", "--format", "markdown", env=server.cli_env())
    for line in EXPECTED:
        assert line in markdown.out, markdown.out
    document = json.loads(run("plan", "dev", "--format", "json", env=server.cli_env()).out)
    [change] = [c for c in document["changes"] if c["trait_changes"]]
    found = {(t["trait"], t["keyword"], t["classification"]) for t in change["trait_changes"]}
    assert found == {
        ("traits.group", "type", "breaking"),
        ("traits.role", "enum", "breaking"),
        ("traits.email", "maxLength", "breaking"),
        ("traits.name.first", "required", "breaking"),
        ("traits.email", "recovery.via", "breaking"),
        ("traits.email", "verification.via", "breaking"),
    }
    # the saved plan carries them, and show reads them back
    saved = tmp_path / "plan.json"
    assert run("plan", "dev", "--out", str(saved), env=server.cli_env()).code in (0, 2)
    shown = run("show", str(saved), env=server.cli_env())
    assert shown.code == 0, shown.err
    for line in EXPECTED:
        assert line in shown.out


def test_unreadable_storage_without_a_local_file_says_so(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _switch_to_v2(server, write)
    _forget_stored(server)
    result = run("plan", "dev", env=server.cli_env())
    assert "      - the live content is not available to compare traits\n" in result.out
    # where to put it: the digest the live URL names
    digest = blobs.sha512_hex(json.dumps(OLD).encode())
    assert (
        f"      - a file of this repository with its content (SHA-512 {digest[:16]}…" in result.out
    )
    assert "BREAKING" not in result.out


def test_unreadable_storage_reads_the_file_under_schemas_with_that_digest(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _switch_to_v2(server, write)
    _forget_stored(server)
    write("schemas/customer-v1.schema.json", json.dumps(OLD))  # the bytes Ory stored
    result = run("plan", "dev", env=server.cli_env())
    assert "not available to compare traits" not in result.out
    for line in EXPECTED:
        assert f"      - {line}" in result.out, result.out


def test_unreadable_storage_reads_a_file_another_environment_references(
    write: Write, run: Run, server: OryTestServer
) -> None:
    _switch_to_v2(server, write)
    _forget_stored(server)
    # Not under schemas/: prod still declares the old schema, as a YAML file (sent, and so
    # stored, as canonical JSON).
    server.console_edit(lambda c: _store_canonical(server, c))
    write("legacy/customer.yaml", _yaml(OLD))
    write(
        "environments/prod.yaml",
        "target: {ory_network: {project: 00000000-0000-0000-0000-000000000000}}\n"
        "identity_config:\n  identity:\n    default_schema_id: customer\n    schemas:\n"
        "      - {id: customer, url: 'file://../legacy/customer.yaml'}\n",
    )
    result = run("plan", "dev", env=server.cli_env())
    assert "not available to compare traits" not in result.out
    assert f"      - {EXPECTED[1]}" in result.out, result.out


@pytest.mark.hostile
def test_a_schema_file_linked_from_outside_the_repository_is_not_read(
    write: Write, run: Run, server: OryTestServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _switch_to_v2(server, write)
    _forget_stored(server)
    outside = tmp_path_factory.mktemp("outside") / "customer-v1.schema.json"
    outside.write_text(json.dumps(OLD))
    link = write("schemas/placeholder.json", "{}")
    link.unlink()
    link.symlink_to(outside)
    result = run("plan", "dev", env=server.cli_env())
    assert "      - the live content is not available to compare traits" in result.out


def _yaml(document: dict[str, Any]) -> str:
    from reconciler.loading.yamlio import dump_plain

    return dump_plain(document)


def _store_canonical(server: OryTestServer, config: dict[str, Any]) -> None:
    """The live `customer` stored as canonical JSON (how a YAML file is sent), not held."""
    from reconciler.jsontypes import canonical_bytes

    digest = blobs.sha512_hex(canonical_bytes(OLD))
    for entry in config["identity"]["schemas"]:
        if entry["id"] == "customer":
            entry["url"] = f"{server.storage_base}/{digest}.json"


def test_plan_writes_the_migration_plan_a_reviewer_reads(
    write: Write, run: Run, server: OryTestServer, tmp_path: Path
) -> None:
    _switch_to_v2(server, write)
    target = tmp_path / "migration.md"
    result = run("plan", "dev", "--migration-plan", str(target), env=server.cli_env())
    assert result.code == 0, result.err
    assert f"Wrote the migration plan to {target} (1 identity schema switch;" in result.err
    written = target.read_text()
    assert written.startswith("# Identity migration plan: `dev`\n")
    assert "## `customer` → `customer-v2`" in written
    assert "| `traits.group` | breaking |" in written
    assert '| convert values to "string" (from "array"), or drop them | ? |' in written
    assert '| map ["admin"] to one of ["user"] | ? |' in written
    assert "| `traits.name.first` | breaking |" in written
    assert "| set a default where it is missing | ? |" in written
    assert "### Not a trait transform: tell users" in written
    assert server.workspace_key not in written
    assert target.stat().st_mode & 0o777 == 0o600


def test_the_migration_plan_describes_one_environment(
    write: Write, run: Run, server: OryTestServer, tmp_path: Path
) -> None:
    _switch_to_v2(server, write)
    write("environments/prod.yaml", "target: {ory_network: {project: x}}\n")
    result = run(
        "plan", "dev", "prod", "--migration-plan", str(tmp_path / "m.md"), env=server.cli_env()
    )
    assert result.code != 0
    assert "--migration-plan describes one plan: name exactly one environment" in result.err
    assert not (tmp_path / "m.md").exists()


def test_a_default_switch_between_live_schemas_shows_the_trait_changes(
    write: Write, run: Run, server: OryTestServer
) -> None:
    server.add_console_schema(OLD, "customer")
    new = five_changes(OLD)
    server.add_console_schema(new, "customer-v2")  # both live; the console made v2 the default
    server.console_edit(lambda config: config["identity"].update(default_schema_id="customer"))
    write("schemas/customer-v2.schema.json", json.dumps(new))  # the bytes live holds: no change
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n"
        "identity_config:\n  identity:\n    default_schema_id: customer-v2\n    schemas:\n"
        "      - {id: customer-v2, url: 'file://../schemas/customer-v2.schema.json'}\n",
    )
    result = run("plan", "dev", env=server.cli_env())
    assert '  ~ /identity/default_schema_id: "customer" -> "customer-v2"\n' in result.out
    for line in EXPECTED:
        assert f"      - {line}" in result.out, result.out
    assert "Plan: 0 to add, 1 to change, 0 to reset." in result.out
