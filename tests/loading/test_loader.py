from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ConfigError
from reconciler.loading.loader import load_environment
from reconciler.services.registry import IDENTITY

Write = Callable[[str, str], Path]


def _problem(excinfo: pytest.ExceptionInfo[ConfigError]) -> str:
    assert len(excinfo.value.problems) == 1
    return excinfo.value.problems[0]


def test_extends_merges_maps_replaces_lists_and_keeps_positions(
    tmp_path: Path, write: Write
) -> None:
    write(
        "environments/base.yaml",
        """
        identity_config:
          selfservice:
            methods:
              totp: {enabled: true, config: {issuer: Base}}
            allowed_return_urls: [https://a.test, https://b.test]
        remove:
          - /selfservice/methods/link/config/base_url
        """,
    )
    write(
        "environments/dev.yaml",
        """
        extends: base.yaml
        target:
          kratos_file: {path: kratos.yml}
        identity_config:
          selfservice:
            methods:
              totp:
                config:
                  issuer: Dev
            allowed_return_urls: [https://dev.test]
        remove:
          - /courier/smtp/from_name
        """,
    )
    raw = load_environment(tmp_path, "dev", {})
    config = raw.data["identity_config"]
    assert config == {
        "selfservice": {
            "methods": {"totp": {"enabled": True, "config": {"issuer": "Dev"}}},
            "allowed_return_urls": ["https://dev.test"],
        }
    }
    assert raw.data["remove"] == [
        "/selfservice/methods/link/config/base_url",
        "/courier/smtp/from_name",
    ]
    issuer = raw.location("/identity_config/selfservice/methods/totp/config/issuer")
    enabled = raw.location("/identity_config/selfservice/methods/totp/enabled")
    assert issuer is not None and enabled is not None
    assert (Path(issuer.file).name, issuer.line) == ("dev.yaml", 9)
    assert (Path(enabled.file).name, enabled.line) == ("base.yaml", 4)
    # The base's list was replaced whole: its second URL is reported where the new list is.
    replaced = raw.location("/identity_config/selfservice/allowed_return_urls/1")
    assert replaced is not None and Path(replaced.file).name == "dev.yaml"
    assert [p.name for p in raw.files] == ["base.yaml", "dev.yaml"]


def test_target_is_replaced_whole_by_the_overlay(tmp_path: Path, write: Write) -> None:
    write("environments/base.yaml", "target: {kratos_file: {path: a.yml}}\n")
    write(
        "environments/dev.yaml",
        "extends: base.yaml\n"
        "target: {ory_network: {project: 6f0cae50-182d-8f7a-afdd-f83f3fa1f30c}}\n",
    )
    raw = load_environment(tmp_path, "dev", {})
    assert raw.data["target"] == {
        "ory_network": {"project": "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"}
    }


def test_variables_are_substituted_and_remembered_as_secret(tmp_path: Path, write: Write) -> None:
    write(
        "environments/dev.yaml",
        """
        identity_config:
          courier:
            smtp:
              connection_uri: "smtps://u:${SMTP_PASSWORD}@mail.test:465"
              from_name: "Cost $$5"
        """,
    )
    raw = load_environment(tmp_path, "dev", {"SMTP_PASSWORD": "hunter2"})
    data: Any = raw.data
    smtp = data["identity_config"]["courier"]["smtp"]
    assert smtp == {"connection_uri": "smtps://u:hunter2@mail.test:465", "from_name": "Cost $5"}
    secret = raw.pointers_of(IDENTITY, "variables")
    assert set(secret) == {"/courier/smtp/connection_uri"}
    assert secret["/courier/smtp/connection_uri"].variables == ("SMTP_PASSWORD",)


def test_missing_variable_names_file_line_and_key(tmp_path: Path, write: Write) -> None:
    write(
        "environments/dev.yaml",
        """
        identity_config:
          courier:
            smtp:
              connection_uri: ${SMTP_URI}
        """,
    )
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path, "dev", {})
    assert _problem(excinfo).endswith(
        "dev.yaml:4:7: identity_config.courier.smtp.connection_uri: "
        "environment variable SMTP_URI is not set"
    )


