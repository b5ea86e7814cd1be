from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from reconciler import blobs
from reconciler.checks.finding import Finding
from reconciler.checks.kratos_schema import for_target
from reconciler.checks.lint import RULES, filter_disabled, lint
from reconciler.comparing.identity_schemas import PRESETS
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONValue, deep_merge
from reconciler.services.registry import IDENTITY

from conftest import FIXTURE_PROJECT as PROJECT
from conftest import KRATOS, REPO_ROOT

Doc = dict[str, Any]
MFA_OPTIONAL = KRATOS / "test/e2e/profiles/mfa-optional/identity.traits.schema.json"
PHONE = KRATOS / "contrib/quickstart/kratos/phone-password/identity.schema.json"

CODE_MFA = "/selfservice/methods/code/mfa_enabled"
WHOAMI_AAL = "/session/whoami/required_aal"
SETTINGS_AAL = "/selfservice/flows/settings/required_aal"


def live_config() -> Doc:
    project = json.loads(PROJECT.read_text())
    config = project["services"]["identity"]["config"]
    assert isinstance(config, dict)
    return copy.deepcopy(config)


def findings_of(rule_id: str, findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def tripped(rule_id: str, desired: Doc, live: Doc | None = None) -> list[Finding]:
    return findings_of(rule_id, lint(IDENTITY, desired, live))


def schemas(default: str, *entries: tuple[str, str]) -> Doc:
    return {
        "default_schema_id": default,
        "schemas": [{"id": schema_id, "url": url} for schema_id, url in entries],
    }


def methods(**config: Any) -> Doc:
    return {"selfservice": {"methods": dict(config)}}


def merged(base: Doc, overlay: Doc) -> Doc:
    result = deep_merge(base, overlay)
    assert isinstance(result, dict)
    return result


def with_aal(desired: Doc, aal: str) -> Doc:
    return merged(
        desired,
        {
            "session": {"whoami": {"required_aal": aal}},
            "selfservice": {"flows": {"settings": {"required_aal": aal}}},
        },
    )


def code_mfa_with(schema_id: str, url: str) -> Doc:
    return {**methods(code={"mfa_enabled": True}), "identity": schemas(schema_id, (schema_id, url))}


def mfa_optional_url(*, trait_required: bool = False) -> str:
    schema = json.loads(MFA_OPTIONAL.read_text())
    if trait_required:
        schema["properties"]["traits"]["required"].append("optionalMfaEmail")
    return blobs.encode(json.dumps(schema).encode())


# -- code-mfa-forces-2fa --------------------------------------------------------------------


def test_code_mfa_with_preset_email_forces_2fa_via_default_aal() -> None:
    [finding] = tripped("code-mfa-forces-2fa", code_mfa_with("preset://email", "preset://email"))
    assert finding.severity == "error"
    # Neither required_aal is written: the rule must see the highest_available default.
    assert finding.pointers == (CODE_MFA, WHOAMI_AAL, SETTINGS_AAL, "/identity/schemas/0")
    assert "`email`" in finding.message
    assert "mfa-optional" in finding.fix and "optional" in finding.fix.lower()


def test_code_mfa_trips_for_the_e2e_profile_if_its_mfa_trait_were_required() -> None:
    desired = code_mfa_with("default", mfa_optional_url(trait_required=True))
    [finding] = tripped("code-mfa-forces-2fa", desired)
    assert "`optionalMfaEmail`" in finding.message


def test_code_mfa_with_the_optional_trait_pattern_passes() -> None:
    assert tripped("code-mfa-forces-2fa", code_mfa_with("default", mfa_optional_url())) == []


def test_code_mfa_with_aal1_everywhere_passes() -> None:
    desired = with_aal(code_mfa_with("preset://email", "preset://email"), "aal1")
    assert tripped("code-mfa-forces-2fa", desired) == []


def test_code_mfa_off_passes() -> None:
    desired = code_mfa_with("preset://email", "preset://email")
    desired["selfservice"]["methods"]["code"]["mfa_enabled"] = False
    assert tripped("code-mfa-forces-2fa", desired) == []


def test_code_mfa_sees_live_aal_and_live_preset_content() -> None:
    # Live: whoami aal1, settings highest_available, preset://email stored as base64.
    desired: Doc = {
        **methods(code={"mfa_enabled": True}),
        "identity": {"default_schema_id": "preset://email"},
    }
    [finding] = tripped("code-mfa-forces-2fa", desired, live_config())
    assert finding.pointers == (CODE_MFA, SETTINGS_AAL, "/identity/schemas/2")


def test_code_mfa_names_every_schema_with_users_the_live_default_first() -> None:
    # Live: default beb7… (content unknown offline), preset://username, preset://email. Issue 12:
    # identities of every schema in identity.schemas are forced, not only the default's.
    live = live_config()
    desired = methods(code={"mfa_enabled": True})
    [finding] = tripped("code-mfa-forces-2fa", desired, live)
    assert finding.pointers[-1] == "/identity/schemas/2"  # preset://email, not the default
    assert "`preset://email` (trait `email`; existing identities keep it)" in (finding.message)
    digest = str(live["identity"]["default_schema_id"])
    email = json.dumps(PRESETS["preset://email"]).encode()
    found = findings_of(
        "code-mfa-forces-2fa", lint(IDENTITY, desired, live, schema_contents={digest: email})
    )
    [finding] = found
    assert finding.pointers[-2:] == ("/identity/schemas/1", "/identity/schemas/2")
    assert f"`{digest}` (trait `email`; the live default: most existing identities use it)" in (
        finding.message
    )
    assert "preset://username" not in finding.message  # no code identifier: not forced


def test_code_mfa_names_the_new_default_beside_the_live_one() -> None:
    live = live_config()
    live["identity"]["default_schema_id"] = "preset://email"
    desired: Doc = {
        **methods(code={"mfa_enabled": True}),
        "identity": schemas(
            "customer-v1",
            ("preset://email", live["identity"]["schemas"][2]["url"]),
            ("customer-v1", mfa_optional_url(trait_required=True)),
        ),
    }
    [finding] = tripped("code-mfa-forces-2fa", desired, live)
    message = finding.message
    assert message.index("`preset://email` (trait `email`; the live default") < message.index(
        "`customer-v1` (trait `optionalMfaEmail`; the new default)"
    )
    assert finding.pointers[-2:] == ("/identity/schemas/0", "/identity/schemas/1")


def test_code_mfa_names_the_live_default_first_wherever_it_is_declared() -> None:
    # Same as above, the live default declared last: the ranking, not the list order, puts it
    # first (most existing identities use it).
    live = live_config()
    live["identity"]["default_schema_id"] = "preset://email"
    desired: Doc = {
        **methods(code={"mfa_enabled": True}),
        "identity": schemas(
            "customer-v1",
            ("customer-v1", mfa_optional_url(trait_required=True)),
            ("preset://email", live["identity"]["schemas"][2]["url"]),
        ),
    }
    [finding] = tripped("code-mfa-forces-2fa", desired, live)
    assert finding.message.index("`preset://email` (trait `email`; the live default") < (
        finding.message.index("`customer-v1` (trait `optionalMfaEmail`; the new default)")
    )
    assert finding.pointers[-2:] == ("/identity/schemas/1", "/identity/schemas/0")


def test_code_mfa_does_not_name_a_new_schema_nobody_can_have_yet() -> None:
    # Declared, but neither the default nor selectable, and not live: no identity has it.
    live = live_config()
    live["identity"]["default_schema_id"] = "preset://email"
    desired: Doc = {
        **methods(code={"mfa_enabled": True}),
        "identity": schemas(
            "preset://email",
            ("preset://email", live["identity"]["schemas"][2]["url"]),
            ("customer-v2", mfa_optional_url(trait_required=True)),
        ),
    }
    [finding] = tripped("code-mfa-forces-2fa", desired, live)
    assert "customer-v2" not in finding.message


def test_schema_defaults_come_from_the_kratos_schema_when_given() -> None:
    desired = code_mfa_with("preset://email", "preset://email")
    found = lint(IDENTITY, desired, None, kratos=for_target("ory_network"))
    assert [f.rule_id for f in found] == ["code-mfa-forces-2fa"]


# -- required-aal-invalid -------------------------------------------------------------------


def test_required_aal_aal2_is_rejected() -> None:
    [finding] = tripped("required-aal-invalid", {"session": {"whoami": {"required_aal": "aal2"}}})
    assert finding.pointers == (WHOAMI_AAL,)
    assert tripped("required-aal-invalid", {"session": {"whoami": {"required_aal": "aal1"}}}) == []


# -- highest-available-without-second-factor ------------------------------------------------


def test_highest_available_written_without_second_factor() -> None:
    desired = {"session": {"whoami": {"required_aal": "highest_available"}}}
    [finding] = tripped("highest-available-without-second-factor", desired)
    assert finding.severity == "warning" and finding.pointers[0] == WHOAMI_AAL
    with_totp = merged(desired, methods(totp={"enabled": True, "config": {"issuer": "Acme"}}))
    assert tripped("highest-available-without-second-factor", with_totp) == []


def test_highest_available_only_by_default_is_not_reported() -> None:
    assert tripped("highest-available-without-second-factor", {}) == []


# -- code-mfa-and-passwordless --------------------------------------------------------------


def test_code_mfa_and_passwordless_together() -> None:
    both = methods(code={"mfa_enabled": True, "passwordless_enabled": True})
    assert [f.severity for f in tripped("code-mfa-and-passwordless", both)] == ["error"]
    only_passwordless = methods(code={"passwordless_enabled": True})
    assert tripped("code-mfa-and-passwordless", only_passwordless) == []


# -- code-without-identifier ----------------------------------------------------------------


def test_code_login_without_a_code_identifier() -> None:
    desired: Doc = {
        **methods(code={"passwordless_enabled": True}),
        "identity": schemas("preset://username", ("preset://username", "preset://username")),
    }
    [finding] = tripped("code-without-identifier", desired)
    assert finding.pointers == (
        "/selfservice/methods/code/passwordless_enabled",
        "/identity/schemas/0",
    )
    desired["identity"] = schemas("preset://email", ("preset://email", "preset://email"))
    assert tripped("code-without-identifier", desired) == []


def test_code_without_identifier_is_silent_when_the_schema_is_unknown() -> None:
    desired: Doc = {
        **methods(code={"passwordless_enabled": True}),
        "identity": schemas("x", ("x", "https://example.com/unknown.json")),
    }
    assert tripped("code-without-identifier", desired) == []


# -- sms-without-channel --------------------------------------------------------------------


def test_sms_without_channel() -> None:
    desired: Doc = {"identity": schemas("phone", ("phone", blobs.encode(PHONE.read_bytes())))}
    [finding] = tripped("sms-without-channel", desired)
    # Kratos accepts it (issue 22): the messages wait and are abandoned, sign-up still works.
    assert "`phone`" in finding.message and finding.severity == "warning"
    channel = {
        "id": "sms",
        "type": "http",
        "request_config": {"url": "https://sms.example.com", "method": "POST"},
    }
    desired["courier"] = {"channels": [channel]}
    assert tripped("sms-without-channel", desired) == []


def _sms_code_only_schema() -> str:
    """The v26 phone-password quickstart schema with its one-time codes sent to the phone
    by SMS only (the email is no code address any more)."""
    schema = json.loads(PHONE.read_text())
    traits = schema["properties"]["traits"]["properties"]
    del traits["email"]["ory.sh/kratos"]["credentials"]["code"]
    traits["phone"]["ory.sh/kratos"]["credentials"]["code"] = {"identifier": True, "via": "sms"}
    return blobs.encode(json.dumps(schema).encode())


def test_sms_without_channel_is_an_error_when_nobody_can_sign_up() -> None:
    desired: Doc = {
        "identity": schemas("phone", ("phone", _sms_code_only_schema())),
        **methods(code={"passwordless_enabled": True}, password={"enabled": False}),
    }
    [finding] = tripped("sms-without-channel", desired)
    assert finding.severity == "error"
    assert "only way to sign up, so nobody can register" in finding.message
    # Another way to register (password is on by default), or an email code: a warning.
    with_password = merged(desired, methods(password={"enabled": True}))
    assert [f.severity for f in tripped("sms-without-channel", with_password)] == ["warning"]
    plain = {"identity": schemas("phone", ("phone", blobs.encode(PHONE.read_bytes())))}
    email_codes = merged(desired, plain)
    assert [f.severity for f in tripped("sms-without-channel", email_codes)] == ["warning"]


# -- second-factor-disabled-lockout ---------------------------------------------------------


def test_disabling_totp_while_highest_available_locks_users_out() -> None:
    live = merged(live_config(), methods(totp={"enabled": True}))
    assert isinstance(live, dict)
    [finding] = tripped("second-factor-disabled-lockout", methods(totp={"enabled": False}), live)
    assert finding.pointers == ("/selfservice/methods/totp/enabled", SETTINGS_AAL)
    assert (
        tripped(
            "second-factor-disabled-lockout",
            with_aal(methods(totp={"enabled": False}), "aal1"),
            live,
        )
        == []
    )
    assert tripped("second-factor-disabled-lockout", methods(totp={"enabled": True}), live) == []


def test_disabling_code_while_code_mfa_was_on() -> None:
    live = merged(live_config(), methods(code={"mfa_enabled": True}))
    assert isinstance(live, dict)
    desired = methods(code={"enabled": False})
    found = tripped("second-factor-disabled-lockout", desired, live)
    assert [f.pointers[0] for f in found] == ["/selfservice/methods/code/enabled"]
    assert tripped("second-factor-disabled-lockout", desired, live_config()) == []


def test_lockout_rule_needs_live() -> None:
    assert tripped("second-factor-disabled-lockout", methods(totp={"enabled": False})) == []


# -- webauthn-rp-missing --------------------------------------------------------------------


def test_webauthn_without_rp() -> None:
    [finding] = tripped("webauthn-rp-missing", methods(webauthn={"enabled": True}))
    assert "id, display_name" in finding.message
    rp = {"id": "example.com", "display_name": "Example"}
    assert (
        tripped("webauthn-rp-missing", methods(webauthn={"enabled": True, "config": {"rp": rp}}))
        == []
    )


def test_passkey_needs_only_a_display_name_on_ory_network() -> None:
    [finding] = tripped("webauthn-rp-missing", methods(passkey={"enabled": True}))
    assert finding.pointers[0] == "/selfservice/methods/passkey/enabled"
    ok = methods(passkey={"enabled": True, "config": {"rp": {"display_name": "Example"}}})
    assert tripped("webauthn-rp-missing", ok) == []


# -- webauthn-passwordless-not-mfa ----------------------------------------------------------


def test_passwordless_webauthn_as_the_only_mfa() -> None:
    rp = {"id": "example.com", "display_name": "Example"}
    desired = methods(webauthn={"enabled": True, "config": {"passwordless": True, "rp": rp}})
    [finding] = tripped("webauthn-passwordless-not-mfa", desired)
    assert finding.pointers[0] == "/selfservice/methods/webauthn/config/passwordless"
    assert (
        tripped("highest-available-without-second-factor", with_aal(desired, "highest_available"))
        == []
    )
    with_totp = merged(desired, methods(totp={"enabled": True}))
    assert tripped("webauthn-passwordless-not-mfa", with_totp) == []


# -- totp-issuer-missing --------------------------------------------------------------------


def test_totp_issuer() -> None:
    [finding] = tripped("totp-issuer-missing", methods(totp={"enabled": True}))
    assert finding.severity == "warning"
    assert (
        tripped(
            "totp-issuer-missing", methods(totp={"enabled": True, "config": {"issuer": "Acme"}})
        )
        == []
    )


# -- hooks ----------------------------------------------------------------------------------


def web_hook(**config: JSONValue) -> Doc:
    return {
        "hook": "web_hook",
        "config": {"url": "https://hooks.example.com", "method": "POST", **config},
    }


def registration_after(after: Doc) -> Doc:
    return {"selfservice": {"flows": {"registration": {"after": after}}}}


def test_flow_level_hooks_shadowed_by_live_method_hooks() -> None:
    desired = registration_after({"hooks": [web_hook()]})
    [finding] = tripped("hooks-shadowed-by-method", desired, live_config())
    base = "/selfservice/flows/registration/after"
    assert finding.pointers == (
        f"{base}/hooks",
        f"{base}/oidc/hooks",
        f"{base}/password/hooks",
        f"{base}/webauthn/hooks",
    )
    assert tripped("hooks-shadowed-by-method", desired) == []


def test_session_hook_must_be_last() -> None:
    desired = registration_after({"password": {"hooks": [{"hook": "session"}, web_hook()]}})
    [finding] = tripped("session-hook-not-last", desired)
    assert finding.pointers == ("/selfservice/flows/registration/after/password/hooks/0",)
    fixed = registration_after({"password": {"hooks": [web_hook(), {"hook": "session"}]}})
    assert tripped("session-hook-not-last", fixed) == []


def login_hooks(*hooks: Doc) -> Doc:
    return {"selfservice": {"flows": {"login": {"after": {"hooks": list(hooks)}}}}}


@pytest.mark.parametrize(
    "config",
    [
        {"response": {"ignore": True, "parse": True}},
        {"response": {"ignore": True}, "can_interrupt": True},
    ],
)
def test_web_hook_that_ignores_and_uses_the_response(config: Doc) -> None:
    [finding] = tripped("webhook-response-conflict", login_hooks(web_hook(**config)))
    assert finding.pointers == ("/selfservice/flows/login/after/hooks/0/config/response",)


def test_web_hook_that_only_parses_is_fine() -> None:
    assert (
        tripped("webhook-response-conflict", login_hooks(web_hook(response={"parse": True}))) == []
    )


def test_can_interrupt_is_deprecated() -> None:
    [finding] = tripped(
        "webhook-can-interrupt-deprecated", login_hooks(web_hook(can_interrupt=True))
    )
    assert "response" in finding.fix
    assert (
        tripped("webhook-can-interrupt-deprecated", login_hooks(web_hook(response={"parse": True})))
        == []
    )


# -- identity schemas -----------------------------------------------------------------------


def email_schema(*, name_required: bool) -> str:
    schema: Doc = json.loads(json.dumps(PRESETS["preset://email"]))
    traits = schema["properties"]["traits"]
    traits["properties"]["name"] = {"type": "string"}
    if name_required:
        traits["required"] = ["email", "name"]
    return blobs.encode(json.dumps(schema).encode())


def test_changing_a_schema_under_the_same_id() -> None:
    live: Doc = {"identity": schemas("customer", ("customer", email_schema(name_required=False)))}
    desired: Doc = {"identity": schemas("customer", ("customer", email_schema(name_required=True)))}
    [finding] = tripped("identity-schema-changed", desired, live)
    assert finding.pointers == ("/identity/schemas/0/url",)
    assert "Breaking for existing identities: traits.name: trait became required" in finding.message
    assert tripped("identity-schema-changed", live, live) == []
    renamed: Doc = {
        "identity": schemas(
            "customer-v2",
            ("customer", email_schema(name_required=False)),
            ("customer-v2", email_schema(name_required=True)),
        )
    }
    assert tripped("identity-schema-changed", renamed, live) == []


def test_a_preset_edited_under_its_own_id_is_a_changed_schema() -> None:
    # The identity config of a real Ory Network project (the Ory CLI's fixture), whose presets
    # Ory serves inline: one edited in place, as an exported preset file would be, is refused
    # like any schema; the same preset written back, even serialised our way, is not.
    live: Doc = json.loads(PROJECT.read_text())["services"]["identity"]["config"]
    desired = copy.deepcopy(live)
    email = next(s for s in desired["identity"]["schemas"] if s["id"] == "preset://email")
    preset = json.loads(blobs.decode(email["url"]) or b"")
    preset["properties"]["traits"]["properties"]["nickname"] = {"type": "string"}
    email["url"] = blobs.encode(json.dumps(preset, indent=2).encode())
    [finding] = tripped("identity-schema-changed", desired, live)
    assert "identity schema `preset://email` has different content" in finding.message
    assert "`email-v2`" in finding.fix
    assert tripped("identity-schema-changed", live, live) == []
    preset["properties"]["traits"]["properties"].pop("nickname")
    email["url"] = blobs.encode(json.dumps(preset, sort_keys=True).encode())
    assert tripped("identity-schema-changed", desired, live) == []


def test_switching_the_default_schema() -> None:
    [finding] = tripped(
        "default-schema-switched",
        {"identity": {"default_schema_id": "preset://email"}},
        live_config(),
    )
    assert finding.pointers == ("/identity/default_schema_id",)
    assert tripped("default-schema-switched", {}, live_config()) == []


def test_server_side_renamed_schema_is_not_a_switch() -> None:
    raw = MFA_OPTIONAL.read_bytes()
    digest = blobs.sha512_hex(raw)
    url = f"https://storage.googleapis.com/bac-gcs-staging/{digest}.json"
    live: Doc = {"identity": schemas(digest, (digest, url))}
    desired: Doc = {"identity": schemas("default", ("default", blobs.encode(raw)))}
    assert tripped("default-schema-switched", desired, live) == []
    other = {"identity": schemas("default", ("default", email_schema(name_required=False)))}
    assert len(tripped("default-schema-switched", other, live)) == 1


def test_default_schema_must_exist() -> None:
    desired: Doc = {"identity": schemas("nope", ("preset://email", "preset://email"))}
    [finding] = tripped("default-schema-unknown", desired)
    assert finding.severity == "error"
    desired["identity"]["default_schema_id"] = "preset://email"
    assert tripped("default-schema-unknown", desired) == []


def test_a_default_schema_id_nobody_sets_is_not_assumed() -> None:
    # Issue 22: `default` was assumed, a false error for an environment that declares only
    # schemas (live holds the default, whatever it is).
    only_schemas: Doc = {"identity": {"schemas": [{"id": "x", "url": "preset://email"}]}}
    assert tripped("default-schema-unknown", only_schemas) == []
    # With live state the config is whole: live's default must be a schema the project has,
    # declared or kept from live (schemas are never removed).
    live = live_config()
    assert tripped("default-schema-unknown", only_schemas, live) == []
    live["identity"]["default_schema_id"] = "gone"
    [finding] = tripped("default-schema-unknown", only_schemas, live)
    assert "is `gone` but" in finding.message


# -- whole-document behaviour ---------------------------------------------------------------


def test_live_fixture_alone_has_no_errors() -> None:
    assert [f for f in lint(IDENTITY, {}, live_config()) if f.severity == "error"] == []


def test_deep_merge_merges_mappings_and_replaces_lists() -> None:
    base: Doc = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert deep_merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}


