from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ConfigError
from reconciler.kratos_schema import (
    documented_default,
    load_kratos_schema,
    validate_config,
    validate_identity_schema,
)

Doc = dict[str, Any]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KRATOS = SHARED / "ory" / "kratos-v26.2.0"
CONFIG_SCHEMA = KRATOS / "embedx" / "config.schema.json"
PROJECT = SHARED / "ory" / "ory-cli" / "fixtures" / "project-get-response.config.json"


def live_config() -> Doc:
    project = json.loads(PROJECT.read_text())
    config = project["services"]["identity"]["config"]
    assert isinstance(config, dict)
    return copy.deepcopy(config)


def web_hook(response: Doc) -> Doc:
    return {
        "hook": "web_hook",
        "config": {"url": "https://hooks.example.com", "method": "POST", "response": response},
    }


def test_live_ory_network_config_is_valid_without_dsn() -> None:
    assert validate_config(live_config(), CONFIG_SCHEMA) == []


def test_dsn_is_required_only_on_request() -> None:
    problems = validate_config(live_config(), CONFIG_SCHEMA, require_dsn=True)
    assert [p.pointer for p in problems] == [""]
    assert "`dsn`" in problems[0].message


def test_type_error_deep_in_passthrough_config_has_its_pointer() -> None:
    config = live_config()
    config["courier"]["message_retries"] = "five"
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/courier/message_retries"]
    assert "integer" in problems[0].message and '"five"' in problems[0].message
    assert not problems[0].known_network_deviation


def test_unknown_key_is_explained_as_possibly_network_only() -> None:
    config = live_config()
    config["selfservice"]["methods"]["password"]["config"]["min_lenght"] = 9
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/selfservice/methods/password/config/min_lenght"]
    assert problems[0].unknown_key
    assert "unknown to the OSS Kratos config schema" in problems[0].message
    assert "did you mean `min_password_length`?" in problems[0].message


def test_unknown_key_without_a_close_match_may_be_network_only() -> None:
    config = live_config()
    config["selfservice"]["methods"]["password"]["config"]["zzz"] = 9
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/selfservice/methods/password/config/zzz"]
    assert "Ory Network-only" in problems[0].message and "did you mean" not in problems[0].message


def test_session_in_flow_level_registration_hooks_is_a_known_network_deviation() -> None:
    config = live_config()
    config["selfservice"]["flows"]["registration"]["after"]["hooks"] = [{"hook": "session"}]
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [(p.pointer, p.known_network_deviation) for p in problems] == [
        ("/selfservice/flows/registration/after/hooks/0", True)
    ]
    assert "web_hook" in problems[0].message  # names what the OSS schema allows there


def test_session_in_login_hooks_is_a_real_error() -> None:
    config = live_config()
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [{"hook": "session"}]
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [(p.pointer, p.known_network_deviation) for p in problems] == [
        ("/selfservice/flows/login/after/hooks/0", False)
    ]
    assert "hook `session` is not allowed" in problems[0].message


def test_broken_web_hook_is_explained_by_the_web_hook_branch() -> None:
    config = live_config()
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [
        web_hook({"ignore": True, "parse": True})
    ]
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == [
        "/selfservice/flows/login/after/hooks/0/config/response"
    ]
    assert not problems[0].unknown_key


def test_valid_web_hook_passes() -> None:
    config = live_config()
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [
        web_hook({"ignore": False, "parse": True})
    ]
    assert validate_config(config, CONFIG_SCHEMA) == []


def test_required_aal_enum() -> None:
    config = live_config()
    config["session"]["whoami"]["required_aal"] = "aal2"
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/session/whoami/required_aal"]
    assert '"highest_available"' in problems[0].message


