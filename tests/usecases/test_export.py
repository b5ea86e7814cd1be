"""``reconciler export``: minimal, secret-free, deterministic, and it plans as `No changes.`"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.comparing.diff import Change
from reconciler.comparing.durations import short_duration
from reconciler.jsontypes import JSONObject, get_at
from reconciler.loading.yamlio import load_with_positions
from reconciler.usecases.export import (
    ExportRules,
    minimal_config,
    overlay_on,
)
from reconciler.usecases.side_files import externalize

from conftest import FIXTURE_PROJECT, Result, Run
from ory_server import OryTestServer

SNAPSHOT = FIXTURE_PROJECT.with_name("identity-config-snapshot.json")
HOOK_KEY = "hook-key-for-tests"
SMTP_PASSWORD = "smtp-password-for-tests"
OIDC_SECRET = "oidc-client-secret-for-tests"
_VARIABLE_LINE = re.compile(r"^  ([A-Z][A-Z0-9_]*): ", re.MULTILINE)


def _env(server: OryTestServer, **extra: str) -> dict[str, str]:
    return server.cli_env() | extra


def _variables(export: Result) -> dict[str, str]:
    """The variables export listed, each set to the secret it stands for: plan compares
    secrets by value (Ory returns them), so a stand-in would be a change."""
    real = (SMTP_PASSWORD, OIDC_SECRET, HOOK_KEY)
    return {
        name: next(value for value in real if name.split("_")[-1].lower() in _secret_kind(value))
        for name in _VARIABLE_LINE.findall(export.err)
    }


def _export_then_plan(
    run: Run, repo: Path, server: OryTestServer, project_id: str, name: str = "exported"
) -> tuple[Result, Result]:
    env = _env(server)
    exported = run("export", name, "--target-project", project_id, env=env, root=repo)
    assert exported.code == 0, exported.err
    planned = run(
        "plan", name, "--detailed-exitcode", env={**env, **_variables(exported)}, root=repo
    )
    return exported, planned


def _identity_config(path: Path) -> dict[str, Any]:
    data = load_with_positions(path.read_text(encoding="utf-8")).data
    assert isinstance(data, dict)
    config = data["identity_config"]
    assert isinstance(config, dict)
    return config


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "environments").mkdir(exist_ok=True)
    return tmp_path


# -- the fixture project ------------------------------------------------------------------


def test_fixture_export_is_minimal_and_plans_clean(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    repo = _repo(tmp_path)
    _, planned = _export_then_plan(run, repo, ory_server, ory_server.project_id)
    assert planned.code == 0, planned.out + planned.err
    assert planned.out.endswith("No changes.\n")

    config = _identity_config(repo / "environments" / "exported.yaml")
    for pointer in (
        "/serve",  # server-managed
        "/cookies/domain",
        "/cookies/path",
        "/session/cookie/domain",
        "/session/cookie/name",
        "/selfservice/methods/password/enabled",  # Kratos default true
        "/selfservice/methods/password/config/min_password_length",  # default 8
        "/selfservice/flows/settings/required_aal",  # default highest_available
        "/selfservice/methods/code/enabled",
        "/courier/delivery_strategy",
        "/feature_flags",  # every flag at its default
        "/organizations",  # [] is the default
        "/selfservice/flows/login/ui_url",  # filled in by Ory Network
        "/selfservice/default_browser_return_url",
        "/selfservice/allowed_return_urls",  # the project's own URL
        "/selfservice/flows/login/after",  # only empty hook lists
        "/courier/templates",  # only empty bodies
    ):
        assert not get_at(config, pointer)[0], pointer
    for pointer, value in (
        ("/session/whoami/required_aal", "aal1"),
        ("/selfservice/methods/password/config/max_breaches", 1),
        ("/selfservice/flows/verification/ui_url", "/ui/custom-verification"),
        ("/selfservice/flows/login/lifespan", "30m"),  # 30m0s, shortened
        ("/session/lifespan", "72h"),
    ):
        assert get_at(config, pointer) == (True, value), pointer


def test_fixture_schemas_are_written_as_files(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    repo = _repo(tmp_path)
    _export_then_plan(run, repo, ory_server, ory_server.project_id)
    live = json.loads(FIXTURE_PROJECT.read_text())["services"]["identity"]["config"]
    live_schemas = {s["id"]: s["url"] for s in live["identity"]["schemas"]}
    schemas = {
        s["id"]: s["url"]
        for s in _identity_config(repo / "environments/exported.yaml")["identity"]["schemas"]
    }

    for preset, file_name in (
        ("preset://email", "preset-email"),
        ("preset://username", "preset-username"),
    ):
        assert schemas[preset] == f"file://../schemas/{file_name}.schema.json"
        written = (repo / "schemas" / f"{file_name}.schema.json").read_bytes()
        assert written == base64.b64decode(live_schemas[preset].removeprefix("base64://"))
    # The custom schema's content is not in the project document: its URL (named after the
    # SHA-512 of the content) is kept, and plans as equal.
    custom = live["identity"]["default_schema_id"]
    assert schemas[custom] == live_schemas[custom]


def test_export_is_deterministic_and_never_overwrites_without_force(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    repo = _repo(tmp_path)
    env = _env(ory_server)
    args = ("export", "fixture", "--target-project", ory_server.project_id)
    assert run(*args, env=env).code == 0
    first = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}

    environment = repo / "environments" / "fixture.yaml"
    edited = environment.read_text() + "# a note of mine\n"
    environment.write_text(edited)
    refused = run("export", "fixture", env=env)
    assert refused.code == 1
    assert "fixture.yaml exists; pass --force to overwrite it" in refused.err
    assert environment.read_text() == edited

    forced = run("export", "fixture", "--force", env=env)  # keeps the file's own target
    assert forced.code == 0, forced.err
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == first

    again = run(*args, env=env)
    assert again.code == 0, again.err
    assert "Wrote" not in again.err  # identical bytes: nothing is rewritten

    printed = run("export", "fixture", "--out", "-", env=env)
    assert printed.out.encode() == first[repo / "environments" / "fixture.yaml"]


def test_changed_side_file_is_not_overwritten_without_force(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    repo = _repo(tmp_path)
    (repo / "schemas").mkdir()
    mine = repo / "schemas" / "preset-email.schema.json"
    mine.write_text("{}\n")
    result = run("export", "new", "--target-project", ory_server.project_id, env=_env(ory_server))
    assert result.code == 1
    assert "preset-email.schema.json exists; pass --force" in result.err
    assert mine.read_text() == "{}\n"
    assert not (repo / "environments" / "new.yaml").exists()  # nothing half-written


def test_snapshot_document_round_trips(tmp_path: Path, run: Run, ory_server: OryTestServer) -> None:
    config = json.loads(SNAPSHOT.read_text())
    # The Ory CLI's snapshot tool removed this project-specific URL; restore the one the full
    # project document (same schema id) has.
    schema_id = config["identity"]["schemas"][1]["id"]
    config["identity"]["schemas"][1]["url"] = (
        f"https://storage.googleapis.com/bac-gcs-staging/{schema_id}.json"
    )
    project = ory_server.add_project(config)
    _, planned = _export_then_plan(run, _repo(tmp_path), ory_server, project)
    assert planned.code == 0, planned.out + planned.err


# -- secrets --------------------------------------------------------------------------------


def _secret_kind(value: str) -> str:
    """Which kind of variable name export gives a secret of ours (by its last word)."""
    return {SMTP_PASSWORD: "password", OIDC_SECRET: "secret", HOOK_KEY: "value"}[value]


def _with_secrets() -> dict[str, Any]:
    config: dict[str, Any] = json.loads(FIXTURE_PROJECT.read_text())["services"]["identity"][
        "config"
    ]
    config["courier"]["smtp"]["connection_uri"] = f"smtps://acme:{SMTP_PASSWORD}@mail.acme.test:465"
    config["selfservice"]["methods"]["oidc"] = {
        "enabled": True,
        "config": {
            "providers": [
                {
                    "id": "google",
                    "provider": "google",
                    "client_id": "acme-client",
                    "client_secret": OIDC_SECRET,
                    "mapper_url": "base64://" + base64.b64encode(b"function(ctx) ctx").decode(),
                    "scope": ["email"],
                }
            ]
        },
    }
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [
        {
            "hook": "web_hook",
            "config": {
                "url": "https://hooks.acme.test/login?price=$5",
                "method": "POST",
                "body": "base64://"
                + base64.b64encode(b"function(ctx) { id: ctx.identity.id }").decode(),
                "auth": {
                    "type": "api_key",
                    "config": {"name": "X-Api-Key", "value": HOOK_KEY, "in": "header"},
                },
            },
        }
    ]
    return config


def test_secrets_become_documented_variables(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    repo = _repo(tmp_path)
    project = ory_server.add_project(_with_secrets())
    exported, planned = _export_then_plan(run, repo, ory_server, project)
    assert planned.code == 0, planned.out + planned.err

    text = (repo / "environments" / "exported.yaml").read_text()
    everything = text + exported.out + exported.err + planned.out + planned.err
    for secret in (SMTP_PASSWORD, OIDC_SECRET, HOOK_KEY, "***"):
        assert secret not in everything
    config = _identity_config(repo / "environments" / "exported.yaml")
    # Ory never returns the SMTP URI (ory-network-behaviour.md §2): there is nothing to export.
    assert get_at(config, "/courier/smtp/connection_uri") == (False, None)
    provider = config["selfservice"]["methods"]["oidc"]["config"]["providers"][0]
    assert provider["client_secret"] == "${OIDC_PROVIDERS_GOOGLE_CLIENT_SECRET}"
    hook = config["selfservice"]["flows"]["login"]["after"]["hooks"][0]["config"]
    assert hook["auth"]["config"]["value"] == "${LOGIN_AFTER_HOOK_0_AUTH_VALUE}"
    assert hook["url"] == "https://hooks.acme.test/login?price=$$5"  # a literal $, escaped
    # Every variable is listed on stderr and documented in the file's header.
    for name in ("OIDC_PROVIDERS_GOOGLE_CLIENT_SECRET", "LOGIN_AFTER_HOOK_0_AUTH_VALUE"):
        assert f"  {name}: " in exported.err
        assert f"#   {name}: " in text


def test_stored_jsonnet_stays_a_url_and_inline_jsonnet_becomes_a_file(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # Ory Network stores every base64:// it receives, so live bodies are storage URLs...
    repo = _repo(tmp_path)
    project = ory_server.add_project(_with_secrets())
    _export_then_plan(run, repo, ory_server, project)
    hook = _identity_config(repo / "environments/exported.yaml")["selfservice"]["flows"]["login"][
        "after"
    ]["hooks"][0]
    assert hook["config"]["body"].startswith("https://storage.googleapis.com/")
    # ...while a Kratos config file may hold them inline.
    kratos = repo / "deploy" / "kratos.yml"
    kratos.parent.mkdir()
    kratos.write_text(json.dumps(_with_secrets()))
    result = run("export", "selfhosted", "--kratos-file", str(kratos))
    assert result.code == 0, result.err
    config = _identity_config(repo / "environments" / "selfhosted.yaml")
    body = config["selfservice"]["flows"]["login"]["after"]["hooks"][0]["config"]["body"]
    assert body == "file://../hooks/login-after-hook-0-body.jsonnet"
    assert (repo / "hooks" / "login-after-hook-0-body.jsonnet").read_bytes() == (
        b"function(ctx) { id: ctx.identity.id }"
    )
    mapper = config["selfservice"]["methods"]["oidc"]["config"]["providers"][0]["mapper_url"]
    assert (repo / mapper.removeprefix("file://../")).read_bytes() == b"function(ctx) ctx"
    planned = run("plan", "selfhosted", "--detailed-exitcode", env=_variables(result))
    assert planned.code == 0, planned.out + planned.err
    assert HOOK_KEY not in (repo / "environments" / "selfhosted.yaml").read_text()


# -- round trip on varied projects --------------------------------------------------------

VARIED = {
    "hooks-and-durations": """
