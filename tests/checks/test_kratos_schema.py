from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import official
from reconciler.checks.kratos_schema import KratosSchema, defaults_of, for_target
from reconciler.checks.schema_messages import SchemaProblem
from reconciler.errors import ConfigError
from reconciler.official import releases
from reconciler.services.registry import IDENTITY

from conftest import FIXTURE_PROJECT as PROJECT
from conftest import KRATOS

Doc = dict[str, Any]


def validate_config(document: Doc, kind: str = "ory_network") -> list[SchemaProblem]:
    assert kind in ("ory_network", "kratos_file")
    return for_target("ory_network" if kind == "ory_network" else "kratos_file").validate_config(
        document
    )


def validate_identity_schema(document: Doc) -> list[SchemaProblem]:
    return for_target("ory_network").validate_identity_schema(document)


def load_kratos_schema(path: Path) -> KratosSchema:
    return for_target("kratos_file", path)


def fake_checkout(tmp_path: Path) -> Path:
    """A Kratos checkout made of the shipped files, laid out as in ory/kratos."""
    config = tmp_path / "embedx" / "config.schema.json"
    config.parent.mkdir(parents=True)
    shutil.copyfile(official.KRATOS_RELEASE_CONFIG, config)
    return config


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
    assert validate_config(live_config()) == []


def test_dsn_is_required_only_for_kratos_files() -> None:
    problems = validate_config(live_config(), "kratos_file")
    assert [p.pointer for p in problems] == [""]
    assert "`dsn`" in problems[0].message


def test_one_schema_judges_each_document_on_its_own() -> None:
    # plan --all checks document after document with the same schema: one that differs only in
    # what the root's keywords see (a required key, a key next to the others) is judged anew.
    schema = for_target("kratos_file")
    config = live_config()
    assert [p.pointer for p in schema.validate_config(config)] == [""]  # no dsn
    assert schema.validate_config({**config, "dsn": "memory"}) == []
    typo = schema.validate_config({**config, "dsn": "memory", "sesion": {}})
    assert [p.pointer for p in typo] == ["/sesion"]
    assert [p.pointer for p in schema.validate_config(config)] == [""]


def test_type_error_deep_in_passthrough_config_has_its_pointer() -> None:
    config = live_config()
    config["courier"]["message_retries"] = "five"
    problems = validate_config(config)
    assert [p.pointer for p in problems] == ["/courier/message_retries"]
    assert "integer" in problems[0].message and '"five"' in problems[0].message
    assert not problems[0].known_network_deviation


def test_unknown_key_is_explained_as_possibly_network_only() -> None:
    config = live_config()
    config["selfservice"]["methods"]["password"]["config"]["min_lenght"] = 9
    problems = validate_config(config)
    assert [p.pointer for p in problems] == ["/selfservice/methods/password/config/min_lenght"]
    assert problems[0].unknown_key
    assert "unknown to the OSS Kratos config schema" in problems[0].message
    assert "did you mean `min_password_length`?" in problems[0].message


def test_unknown_key_without_a_close_match_may_be_network_only() -> None:
    config = live_config()
    config["selfservice"]["methods"]["password"]["config"]["zzz"] = 9
    problems = validate_config(config)
    assert [p.pointer for p in problems] == ["/selfservice/methods/password/config/zzz"]
    assert "Ory Network-only" in problems[0].message and "did you mean" not in problems[0].message


def test_session_in_flow_level_registration_hooks_is_a_known_network_deviation() -> None:
    config = live_config()
    config["selfservice"]["flows"]["registration"]["after"]["hooks"] = [{"hook": "session"}]
    problems = validate_config(config)
    assert [(p.pointer, p.known_network_deviation) for p in problems] == [
        ("/selfservice/flows/registration/after/hooks/0", True)
    ]
    assert "web_hook" in problems[0].message  # names what the OSS schema allows there


