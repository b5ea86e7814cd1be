"""The official schemas shipped in reconciler/official: recorded checksums, the Ory Network
overlay and its generator, and the refresh script (run on a fake Kratos checkout)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler import official
from reconciler.checks import network_overlay
from reconciler.official import releases
from scripts import generate_network_overlay, refresh_official_schemas

from conftest import FIXTURES, Run
from ory_server import OryTestServer

SPEC_SUBSET = FIXTURES / "ory-sdk" / "spec-subset.json"


def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_SUBSET.read_text(encoding="utf-8"))
    return loaded


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shipped() -> dict[str, Path]:
    """Every shipped data file by its name in PROVENANCE.md (relative to the package)."""
    paths = (*official.DATA_FILES, *releases.shipped_files())
    return {path.relative_to(official.HERE).as_posix(): path for path in paths}


def test_provenance_records_the_checksum_of_every_shipped_file() -> None:
    recorded = refresh_official_schemas.recorded_sha256(official.PROVENANCE.read_text("utf-8"))
    assert recorded == {name: _sha256(path) for name, path in _shipped().items()}


def test_the_generator_reproduces_the_committed_overlay_from_the_spec() -> None:
    kratos = generate_network_overlay.plain_kratos_schema(official.KRATOS_MASTER_CONFIG)
    documents = generate_network_overlay.network_documents()
    overlay = generate_network_overlay.build_overlay(_spec(), kratos, documents)
    assert generate_network_overlay.render(overlay) == official.NETWORK_OVERLAY.read_text("utf-8")


def test_the_overlay_knows_the_saml_providers_of_the_spec() -> None:
    kratos = generate_network_overlay.plain_kratos_schema(official.KRATOS_MASTER_CONFIG)
    keys: Any = generate_network_overlay.build_overlay(_spec(), kratos)["keys"]
    providers = keys["/selfservice/methods/saml/config/providers"]
    properties = providers["items"]["properties"]
    # provider_id is the document's `id`; the row's own columns and read-only ones are not.
    assert {"id", "label", "mapper_url", "raw_idp_metadata_xml"} <= set(properties)
    assert not {"provider_id", "created_at", "project_revision_id", "valid_to"} & set(properties)
    assert properties["organization_id"] == {"type": ["string", "null"]}
    # Which other keys Ory keeps in a provider is not published: the entry stays open.
    assert "additionalProperties" not in providers["items"]


def test_keys_of_real_documents_are_learned_and_hook_containers_shaped_like_oidc() -> None:
    kratos = generate_network_overlay.plain_kratos_schema(official.KRATOS_MASTER_CONFIG)
    document: Any = {
        "selfservice": {
            "flows": {"login": {"after": {"saml": {"hooks": []}, "oidc": {"hooks": []}}}},
            "methods": {"captcha": {"config": {"provider": "cf-turnstile"}}},
        }
    }
    overlay = generate_network_overlay.build_overlay(_spec(), kratos, [("doc", document)])
    keys: Any = overlay["keys"]
    oidc = kratos.schema_at("/selfservice/flows/login/after/oidc")
    assert oidc is not None
    assert keys["/selfservice/flows/login/after/saml"]["$ref"] == oidc["$ref"]
    assert keys["/selfservice/methods/captcha/config/provider"] == {
        "type": "string",
        "$comment": "seen in real Ory Network documents: doc",
    }
    # Keys Kratos or the spec already declare are not learned again.
    assert "/selfservice/flows/login/after/oidc" not in keys
    assert keys["/selfservice/methods/captcha/enabled"]["$comment"].startswith("column ")


def test_the_generator_reads_only_governed_identity_columns() -> None:
    spec = _spec()
    columns = spec["components"]["schemas"]["normalizedProjectRevision"]["properties"]
    keys = generate_network_overlay.governed_keys(spec)
    assert keys["/selfservice/methods/captcha/enabled"] == (
        "kratos_selfservice_methods_captcha_enabled",
        {"type": "boolean"},
    )
    assert all(column.startswith("kratos_") for column, _ in keys.values())
    # Without its "This governs" sentence a column says nothing about the config.
    columns["kratos_selfservice_methods_captcha_enabled"]["description"] = "Captcha on or off"
    assert "/selfservice/methods/captcha/enabled" not in generate_network_overlay.governed_keys(
        spec
    )


def test_declared_in_any_branch_is_not_network_only() -> None:
    # courier.http.request_config.auth is a oneOf (api_key | basic_auth): `user` is declared
    # in the second branch only, and must not be added as a Network-only key.
    kratos = generate_network_overlay.plain_kratos_schema(official.KRATOS_MASTER_CONFIG)
    assert kratos.declares("/courier/http/request_config/auth/config/user")
    assert not kratos.declares("/selfservice/methods/captcha")


def test_a_key_below_a_ref_does_not_leak_into_other_users_of_the_definition() -> None:
    definition: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
    schema: dict[str, Any] = {
        "definitions": {"method": definition},
        "properties": {
            "a": {"$ref": "#/definitions/method"},
            "b": {"$ref": "#/definitions/method"},
        },
    }
    overlay: dict[str, Any] = {"keys": {"/a/extra": {"type": "boolean"}}}
    extended: dict[str, Any] = network_overlay.extend(schema, overlay)
    # Draft-07 ignores keywords beside a `$ref`: the definition is inlined under `a` instead.
    assert extended["properties"]["a"] == {
        **definition,
        "properties": {"extra": {"type": "boolean"}},
    }
    assert extended["properties"]["b"] == {"$ref": "#/definitions/method"}
    assert schema["definitions"]["method"]["properties"] == {}  # the input is left alone


# -- the refresh script ---------------------------------------------------------------------


def _fake_checkout(root: Path) -> Path:
    """A Kratos checkout laid out as ory/kratos, made of the shipped files."""
    layout = {
        "embedx/config.schema.json": official.KRATOS_RELEASE_CONFIG,
        "oryx/otelx/config.schema.json": official.TRACING_CONFIG,
        "embedx/identity_meta.schema.json": official.IDENTITY_META,
        "embedx/identity_extension.schema.json": official.IDENTITY_EXTENSION,
    }
    for relative, shipped in layout.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped, root / relative)
    return root


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    destination = tmp_path / "official"
    for name, path in {**_shipped(), official.PROVENANCE.name: official.PROVENANCE}.items():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination / name)
    return destination


def test_refresh_copies_a_checkout_and_records_new_checksums(
    tmp_path: Path, package_copy: Path
) -> None:
    checkout = _fake_checkout(tmp_path / "kratos")
    meta = checkout / "embedx" / "identity_meta.schema.json"
    meta.write_bytes(meta.read_bytes() + b"\n")  # a newer upstream version
    code = refresh_official_schemas.main(
        [str(checkout), "--release-ref", "v99.0.0 (fake)", "--destination", str(package_copy)]
    )
    assert code == 0
    shipped = package_copy / official.IDENTITY_META.name
    assert shipped.read_bytes() == meta.read_bytes()
    provenance = (package_copy / official.PROVENANCE.name).read_text("utf-8")
    recorded = refresh_official_schemas.recorded_sha256(provenance)
    assert recorded == {name: _sha256(package_copy / name) for name in _shipped()}
    assert recorded[shipped.name] != _sha256(official.IDENTITY_META)
    copies = refresh_official_schemas.recorded_copies(provenance)
    assert copies[shipped.name].ref == "v99.0.0 (fake)"
    # The master schema and the overlay were not refreshed: their rows are kept as they were.
    master = official.KRATOS_MASTER_CONFIG.name
    assert (
        copies[master]
        == refresh_official_schemas.recorded_copies(official.PROVENANCE.read_text("utf-8"))[master]
    )
    assert (
        provenance.split(refresh_official_schemas.BEGIN)[0]
        == (official.PROVENANCE.read_text("utf-8").split(refresh_official_schemas.BEGIN)[0])
    )


def test_refresh_with_a_spec_regenerates_the_overlay_and_the_fixture(
    tmp_path: Path, package_copy: Path
) -> None:
    checkout = _fake_checkout(tmp_path / "kratos")
    overlay = package_copy / official.NETWORK_OVERLAY.name
    overlay.write_text('{"keys": {}}\n')
    fixture = tmp_path / "spec-subset.json"
    arguments = [str(checkout), "--destination", str(package_copy), "--fixture", str(fixture)]
    refresh_official_schemas.main([*arguments, "--spec", str(SPEC_SUBSET), "--spec-ref", "x"])
    assert overlay.read_text("utf-8") == official.NETWORK_OVERLAY.read_text("utf-8")
    assert json.loads(fixture.read_text("utf-8")) == _spec()
    recorded = refresh_official_schemas.recorded_copies(
        (package_copy / official.PROVENANCE.name).read_text("utf-8")
    )
    assert recorded[overlay.name].ref == "x"
    assert recorded[official.KRATOS_RELEASE_CONFIG.name].ref == "unknown (not a git checkout)"


def test_refresh_refuses_a_folder_that_is_no_kratos_checkout(
    tmp_path: Path, package_copy: Path
) -> None:
    with pytest.raises(SystemExit, match=r"is .* a Kratos checkout"):
        refresh_official_schemas.main([str(tmp_path), "--destination", str(package_copy)])


# -- the target kind reaches the schema check ------------------------------------------------

NETWORK_PROJECT = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
# In Kratos master (hence Ory Network), not in the v26.2.0 release a self-hosted Kratos runs.
MASTER_ONLY_KEY = """
identity_config:
  selfservice:
    flows:
      logout:
        clear_browser_data: true
