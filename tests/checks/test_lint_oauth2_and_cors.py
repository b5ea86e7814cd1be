"""Lint rules of the OAuth2 config, the project settings' CORS, and where the identity and
OAuth2 configs contradict each other (``checks/lint/oauth2.py``, ``cors.py``,
``cross_service.py``; issue 24, item 5)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.checks.finding import Finding
from reconciler.checks.kratos_schema import for_service
from reconciler.checks.lint import RULES, lint
from reconciler.jsontypes import JSONObject
from reconciler.services import registry

Doc = dict[str, Any]


def found(
    service: str, rule_id: str, desired: Doc, live: Doc | None = None, **kw: Any
) -> list[Finding]:
    """What ``rule_id`` finds in ``service``'s config, its defaults from its own schema."""
    declared = registry.named(service)
    schema = for_service(declared, "ory_network")
    return [f for f in lint(declared, desired, live, kratos=schema, **kw) if f.rule_id == rule_id]


# -- OAuth2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["login", "consent", "logout", "error", "registration"])
def test_a_flow_page_on_plain_http_is_an_error(page: str) -> None:
    [finding] = found(
        "oauth2", "oauth2-plain-http-url", {"urls": {page: "http://auth.example.com/x"}}
    )
    assert finding.severity == "error"
    assert finding.pointers == (f"/urls/{page}",)
    assert "plain http://" in finding.message


def test_the_issuer_on_plain_http_is_an_error() -> None:
    desired = {"urls": {"self": {"issuer": "http://auth.example.com/"}}}
    assert found("oauth2", "oauth2-plain-http-url", desired)


@pytest.mark.parametrize(
    "url", ["https://auth.example.com/login", "http://localhost:3000/login", "/ui/login"]
)
def test_https_loopback_and_paths_are_fine(url: str) -> None:
    assert not found("oauth2", "oauth2-plain-http-url", {"urls": {"login": url}})


def test_refresh_tokens_that_never_expire_are_reported_from_live_too() -> None:
    assert found("oauth2", "oauth2-refresh-token-never-expires", {"ttl": {"refresh_token": "-1"}})
    assert found("oauth2", "oauth2-refresh-token-never-expires", {}, {"ttl": {"refresh_token": -1}})
    assert not found(
        "oauth2", "oauth2-refresh-token-never-expires", {"ttl": {"refresh_token": "720h"}}
    )


# -- CORS of the project's endpoints --------------------------------------------------------


def test_any_origin_on_an_enabled_endpoint_is_an_error() -> None:
    desired = {"cors_public": {"enabled": True, "origins": ["https://app.example.com", "*"]}}
    [finding] = found("project", "cors-any-origin", desired)
    assert finding.severity == "error"
    assert finding.pointers == ("/cors_public/origins/1",)


def test_any_origin_is_seen_when_live_turns_the_endpoint_on() -> None:
    live = {"cors_admin": {"enabled": True, "origins": []}}
    assert found("project", "cors-any-origin", {"cors_admin": {"origins": ["*"]}}, live)


def test_origins_of_a_disabled_endpoint_are_inert() -> None:
    desired = {"cors_public": {"enabled": False, "origins": ["*", "http://app.example.com"]}}
    assert not found("project", "cors-any-origin", desired)
    assert not found("project", "cors-plain-http-origin", desired)


@pytest.mark.parametrize(
    ("origin", "reported"),
    [
        ("http://app.example.com", True),
        ("https://app.example.com", False),
        ("http://localhost:3000", False),
        ("http://127.0.0.1:8080", False),
    ],
)
def test_plain_http_origins_are_a_warning(origin: str, reported: bool) -> None:
    desired = {"cors_public": {"enabled": True, "origins": [origin]}}
    findings = found("project", "cors-plain-http-origin", desired)
    assert bool(findings) is reported
    assert all(f.severity == "warning" for f in findings)


# -- the identity and OAuth2 configs together -----------------------------------------------

IDENTITY_ON_CUSTOM_UI: JSONObject = {
    "selfservice": {
        "flows": {
            "login": {"ui_url": "https://auth.example.com/login"},
            "registration": {"ui_url": "https://auth.example.com/registration"},
        }
    }
}


def test_oauth2_login_elsewhere_than_the_identity_login_ui_is_reported() -> None:
    desired = {"urls": {"login": "https://sso.example.org/login"}}
    [finding] = found(
        "oauth2",
        "oauth2-login-ui-not-identity-ui",
        desired,
        others={"identity": IDENTITY_ON_CUSTOM_UI},
    )
    assert finding.severity == "warning"
    assert finding.pointers == ("/urls/login",)
    assert "(https://sso.example.org/login)" in finding.message
    assert "(https://auth.example.com/login)" in finding.message


def test_the_registration_page_is_compared_too() -> None:
    desired = {
        "urls": {"login": "https://auth.example.com/x", "registration": "https://sso.example.org/r"}
    }
    [finding] = found(
        "oauth2",
        "oauth2-login-ui-not-identity-ui",
        desired,
        others={"identity": IDENTITY_ON_CUSTOM_UI},
    )
    assert finding.pointers == ("/urls/registration",)


def test_the_same_ui_or_an_unknown_side_says_nothing() -> None:
    same = {"urls": {"login": "https://auth.example.com/oauth/login"}}
    assert not found(
        "oauth2",
        "oauth2-login-ui-not-identity-ui",
        same,
        others={"identity": IDENTITY_ON_CUSTOM_UI},
    )
    # the Account Experience on both sides: a path and the project's Ory domain
    account_experience = {
        "selfservice": {
            "flows": {"login": {"ui_url": "https://slug.projects.oryapis.com/ui/login"}}
        }
    }
    assert not found(
        "oauth2",
        "oauth2-login-ui-not-identity-ui",
        {"urls": {"login": "/ui/login"}},
        others={"identity": account_experience},
    )
    # the Account Experience's page hands the challenge on to a custom identity UI
    assert not found(
        "oauth2",
        "oauth2-login-ui-not-identity-ui",
        {"urls": {"login": "/ui/login"}},
        others={"identity": IDENTITY_ON_CUSTOM_UI},
    )
    # no identity config planned beside it, or its login UI unknown
    assert not found(
        "oauth2", "oauth2-login-ui-not-identity-ui", {"urls": {"login": "https://x.example/l"}}
    )
    assert not found(
        "oauth2",
        "oauth2-login-ui-not-identity-ui",
        {"urls": {"login": "https://x.example/l"}},
        others={"identity": {}},
    )


def test_every_new_rule_is_registered_for_its_service() -> None:
    assert {
        RULES[r].service for r in ("oauth2-plain-http-url", "oauth2-login-ui-not-identity-ui")
    } == {"oauth2"}
    assert {RULES[r].service for r in ("cors-any-origin", "cors-plain-http-origin")} == {"project"}