def test_session_in_login_hooks_is_a_real_error() -> None:
    config = live_config()
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [{"hook": "session"}]
    problems = validate_config(config)
    assert [(p.pointer, p.known_network_deviation) for p in problems] == [
        ("/selfservice/flows/login/after/hooks/0", False)
    ]
    assert "hook `session` is not allowed" in problems[0].message


def test_broken_web_hook_is_explained_by_the_web_hook_branch() -> None:
    config = live_config()
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [
        web_hook({"ignore": True, "parse": True})
    ]
    problems = validate_config(config)
    assert [p.pointer for p in problems] == [
        "/selfservice/flows/login/after/hooks/0/config/response"
    ]
    assert not problems[0].unknown_key


def test_valid_web_hook_passes() -> None:
    config = live_config()
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = [
        web_hook({"ignore": False, "parse": True})
    ]
    assert validate_config(config) == []


def test_required_aal_enum() -> None:
    config = live_config()
    config["session"]["whoami"]["required_aal"] = "aal2"
    problems = validate_config(config)
    assert [p.pointer for p in problems] == ["/session/whoami/required_aal"]
    assert '"highest_available"' in problems[0].message


def test_tracing_is_checked_against_the_shipped_ory_x_schema(tmp_path: Path) -> None:
    config = live_config()
    config["tracing"] = {"provider": "carrier-pigeon"}
    problems = validate_config(config)
    assert [p.pointer for p in problems] == ["/tracing/provider"]
    # An overriding schema without the ory/x schema beside it falls back to the shipped one.
    lonely = load_kratos_schema(fake_checkout(tmp_path))
    assert [p.pointer for p in lonely.validate_config(config)] == ["", "/tracing/provider"]


def test_an_override_uses_the_ory_x_schema_of_its_checkout(tmp_path: Path) -> None:
    config_schema = fake_checkout(tmp_path)
    sibling = tmp_path / "oryx" / "otelx" / "config.schema.json"
    sibling.parent.mkdir(parents=True)
    sibling.write_text('{"$id": "ory://tracing-config", "type": "object"}')
    config = {**live_config(), "dsn": "memory", "tracing": {"provider": "carrier-pigeon"}}
    assert load_kratos_schema(config_schema).validate_config(config) == []


def test_missing_schema_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read JSON schema"):
        load_kratos_schema(tmp_path / "nope.json")


def test_a_schema_is_cached_per_kind_and_path() -> None:
    assert for_target("kratos_file") is for_target("kratos_file", release=releases.newest())
    assert for_target("kratos_file").path == official.KRATOS_RELEASE_CONFIG
    assert for_target("ory_network") is not for_target("kratos_file")


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
    assert for_target("kratos_file").default_at(pointer) == expected
    assert for_target("ory_network").default_at(pointer) == expected


def test_defaults_come_from_the_schema_of_the_target_kind() -> None:
    # Kratos master moved the fallback UI from ory.sh to ory.com; Ory Network follows master.
    pointer = "/selfservice/flows/login/ui_url"
    assert for_target("kratos_file").default_at(pointer) == (
        True,
        "https://www.ory.sh/kratos/docs/fallback/login",
    )
    assert for_target("ory_network").default_at(pointer) == (
        True,
        "https://www.ory.com/kratos/docs/fallback/login",
    )
    assert defaults_of(IDENTITY)("/selfservice/methods/totp/enabled") == (True, False)


@pytest.mark.parametrize(
    "path",
    [
        KRATOS / "contrib/quickstart/kratos/email-password/identity.schema.json",
        KRATOS / "contrib/quickstart/kratos/phone-password/identity.schema.json",
        KRATOS / "test/e2e/profiles/mfa-optional/identity.traits.schema.json",
    ],
)
def test_real_identity_schemas_are_valid(path: Path) -> None:
    assert validate_identity_schema(json.loads(path.read_text())) == []