identity_config:
  selfservice:
    flows:
      login:
        lifespan: 2h
        after:
          password:
            hooks:
              - hook: require_verified_address
          hooks:
            - hook: web_hook
              config:
                url: https://hooks.acme.test/login
                method: POST
                body: file://../hooks/login.jsonnet
                response: {parse: true}
                auth:
                  type: api_key
                  config: {name: X-Api-Key, value: "${LOGIN_HOOK_KEY}", in: header}
""",
    "aal-and-methods": """
identity_config:
  selfservice:
    methods:
      code: {mfa_enabled: false, passwordless_enabled: true}
      webauthn:
        enabled: true
        config: {passwordless: false, rp: {id: acme.test, display_name: Acme, origins: [https://acme.test]}}
    flows:
      settings: {required_aal: aal1}
  session: {whoami: {required_aal: aal1}, lifespan: 24h}
""",
    "courier-and-remove": """
identity_config:
  courier:
    smtp:
      from_name: Acme Security
      connection_uri: "smtps://acme:${LOGIN_HOOK_KEY}@mail.acme.test:465"
remove:
  - /selfservice/methods/password/config/max_breaches
""",
    "custom-schema-as-default": """
identity_config:
  identity:
    default_schema_id: customer-v1
    schemas:
      - id: customer-v1
        url: file://../schemas/customer-v1.schema.json
        selfservice_selectable: true
""",
    "disabled-flows-and-lists": """
identity_config:
  selfservice:
    allowed_return_urls: [https://app.acme.test, https://admin.acme.test]
    default_browser_return_url: https://app.acme.test/
    flows:
      registration: {enabled: false}
      recovery: {enabled: false, use: link}
      login: {ui_url: https://app.acme.test/login}
    methods:
      link: {enabled: false}
      totp: {enabled: true, config: {issuer: "Acme $$ Co"}}
      lookup_secret: {enabled: true}
""",
    "example-prod": None,  # environments/prod.yaml as shipped
}


@pytest.mark.parametrize("case", sorted(VARIED))
def test_export_of_an_applied_environment_plans_clean(
    example_repo: Path, run: Run, ory_server: OryTestServer, case: str
) -> None:
    project = ory_server.add_project()
    body = VARIED[case]
    name = "prod" if body is None else "varied"
    if body is not None:
        header = f"target:\n  ory_network:\n    project: {project}\n"
        (example_repo / "environments" / "varied.yaml").write_text(header + body)
    else:
        prod = example_repo / "environments" / "prod.yaml"
        prod.write_text(re.sub(r"project: \S+", f"project: {project}", prod.read_text()))
    env = _env(ory_server, LOGIN_HOOK_KEY=HOOK_KEY)
    applied = run("apply", name, "--yes", "--allow-weaken", env=env)
    assert applied.code == 0, applied.out + applied.err

    exported, planned = _export_then_plan(run, example_repo, ory_server, project)
    assert planned.code == 0, planned.out + planned.err
    assert planned.out.endswith("No changes.\n")
    assert HOOK_KEY not in (example_repo / "environments" / "exported.yaml").read_text()
    # The exported file is itself a valid environment.
    assert run("validate", "exported", env=_variables(exported)).code == 0


def test_export_with_extends_keeps_only_what_the_base_does_not_say(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    env = _env(ory_server, LOGIN_HOOK_KEY=HOOK_KEY)
    assert run("apply", "dev", "--yes", env=env).code == 0
    ory_server.console_edit(lambda c: c["session"]["whoami"].update(required_aal="aal1"))

    exported = run("export", "dev", "--extends", "base.yaml", "--out", "-", env=env)
    assert exported.code == 0, exported.err
    written = load_with_positions(exported.out).data
    assert isinstance(written, dict)
    assert written["extends"] == "base.yaml"
    config = written["identity_config"]
    # dev's own setting, and the base's setting that live no longer follows...
    assert get_at(config, "/selfservice/methods/totp/config/issuer") == (True, "Acme (dev)")
    assert get_at(config, "/session/whoami/required_aal") == (True, "aal1")
    # ...but nothing the base already says and live agrees with.
    for pointer in ("/selfservice/methods/lookup_secret", "/identity", "/selfservice/flows/login"):
        assert not get_at(config, pointer)[0], pointer

    (example_repo / "environments" / "dev.yaml").write_text(exported.out)
    planned = run("plan", "dev", "--detailed-exitcode", env={**env, **_variables(exported)})
    assert planned.code == 0, planned.out + planned.err


def test_export_needs_a_target(tmp_path: Path, run: Run) -> None:
    repo = _repo(tmp_path)
    shutil.copy(FIXTURE_PROJECT, repo / "unused.json")
    (repo / "environments" / "base.yaml").write_text("identity_config: {}\n")
    result = run("export", "base", "--out", "-")
    assert result.code == 1
    assert "has no target" in result.err


def test_schema_file_is_the_exact_live_content(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    repo = _repo(tmp_path)
    _export_then_plan(run, repo, ory_server, ory_server.project_id)
    live = ory_server.project_document()["services"]["identity"]["config"]["identity"]["schemas"]
    email = next(s for s in live if s["id"] == "preset://email")
    content = (repo / "schemas" / "preset-email.schema.json").read_bytes()
    digest = hashlib.sha512(base64.b64decode(email["url"].removeprefix("base64://"))).hexdigest()
    assert hashlib.sha512(content).hexdigest() == digest


# -- the pure parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("30m0s", "30m"),
        ("1h0m0s", "1h"),
        ("72h0m0s", "72h"),
        ("1h30m0s", "1h30m"),
        ("1m30s", "1m30s"),
        ("0s", "0s"),
        ("1.5s", "1.5s"),
        ("Acme", "Acme"),
        ("", ""),
    ],
)
def test_short_duration(text: str, short: str) -> None:
    assert short_duration(text) == short


def _documented(pointer: str) -> tuple[bool, Any]:
    defaults: dict[str, Any] = {"/a/enabled": True, "/a/list": ["x"], "/b/list": []}
    return (pointer in defaults, defaults.get(pointer))


def test_minimal_config_drops_defaults_and_empties_but_keeps_a_decided_empty_list() -> None:
    live: JSONObject = {
        "a": {"enabled": True, "list": [], "name": "kept"},
        "b": {"list": [], "empty": {}},
        "serve": {"public": {"base_url": "https://p.test/"}},
        "selfservice": {"allowed_return_urls": ["https://p.test"]},
    }
    rules = ExportRules(default_at=_documented, server_managed=("/serve",))
    assert minimal_config(live, rules) == {
        "a": {"list": [], "name": "kept"},  # [] differs from the default ["x"]
        "selfservice": {"allowed_return_urls": ["https://p.test"]},  # not Ory Network
    }
    network = ExportRules(_documented, ("/serve",), network_fill_ins=True)
    assert "selfservice" not in minimal_config(live, network)


def test_overlay_keeps_what_the_base_does_not_say_and_where_live_disagrees() -> None:
    live: JSONObject = {"a": {"x": 1, "y": 2, "z": 3}, "b": {"list": [1, 2]}}
    minimal: JSONObject = {"a": {"x": 1, "y": 2}, "b": {"list": [1, 2]}}  # z is a default
    base: JSONObject = {"a": {"x": 1, "z": 9}, "b": {"list": [1, 2]}}
    changes = [Change("/a/z", "change", 3, 9)]
    assert overlay_on(base, live, minimal, changes) == {"a": {"y": 2, "z": 3}}


def test_names_stay_unique_and_secrets_become_variables() -> None:
    body = "base64://" + base64.b64encode(b"function(ctx) ctx").decode()
    other = "base64://" + base64.b64encode(b"function(ctx) {}").decode()
    # "x" and "x-" both give the file name "x-body": the second one gets a suffix.
    config: JSONObject = {"x": {"body": body}, "x-": {"body": other}, "y": {"value": "***"}}
    exported = externalize(config, ExportRules(default_at=_documented))
    assert {f.path: f.content for f in exported.files} == {
        "hooks/x-body.jsonnet": b"function(ctx) ctx",
        "hooks/x-body-2.jsonnet": b"function(ctx) {}",
    }
    assert exported.identity_config["x-"] == {"body": "file://../hooks/x-body-2.jsonnet"}
    assert exported.identity_config["y"] == {"value": "${Y_VALUE}"}  # redacted: a secret


@pytest.mark.ory_server
def test_stored_content_is_fetched_once_and_exported_as_files(tmp_path: Path, run: Run) -> None:
    # When Ory's storage answers, stored Jsonnet bodies and custom schemas become files too;
    # each fetched file is checked against the SHA-512 its URL names.
    repo = _repo(tmp_path)
    schema = (
        Path(__file__).resolve().parents[2] / "schemas" / "customer-v1.schema.json"
    ).read_text()
    with OryTestServer(local_storage=True) as server:
        config = _with_secrets()
        config["identity"]["schemas"].append(
            {"id": "customer", "url": "base64://" + base64.b64encode(schema.encode()).decode()}
        )
        project = server.add_project(config)
        _, planned = _export_then_plan(run, repo, server, project)
        assert planned.code == 0, planned.out + planned.err
        fetched = [r.path for r in server.requests if r.path.startswith("/storage/")]
    environment = (repo / "environments" / "exported.yaml").read_text()
    assert "/storage/" not in environment  # nothing left as a URL
    hook_files = sorted((repo / "hooks").iterdir())
    assert [p.read_bytes() for p in hook_files if p.name.startswith("login")] == [
        b"function(ctx) { id: ctx.identity.id }"
    ]
    schema_files = [
        p for p in (repo / "schemas").iterdir() if json.loads(p.read_text()) == json.loads(schema)
    ]
    assert len(schema_files) == 1
    assert len(fetched) == len(set(fetched))  # each stored file fetched once