def test_tracing_uses_the_sibling_ory_x_schema() -> None:
    config = live_config()
    config["tracing"] = {"provider": "carrier-pigeon"}
    problems = validate_config(config, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/tracing/provider"]


def test_tracing_falls_back_to_a_permissive_stub(tmp_path: Path) -> None:
    lonely = tmp_path / "embedx" / "config.schema.json"
    lonely.parent.mkdir()
    shutil.copyfile(CONFIG_SCHEMA, lonely)
    config = live_config()
    config["tracing"] = {"provider": "carrier-pigeon"}
    assert validate_config(config, lonely) == []


def test_missing_schema_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read JSON schema"):
        load_kratos_schema(tmp_path / "nope.json")


def test_compiled_schema_is_cached_per_path() -> None:
    assert load_kratos_schema(CONFIG_SCHEMA) is load_kratos_schema(str(CONFIG_SCHEMA))


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("/session/whoami/required_aal", (True, "highest_available")),
        ("/selfservice/flows/settings/required_aal", (True, "highest_available")),
        ("/selfservice/methods/code/mfa_enabled", (True, False)),
        ("/selfservice/methods/password/config/min_password_length", (True, 8)),
        ("/courier/message_retries", (True, 5)),
        # array index → items, $ref → definition, anyOf branch → web_hook config
        ("/selfservice/flows/login/after/hooks/0/config/emit_analytics_event", (True, True)),
        ("/selfservice/methods/oidc/config/providers/3/pkce", (True, "auto")),
        ("/selfservice/methods/oidc/config/providers/3/scope", (False, None)),
        ("/no/such/key", (False, None)),
    ],
)
def test_default_at(pointer: str, expected: tuple[bool, object]) -> None:
    assert load_kratos_schema(CONFIG_SCHEMA).default_at(pointer) == expected


def test_documented_defaults_agree_with_the_schema() -> None:
    schema = load_kratos_schema(CONFIG_SCHEMA)
    for pointer in (
        "/session/whoami/required_aal",
        "/selfservice/methods/totp/enabled",
        "/selfservice/methods/password/config/haveibeenpwned_enabled",
        "/selfservice/flows/verification/use",
    ):
        assert schema.default_at(pointer) == documented_default(pointer)


@pytest.mark.parametrize(
    "path",
    [
        KRATOS / "contrib/quickstart/kratos/email-password/identity.schema.json",
        KRATOS / "contrib/quickstart/kratos/phone-password/identity.schema.json",
        KRATOS / "test/e2e/profiles/mfa-optional/identity.traits.schema.json",
    ],
)
def test_real_identity_schemas_are_valid(path: Path) -> None:
    assert validate_identity_schema(json.loads(path.read_text()), CONFIG_SCHEMA) == []


def identity_schema(trait: Doc) -> Doc:
    return {"properties": {"traits": {"type": "object", "properties": {"email": trait}}}}


def test_identity_schema_bad_channel() -> None:
    schema = identity_schema(
        {
            "type": "string",
            "ory.sh/kratos": {"credentials": {"code": {"identifier": True, "via": "fax"}}},
        }
    )
    problems = validate_identity_schema(schema, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == [
        "/properties/traits/properties/email/ory.sh~1kratos/credentials/code/via"
    ]


def test_identity_schema_unknown_extension_key() -> None:
    schema = identity_schema({"type": "string", "ory.sh/kratos": {"mfa": True}})
    problems = validate_identity_schema(schema, CONFIG_SCHEMA)
    assert [(p.pointer, p.unknown_key) for p in problems] == [
        ("/properties/traits/properties/email/ory.sh~1kratos/mfa", True)
    ]
    assert "Ory Network-only" in problems[0].message


def test_identity_schema_verification_needs_a_format() -> None:
    trait: Doc = {"type": "string", "ory.sh/kratos": {"verification": {"via": "email"}}}
    assert (
        validate_identity_schema(identity_schema({**trait, "format": "email"}), CONFIG_SCHEMA) == []
    )
    problems = validate_identity_schema(identity_schema({**trait, "format": "uri"}), CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/properties/traits/properties/email/format"]


def test_identity_schema_without_traits() -> None:
    problems = validate_identity_schema({"properties": {}}, CONFIG_SCHEMA)
    assert [p.pointer for p in problems] == ["/properties"]
    assert "`traits`" in problems[0].message