def identity_schema(trait: Doc) -> Doc:
    return {"properties": {"traits": {"type": "object", "properties": {"email": trait}}}}


def test_identity_schema_bad_channel() -> None:
    schema = identity_schema(
        {
            "type": "string",
            "ory.sh/kratos": {"credentials": {"code": {"identifier": True, "via": "fax"}}},
        }
    )
    problems = validate_identity_schema(schema)
    assert [p.pointer for p in problems] == [
        "/properties/traits/properties/email/ory.sh~1kratos/credentials/code/via"
    ]


def test_identity_schema_unknown_extension_key() -> None:
    schema = identity_schema({"type": "string", "ory.sh/kratos": {"mfa": True}})
    problems = validate_identity_schema(schema)
    assert [(p.pointer, p.unknown_key) for p in problems] == [
        ("/properties/traits/properties/email/ory.sh~1kratos/mfa", True)
    ]
    assert "Ory Network-only" in problems[0].message


def test_identity_schema_verification_needs_a_format() -> None:
    trait: Doc = {"type": "string", "ory.sh/kratos": {"verification": {"via": "email"}}}
    assert validate_identity_schema(identity_schema({**trait, "format": "email"})) == []
    problems = validate_identity_schema(identity_schema({**trait, "format": "uri"}))
    assert [p.pointer for p in problems] == ["/properties/traits/properties/email/format"]


def test_identity_schema_without_traits() -> None:
    problems = validate_identity_schema({"properties": {}})
    assert [p.pointer for p in problems] == ["/properties"]
    assert "`traits`" in problems[0].message


# -- the Ory Network overlay ----------------------------------------------------------------


def network_only_keys(config: Doc) -> Doc:
    methods = config["selfservice"]["methods"]
    methods["captcha"] = {
        "enabled": True,
        "config": {"allowed_domains": ["example.com"], "cf_turnstile": {"sitekey": "0x4AAA"}},
    }
    methods["oidc"]["enable_auto_link_policy"] = True
    methods["code"]["passwordless_login_fallback_enabled"] = False
    methods["deviceauthn"] = {"enabled": False, "config": {"pin_max_attempts": 5}}
    methods["saml"] = {"enabled": False}
    return config


def test_network_only_keys_are_valid_for_ory_network() -> None:
    assert validate_config(network_only_keys(live_config())) == []


def test_network_only_keys_are_errors_in_a_kratos_file() -> None:
    config = {**network_only_keys(live_config()), "dsn": "memory"}
    problems = validate_config(config, "kratos_file")
    assert [(p.pointer, p.unknown_key, p.ignored_key) for p in problems] == [
        ("/selfservice/methods/captcha", True, False),
        # `code` is an open object: Kratos takes the key, and ignores it (a warning).
        ("/selfservice/methods/code/passwordless_login_fallback_enabled", False, True),
        ("/selfservice/methods/deviceauthn", True, False),
        ("/selfservice/methods/oidc/enable_auto_link_policy", True, False),
        ("/selfservice/methods/saml", True, False),
    ]
    assert "Kratos would refuse it" in problems[0].message
    assert "Kratos accepts it there and ignores it" in problems[1].message


def test_the_overlay_keeps_catching_typos_and_wrong_types() -> None:
    config = network_only_keys(live_config())
    captcha = config["selfservice"]["methods"]["captcha"]
    captcha["enabeld"] = True
    captcha["config"]["allowed_domains"] = "example.com"
    config["selfservice"]["methods"]["deviceauthn"]["config"]["pin_max_attempts"] = "five"
    problems = validate_config(config)
    assert [(p.pointer, p.unknown_key) for p in problems] == [
        ("/selfservice/methods/captcha/config/allowed_domains", False),
        ("/selfservice/methods/captcha/enabeld", True),
        ("/selfservice/methods/deviceauthn/config/pin_max_attempts", False),
    ]


