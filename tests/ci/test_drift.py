"""Which live values drift watch reports as undeclared security values (``ci/drift.py``)."""

from __future__ import annotations

from reconciler.ci.drift import undeclared_security
from reconciler.jsontypes import JSONObject

WEB_HOOK: JSONObject = {
    "hook": "web_hook",
    "config": {"url": "https://collect.example.test", "method": "POST"},
}
LIVE: JSONObject = {
    "selfservice": {
        "methods": {"code": {"enabled": True, "config": {"lifespan": "15m"}}},
        "flows": {
            "registration": {"after": {"password": {"hooks": [{"hook": "session"}, WEB_HOOK]}}},
            "login": {"after": {"hooks": [{"hook": "revoke_active_sessions"}]}},
            "settings": {"required_aal": "aal1"},
        },
    },
    "session": {"lifespan": "1h", "whoami": {"required_aal": "aal1"}},
}


def test_security_values_nobody_declared_are_named_with_their_live_path() -> None:
    found = {u.pointer: (u.shown, u.why) for u in undeclared_security(LIVE, {})}
    assert found == {
        "/selfservice/methods/code/enabled": ("true", "a sign-in method switched on"),
        "/selfservice/flows/registration/after/password/hooks": (
            "session, web_hook",
            "hooks nobody declared",
        ),
        "/selfservice/flows/settings/required_aal": (
            '"aal1"',
            "weaker than Kratos' default: AAL downgrade highest_available → aal1 at "
            "/selfservice/flows/settings/required_aal",
        ),
        "/session/whoami/required_aal": (
            '"aal1"',
            "weaker than Kratos' default: AAL downgrade highest_available → aal1 at "
            "/session/whoami/required_aal",
        ),
    }  # a shorter session, a code lifespan, security hooks alone: nothing to say


def test_what_an_environment_declares_is_left_to_the_plan() -> None:
    declared: JSONObject = {
        "selfservice": {
            "methods": {"code": {"enabled": True}},
            "flows": {"registration": {"after": {"password": {"hooks": []}}}},
        },
        "session": {"whoami": {"required_aal": "highest_available"}},
    }
    found = [u.pointer for u in undeclared_security(LIVE, declared)]
    assert found == ["/selfservice/flows/settings/required_aal"]