"""


def test_every_command_checks_against_the_shipped_schema_without_configuration(
    write: Callable[[str, str], Path], run: Run
) -> None:
    write("environments/dev.yaml", "identity_config:\n  session:\n    sesion: {}\n")
    result = run("validate", "dev")
    assert result.code == 1
    assert "dev.yaml:3:5: identity_config.session.sesion: " in result.err
    assert "not configured" not in result.out + result.err


def test_a_kratos_file_is_checked_against_the_release_schema(
    write: Callable[[str, str], Path], run: Run
) -> None:
    write("environments/self.yaml", "target: {kratos_file: {path: kratos.yml}}" + MASTER_ONLY_KEY)
    result = run("validate", "self")
    assert result.code == 1
    assert "self.yaml:6:9: identity_config.selfservice.flows.logout.clear_browser_data: " in (
        result.err
    )
    assert "Kratos would refuse it" in result.err


def test_an_ory_network_project_is_checked_against_master_and_the_overlay(
    write: Callable[[str, str], Path], run: Run, ory_server: OryTestServer
) -> None:
    target = f"target: {{ory_network: {{project: {NETWORK_PROJECT}}}}}"
    write("environments/net.yaml", target + MASTER_ONLY_KEY)
    assert run("validate", "net").code == 0
    # A Network-only key that exists only live is no problem at all for a Network target.
    ory_server.console_edit(
        lambda config: config["selfservice"]["methods"].update(
            captcha={"enabled": True, "config": {"allowed_domains": ["example.com"]}}
        ),
        normalise=False,
    )
    env = {"ORY_WORKSPACE_API_KEY": ory_server.workspace_key}
    env["ORY_CONSOLE_API_URL"] = ory_server.base_url
    result = run("plan", "net", env=env)
    assert result.code == 0, result.out + result.err
    assert "captcha" not in result.out + result.err


def test_kratos_schema_overrides_the_shipped_one_for_every_target(
    write: Callable[[str, str], Path], run: Run
) -> None:
    target = f"target: {{ory_network: {{project: {NETWORK_PROJECT}}}}}"
    write("environments/net.yaml", target + MASTER_ONLY_KEY)
    release = str(official.KRATOS_RELEASE_CONFIG)
    result = run("--kratos-schema", release, "validate", "net")
    assert result.code == 1
    assert "net.yaml:6:9: identity_config.selfservice.flows.logout.clear_browser_data: " in (
        result.err
    )
    assert run("validate", "net", env={"RECONCILER_KRATOS_SCHEMA": release}).code == 1


# -- the refresh script: every release, from git ------------------------------------------


def _git_repo(root: Path, commits: list[tuple[str, dict[str, str]]]) -> Path:
    """A git repository at ``root`` with one commit per ``(tag, files)``, tagged so."""
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for tag, files in commits:
        for relative, text in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", tag], check=True)
        subprocess.run([*git, "tag", tag], check=True)
    return root / ".git"


def test_refresh_history_stores_each_release_schema_once_with_its_tracing_schema(
    tmp_path: Path, package_copy: Path
) -> None:
    versioned = '{"properties": {"version": {}, "dsn": {}}}\n'
    traced = '{"properties": {"version": {}, "tracing": {"$ref": "ory://tracing-config"}}}\n'
    newest = (
        '{"properties": {"version": {}, "tracing": {"$ref": "ory://tracing-config"}, "x": {}}}\n'
    )
    vendored = '{"$id": "ory://tracing-config", "title": "vendored"}\n'
    ory_x = _git_repo(
        tmp_path / "x",
        [("v0.0.1", {"otelx/config.schema.json": '{"$id": "ory://tracing-config"}\n'})],
    )
    identity = {
        "embedx/identity_meta.schema.json": official.IDENTITY_META.read_text("utf-8"),
        "embedx/identity_extension.schema.json": official.IDENTITY_EXTENSION.read_text("utf-8"),
    }
    kratos = _git_repo(
        tmp_path / "kratos",
        [
            ("v0.4.6-alpha.1", {".schema/config.schema.json": '{"properties": {"dsn": {}}}\n'}),
            ("v0.5.0-alpha.1", {".schema/config.schema.json": versioned}),
            ("v0.5.1-alpha.1", {"README.md": "unchanged schema\n"}),
            ("v0.8.3-alpha.1.pre.0", {".schema/config.schema.json": traced}),  # pre-release
            (
                "v0.10.0",
                {
                    "embedx/config.schema.json": traced,
                    "go.mod": "require (\n\tgithub.com/ory/x v0.0.1\n)\n",
                },
            ),
            (
                "v26.2.0",
                {
                    "embedx/config.schema.json": newest,
                    "oryx/otelx/config.schema.json": vendored,
                    **identity,
                },
            ),
        ],
    )
    checkout = kratos.parent  # its work tree is the newest tag
    arguments = [str(checkout), "--release-ref", "v26.2.0", "--destination", str(package_copy)]
    code = refresh_official_schemas.main(
        [*arguments, "--history", str(kratos), "--ory-x", str(ory_x)]
    )
    assert code == 0
    index = json.loads((package_copy / "kratos-releases" / "index.json").read_text("utf-8"))
    entries = {entry["tag"]: entry for entry in index["releases"]}
    assert list(entries) == ["v0.5.0-alpha.1", "v0.5.1-alpha.1", "v0.10.0", "v26.2.0"]
    assert (
        entries["v0.5.1-alpha.1"]["config"] == "kratos-releases/v0.5.0-alpha.1.config.schema.json"
    )
    assert entries["v0.5.1-alpha.1"]["first"] == "v0.5.0-alpha.1"
    assert entries["v0.5.0-alpha.1"]["tracing"] is None
    tracing = entries["v0.10.0"]["tracing"]
    assert tracing == "kratos-releases/ory-x-v0.0.1.tracing-config.schema.json"
    assert (package_copy / tracing).read_text("utf-8") == '{"$id": "ory://tracing-config"}\n'
    assert entries["v26.2.0"]["config"] == official.KRATOS_RELEASE_CONFIG.name
    assert entries["v26.2.0"]["tracing"] == official.TRACING_CONFIG.name
    stored = sorted(path.name for path in (package_copy / "kratos-releases").iterdir())
    assert stored == [
        "index.json",
        "ory-x-v0.0.1.tracing-config.schema.json",
        "v0.10.0.config.schema.json",
        "v0.5.0-alpha.1.config.schema.json",
    ]  # the real releases' files are gone: the folder is rewritten
    provenance = (package_copy / official.PROVENANCE.name).read_text("utf-8")
    recorded = refresh_official_schemas.recorded_copies(provenance)
    assert recorded[tracing].source == "ory/x otelx/config.schema.json"
    assert recorded[tracing].ref.startswith("v0.0.1 (")
    assert recorded["kratos-releases/v0.10.0.config.schema.json"].ref.startswith("v0.10.0 (")
    sha = refresh_official_schemas.recorded_sha256(provenance)
    assert {name for name in sha if name.startswith("kratos-releases/")} == {
        f"kratos-releases/{name}" for name in stored
    }


def test_refresh_history_refuses_a_checkout_that_is_not_the_newest_release(
    tmp_path: Path, package_copy: Path
) -> None:
    kratos = _git_repo(
        tmp_path / "kratos",
        [("v0.5.0-alpha.1", {".schema/config.schema.json": '{"properties": {"version": {}}}\n'})],
    )
    checkout = _fake_checkout(tmp_path / "checkout")
    with pytest.raises(SystemExit, match=r"the release checkout is not v0\.5\.0-alpha\.1"):
        refresh_official_schemas.main(
            [str(checkout), "--destination", str(package_copy), "--history", str(kratos)]
        )


def test_the_generator_reproduces_the_other_services_files_from_the_spec() -> None:
    # Issue 24: the OAuth2 and permission overlays, the account experience and project
    # settings schemas, each regenerated from the spec's columns equals the shipped file.
    outputs = generate_network_overlay.other_outputs(_spec())
    assert set(outputs) == {
        official.OAUTH2_OVERLAY,
        official.PERMISSION_OVERLAY,
        official.ACCOUNT_EXPERIENCE_SCHEMA,
        official.PROJECT_SETTINGS_SCHEMA,
    }
    for path, document in outputs.items():
        assert generate_network_overlay.render(document) == path.read_text("utf-8"), path.name
    oauth2: Any = outputs[official.OAUTH2_OVERLAY]["keys"]
    # Hydra master lacks the column's spelling of the salt and the token prefix.
    assert set(oauth2) == {"/oauth2/token_prefix", "/oidc/subject_identifiers/pairwise_salt"}