def test_the_overlay_only_adds_keys_kratos_lacks() -> None:
    overlay = json.loads(official.NETWORK_OVERLAY.read_text())
    plain = for_target("kratos_file", official.KRATOS_MASTER_CONFIG)
    assert overlay["keys"]
    assert not [pointer for pointer in overlay["keys"] if plain.declares(pointer)]
    assert all(for_target("ory_network").declares(pointer) for pointer in overlay["keys"])


# -- objects the schema leaves open (issue 22, item 2) --------------------------------------


def _code_method(**keys: Any) -> Doc:
    return {"selfservice": {"methods": {"code": {"enabled": True, **keys}}}}


def test_a_typo_in_an_open_object_is_an_error_with_a_did_you_mean() -> None:
    # The OSS schema leaves selfservice.methods.code open: `mfa_enabeld` passes it, and Ory
    # drops it silently: forced email 2FA would stay as it was.
    schema = for_target("ory_network")
    assert schema.declares("/selfservice/methods/code/mfa_enabled")
    problems = schema.validate_config(_code_method(mfa_enabeld=True), partial=True)
    assert [(p.pointer, p.unknown_key, p.ignored_key) for p in problems] == [
        ("/selfservice/methods/code/mfa_enabeld", True, False)
    ]
    assert "did you mean `mfa_enabled`?" in problems[0].message
    assert "Ory Network accepts it there and silently drops it" in problems[0].message


def test_another_unknown_key_in_an_open_object_is_a_warning() -> None:
    problems = for_target("ory_network").validate_config(
        _code_method(fallback_policy="strict"), partial=True
    )
    assert [(p.pointer, p.unknown_key, p.ignored_key) for p in problems] == [
        ("/selfservice/methods/code/fallback_policy", False, True)
    ]
    assert "(known here: config, enabled, max_submissions, mfa_enabled" in problems[0].message


def test_open_objects_are_judged_in_a_kratos_file_too() -> None:
    config = {**live_config(), "dsn": "memory"}
    config["selfservice"]["methods"]["code"] = {"enabled": True, "mfa_enabeld": True}
    problems = for_target("kratos_file").validate_config(config)
    assert [(p.pointer, p.unknown_key) for p in problems] == [
        ("/selfservice/methods/code/mfa_enabeld", True)
    ]
    assert "Kratos accepts it there and ignores it" in problems[0].message


def test_maps_and_declared_keys_of_open_objects_are_not_judged() -> None:
    config = live_config()
    # Header names are the user's (a map), an rp may hold display_name/id/origins.
    config["courier"]["smtp"]["headers"] = {"X-SES-Configuration-Set": "marketing"}
    config["selfservice"]["methods"]["code"] = {"enabled": True, "mfa_enabled": True}
    assert validate_config(config) == []


def test_a_typo_in_a_saml_provider_is_caught() -> None:
    provider = {"id": "corp", "raw_idp_metadta_xml": "base64://PHhtbC8+"}
    config: Doc = {"selfservice": {"methods": {"saml": {"config": {"providers": [provider]}}}}}
    problems = for_target("ory_network").validate_config(config, partial=True)
    assert [(p.pointer, p.unknown_key) for p in problems] == [
        ("/selfservice/methods/saml/config/providers/0/raw_idp_metadta_xml", True)
    ]
    assert "did you mean `raw_idp_metadata_xml`?" in problems[0].message


@pytest.mark.parametrize("kind", [7, ["string", 3], {"hook": "web_hook"}])
def test_identity_schema_type_that_is_not_text_is_a_problem_not_a_crash(kind: object) -> None:
    # Issue 21: draft-07's `type` alternatives reference its meta-schema, which the config
    # schema's resolver cannot follow; describing them as hook lists crashed.
    problems = validate_identity_schema(identity_schema({"type": kind}))
    assert [p.pointer for p in problems] == ["/properties/traits/properties/email/type"]
    assert "allowed values are" in problems[0].message