def test_filter_disabled() -> None:
    found = lint(IDENTITY, code_mfa_with("preset://email", "preset://email"), None)
    assert [f.rule_id for f in found] == ["code-mfa-forces-2fa"]
    assert filter_disabled(found, {"code-mfa-forces-2fa": "we want email 2FA for all"}) == []
    assert filter_disabled(found, {"totp-issuer-missing": "brand is the host"}) == found


def test_filter_disabled_rejects_unknown_ids_and_missing_reasons() -> None:
    with pytest.raises(ConfigError, match="unknown rule id `ORY999`"):
        filter_disabled([], {"ORY999": "typo"})
    with pytest.raises(ConfigError, match="needs a reason"):
        filter_disabled([], {"code-mfa-forces-2fa": "  "})


def test_every_rule_is_documented_with_example_fix_and_source() -> None:
    text = (REPO_ROOT / "docs" / "rules.md").read_text()
    sections = dict(re.findall(r"^## `([a-z0-9-]+)`\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    assert sorted(sections) == sorted(RULES)
    for rule_id, body in sections.items():
        assert f"**Severity:** {RULES[rule_id].severity}" in body, rule_id
        for heading in ("**Why:**", "```yaml", "**Fix:**", "**Source:**"):
            assert heading in body, (rule_id, heading)