def test_file_references_are_inlined_as_base64(tmp_path: Path, write: Write) -> None:
    write("hooks/body.jsonnet", "function(ctx) ctx\n")
    write("schemas/person.yaml", "type: object\nproperties: {traits: {type: object}}\n")
    write(
        "environments/dev.yaml",
        """
        identity_config:
          identity:
            schemas:
              - {id: person, url: "file://../schemas/person.yaml"}
          selfservice:
            flows:
              login:
                after:
                  hooks:
                    - hook: web_hook
                      config: {url: "https://h.test", method: POST, body: "file://../hooks/body.jsonnet"}
        """,
    )
    raw = load_environment(tmp_path, "dev", {})
    config: Any = raw.data["identity_config"]
    hook = config["selfservice"]["flows"]["login"]["after"]["hooks"][0]
    assert hook["config"]["body"] == "base64://" + base64.b64encode(b"function(ctx) ctx\n").decode()
    schema_url = config["identity"]["schemas"][0]["url"]
    decoded = base64.b64decode(schema_url.removeprefix("base64://"))
    assert decoded == b"type: object\nproperties: {traits: {type: object}}\n"  # render makes JSON
    refs = raw.pointers_of(IDENTITY, "file_ref")
    assert refs["/identity/schemas/0/url"].file_ref == "file://../schemas/person.yaml"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("file://../missing.jsonnet", "file://../missing.jsonnet: no such file"),
        ("file://../hooks", "file://../hooks is a directory, not a file"),
        ("file://../../outside.jsonnet", "points outside the repository"),
    ],
)
def test_bad_file_references(tmp_path: Path, write: Write, reference: str, expected: str) -> None:
    (tmp_path / "hooks").mkdir()
    (tmp_path.parent / "outside.jsonnet").write_text("{}")
    write(
        "environments/dev.yaml",
        f"""
        identity_config:
          courier:
            http:
              request_config: {{url: "https://x.test", method: POST, body: "{reference}"}}
        """,
    )
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path, "dev", {})
    problem = _problem(excinfo)
    assert "dev.yaml:4:61: identity_config.courier.http.request_config.body: " in problem
    assert expected in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "identity_config:\n  selfservice: [1\n",
            "dev.yaml:3:1: invalid YAML: expected ',' or ']'",
        ),
        ("a: 1\na: 2\n", 'dev.yaml:2:1: invalid YAML: found duplicate key "a"'),
        (
            "identity_config:\n\tselfservice: {}\n",
            "dev.yaml:2:1: invalid YAML: found character '\\t'",
        ),
        ("- just\n- a list\n", "dev.yaml:1:1: the file must be a YAML mapping"),
        (
            "identity_config: {}\nremove:\n",
            "dev.yaml:2:1: remove: empty (null) value",
        ),
        ("extends: nowhere.yaml\n", "dev.yaml:1:1: extends: no such file: nowhere.yaml"),
    ],
)
def test_broken_files_give_one_located_message(
    tmp_path: Path, write: Write, text: str, expected: str
) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text(text)
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path, "dev", {})
    assert expected in _problem(excinfo)


def test_extends_cycle_is_reported(tmp_path: Path, write: Write) -> None:
    write("environments/a.yaml", "extends: b.yaml\n")
    write("environments/b.yaml", "extends: a.yaml\n")
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path, "a", {})
    assert "extends cycle: " in _problem(excinfo)
    assert "a.yaml -> " in _problem(excinfo)


def test_secret_tag_marks_a_value_secret(tmp_path: Path, write: Write) -> None:
    write(
        "environments/dev.yaml",
        "identity_config:\n  courier: {smtp: {from_name: !secret hidden}}\n",
    )
    raw = load_environment(tmp_path, "dev", {})
    assert set(raw.pointers_of(IDENTITY, "tagged_secret")) == {"/courier/smtp/from_name"}


def test_unknown_environment_lists_known_ones(tmp_path: Path, write: Write) -> None:
    write("environments/dev.yaml", "{}\n")
    with pytest.raises(ConfigError, match=r"unknown environment 'prod' \(known: dev\)"):
        load_environment(tmp_path, "prod", {})


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("x\\n::add-mask::y", '"x\\n::add-mask::y"'),
        ("x\\r\\e[0Kz", '"x\\r\\u001b[0Kz"'),
        ("x\\u2028y", '"x\\u2028y"'),
    ],
)
def test_a_key_holding_a_control_character_is_refused_and_shown_escaped(
    tmp_path: Path, write: Write, key: str, shown: str
) -> None:
    # Every message naming the key would print the file's own lines (docs/security.md §9).
    write("environments/dev.yaml", f'identity_config:\n  session:\n    "{key}": 1\n')
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path, "dev", {})
    problem = _problem(excinfo)
    assert problem.endswith(
        f"environments/dev.yaml:3:5: the key {shown} holds a control character; a key is a "
        "name on one line"
    )
    assert problem.isprintable()


def test_a_null_below_identity_config_is_left_for_the_schema_to_judge(
    tmp_path: Path, write: Write
) -> None:
    # Issue 22: OIDC requested_claims asks for a claim with null (the official schema's own
    # example); the Kratos schema decides where null is a value (checks/review.py). In an
    # overlay it replaces the base's value, like any value: it never deletes.
    claims = "{id_token: {email: {essential: true}, email_verified: null}}"
    write(
        "environments/base.yaml",
        f"identity_config:\n  oidc_claims_stand_in: {claims}\n",
    )
    write(
        "environments/dev.yaml",
        "extends: base.yaml\nidentity_config:\n  oidc_claims_stand_in:\n"
        "    id_token: {email: null}\n",
    )
    raw = load_environment(tmp_path, "dev", {})
    assert raw.data["identity_config"] == {
        "oidc_claims_stand_in": {"id_token": {"email": None, "email_verified": None}}
    }
    where = raw.location("/identity_config/oidc_claims_stand_in/id_token/email")
    assert where is not None and where.file.endswith("dev.yaml") and where.line == 4
