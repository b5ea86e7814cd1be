from __future__ import annotations

import pytest

from reconciler.checks.security import Action, classify
from reconciler.jsontypes import JSONValue
from reconciler.services.impact import Impact
from reconciler.services.registry import IDENTITY

PASSWORD = "/selfservice/methods/password/config"


@pytest.mark.parametrize(
    ("pointer", "live", "desired", "action", "impact", "reason_part"),
    [
        # AAL
        (
            "/session/whoami/required_aal",
            "highest_available",
            "aal1",
            "change",
            "weakens",
            "AAL downgrade",
        ),
        (
            "/selfservice/flows/settings/required_aal",
            "aal1",
            "highest_available",
            "change",
            "strengthens",
            "AAL upgrade",
        ),
        # adding aal1 where nothing was written replaces the highest_available default
        ("/session/whoami/required_aal", None, "aal1", "add", "weakens", "AAL downgrade"),
        # removing aal1 brings the highest_available default back
        ("/session/whoami/required_aal", "aal1", None, "reset", "strengthens", "AAL upgrade"),
        # MFA methods
        ("/selfservice/methods/totp/enabled", True, False, "change", "weakens", "totp turned off"),
        (
            "/selfservice/methods/lookup_secret/enabled",
            False,
            True,
            "change",
            "strengthens",
            "lookup_secret",
        ),
        (
            "/selfservice/methods/code/mfa_enabled",
            True,
            False,
            "change",
            "weakens",
            "code.mfa_enabled",
        ),
        (
            "/selfservice/methods/webauthn/config/passwordless",
            False,
            True,
            "change",
            "weakens",
            "WebAuthn passwordless",
        ),
        (
            "/selfservice/methods/totp",
            {"enabled": True, "config": {"issuer": "A"}},
            {"enabled": False},
            "change",
            "weakens",
            "totp",
        ),
        # verification / recovery
        (
            "/selfservice/flows/verification/enabled",
            True,
            False,
            "change",
            "weakens",
            "verification flow",
        ),
        (
            "/selfservice/flows/recovery",
            {"enabled": True, "use": "code"},
            {"enabled": False, "use": "code"},
            "change",
            "weakens",
            "recovery flow",
        ),
        # password policy
        (f"{PASSWORD}/min_password_length", 12, 8, "change", "weakens", "minimum password length"),
        (
            f"{PASSWORD}/min_password_length",
            8,
            12,
            "change",
            "strengthens",
            "minimum password length",
        ),
        (
            f"{PASSWORD}/haveibeenpwned_enabled",
            True,
            False,
            "change",
            "weakens",
            "haveibeenpwned_enabled",
        ),
        (f"{PASSWORD}/max_breaches", 0, 10, "change", "weakens", "max_breaches"),
        (
            f"{PASSWORD}/ignore_network_errors",
            False,
            True,
            "change",
            "weakens",
            "ignore_network_errors",
        ),
        (
            f"{PASSWORD}/identifier_similarity_check_enabled",
            None,
            False,
            "add",
            "weakens",
            "identifier_similarity",
        ),
        # durations compare semantically (Ory returns Go durations)
        ("/session/lifespan", "24h0m0s", "720h", "change", "weakens", "session lifespan raised"),
        (
            "/selfservice/flows/settings/privileged_session_max_age",
            "15m0s",
            "5m",
            "change",
            "strengthens",
            "privileged",
        ),
        (
            "/selfservice/methods/code/config/max_submissions",
            5,
            20,
            "change",
            "weakens",
            "max_submissions",
        ),
        # allow-lists
        (
            "/selfservice/allowed_return_urls",
            ["https://a.example"],
            ["https://a.example", "https://*.example"],
            "change",
            "weakens",
            "https://*.example",
        ),
        (
            "/selfservice/allowed_return_urls/1",
            None,
            "https://b.example",
            "add",
            "weakens",
            "widened",
        ),
        (
            "/selfservice/allowed_return_urls",
            ["https://a.example", "https://b.example"],
            ["https://a.example"],
            "change",
            "strengthens",
            "narrowed",
        ),
        (
            "/serve/public/cors/allowed_origins",
            [],
            ["*"],
            "change",
            "weakens",
            "CORS allowed_origins widened",
        ),
        ("/serve/public/cors/enabled", False, True, "change", "weakens", "CORS turned on"),
        ("/session/cookie/same_site", "Strict", "None", "change", "weakens", "SameSite"),
    ],
)
def test_classification(
    pointer: str,
    live: JSONValue,
    desired: JSONValue,
    action: Action,
    impact: Impact,
    reason_part: str,
) -> None:
    result = classify(IDENTITY, pointer, live, desired, action)
    assert result.impact == impact
    assert reason_part in result.reason


@pytest.mark.parametrize(
    ("pointer", "live", "desired"),
    [
        ("/selfservice/flows/login/after/hooks", [{"hook": "require_verified_address"}], []),
        (
            "/selfservice/flows/login/after/password/hooks",
            [{"hook": "revoke_active_sessions"}],
            [{"hook": "web_hook"}],
        ),
        (
            "/selfservice/flows/registration/after",
            {"password": {"hooks": [{"hook": "session"}]}},
            {"password": {"hooks": []}},
        ),
    ],
)
def test_removing_a_security_hook_weakens(
    pointer: str, live: JSONValue, desired: JSONValue
) -> None:
    result = classify(IDENTITY, pointer, live, desired, "change")
    assert result.impact == "weakens"
    assert "hook removed" in result.reason
    assert classify(IDENTITY, pointer, desired, live, "change").impact == "strengthens"


def test_removing_a_single_hook_item() -> None:
    result = classify(
        IDENTITY,
        "/selfservice/flows/registration/after/oidc/hooks/0",
        {"hook": "session"},
        None,
        "reset",
    )
    assert (result.impact, result.reason) == (
        "weakens",
        "`session` hook removed at /selfservice/flows/registration/after/oidc/hooks/0",
    )


@pytest.mark.parametrize(
    ("pointer", "live", "desired", "action"),
    [
        ("/courier/message_retries", 5, 6, "change"),
        ("/selfservice/flows/login/ui_url", "/ui/login", "https://login.example.com", "change"),
        # adding a method block that keeps the default (off) changes nothing
        ("/selfservice/methods/totp", None, {"enabled": False}, "add"),
        # reordering hooks keeps every security hook
        (
            "/selfservice/flows/login/after/hooks",
            [{"hook": "web_hook"}, {"hook": "revoke_active_sessions"}],
            [{"hook": "revoke_active_sessions"}, {"hook": "web_hook"}],
            "change",
        ),
        ("/session/lifespan", "24h0m0s", "24h", "change"),
    ],
)
def test_neutral_changes(pointer: str, live: JSONValue, desired: JSONValue, action: Action) -> None:
    assert classify(IDENTITY, pointer, live, desired, action).impact == "neutral"


def test_weakening_wins_over_strengthening_in_one_subtree() -> None:
    result = classify(
        IDENTITY,
        "/selfservice/methods",
        {"totp": {"enabled": True}, "lookup_secret": {"enabled": False}},
        {"totp": {"enabled": False}, "lookup_secret": {"enabled": True}},
        "change",
    )
    assert result.impact == "weakens"
    assert "totp turned off" in result.reason and "lookup_secret" not in result.reason
