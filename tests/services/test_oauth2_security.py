"""The OAuth2 config's security rules (issue 24, item 5): each change that weakens security is
said so (and apply refuses it without ``--allow-weaken``), its reverse strengthens.

Judged through ``checks/security.classify`` as a plan judges them, with the Hydra schema's
defaults where a side says nothing.
"""

from __future__ import annotations

import pytest

from reconciler.checks.security import Action, classify
from reconciler.jsontypes import JSONValue
from reconciler.services import oauth2 as oauth2_service
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.services.impact import Impact


@pytest.fixture(scope="module")
def oauth2() -> Service:
    return registry.named(oauth2_service.NAME)


CASES: list[tuple[str, JSONValue, JSONValue, Impact, str]] = [
    # PKCE (RFC 7636; Hydra schema oauth2.pkce): unset is off
    (
        "/oauth2/pkce/enforced",
        True,
        False,
        "weakens",
        "PKCE enforcement for all clients turned off",
    ),
    ("/oauth2/pkce/enforced", True, None, "weakens", "PKCE enforcement for all clients turned off"),
    (
        "/oauth2/pkce/enforced_for_public_clients",
        True,
        False,
        "weakens",
        "PKCE enforcement for public clients turned off",
    ),
    # lifetimes, compared as durations
    ("/ttl/access_token", "1h", "2h", "weakens", "access token lifetime (ttl.access_token) raised"),
    ("/ttl/refresh_token", "720h", "-1", "weakens", "refresh token lifetime (ttl.refresh_token)"),
    ("/ttl/refresh_token", -1, "720h", "strengthens", "refresh token lifetime (ttl.refresh_token)"),
    ("/ttl/id_token", "60m", "3h", "weakens", "id token lifetime (ttl.id_token) raised"),
    ("/ttl/auth_code", "10m", "1h", "weakens", "auth code lifetime (ttl.auth_code) raised"),
    (
        "/ttl/login_consent_request",
        "30m",
        "2h",
        "weakens",
        "login consent request lifetime (ttl.login_consent_request) raised",
    ),
    # token and scope strategies
    ("/strategies/access_token", "opaque", "jwt", "weakens", "cannot be revoked before"),
    ("/strategies/access_token", None, "jwt", "weakens", "cannot be revoked before"),
    ("/strategies/scope", "exact", "wildcard", "weakens", "scope matching becomes wildcard"),
    # client credentials and the JWT grant (Hydra schema oauth2.client_credentials, grant.jwt)
    (
        "/oauth2/client_credentials/default_grant_allowed_scope",
        False,
        True,
        "weakens",
        "client credentials get every allowed scope unasked (default_grant_allowed_scope)",
    ),
    (
        "/oauth2/grant/jwt/jti_optional",
        False,
        True,
        "weakens",
        "JWT grants accepted without the `jti` claim (grant.jwt.jti_optional)",
    ),
    ("/oauth2/grant/jwt/iat_optional", None, True, "weakens", "without the `iat` claim"),
    ("/oauth2/grant/jwt/max_ttl", "720h", "8760h", "weakens", "assertion max age"),
    (
        "/oauth2/grant/jwt/omit_assertion_audience",
        True,
        False,
        "weakens",
        "assertion audience kept out of access tokens",
    ),
    (
        "/oauth2/grant/refresh_token/rotation_grace_period",
        "0s",
        "5m",
        "weakens",
        "refresh token reuse after rotation",
    ),
    ("/oauth2/expose_internal_errors", False, True, "weakens", "internal error details"),
    # the login & consent pages
    (
        "/urls/consent",
        "/ui/consent",
        "https://consent.example.org/consent",
        "weakens",
        "urls.consent moved to another host, off the project's domains",
    ),
    (
        "/urls/logout",
        "https://slug.projects.oryapis.com/ui/logout",
        "https://evil.example/logout",
        "weakens",
        "urls.logout moved to another host",
    ),
    (
        "/urls/error",
        "https://auth.example.com/error",
        "http://auth.example.com/error",
        "weakens",
        "urls.error moved to plain http://",
    ),
    (
        "/urls/device/verification",
        "/ui/device_verification",
        "https://devices.example.net/verify",
        "weakens",
        "urls.device.verification moved to another host, off the project's domains",
    ),
    (
        "/urls/post_logout_redirect",
        None,
        "https://app.example.com/bye",
        "weakens",
        "urls.post_logout_redirect moved to another host",
    ),
]


@pytest.mark.parametrize(("pointer", "live", "desired", "impact", "reason"), CASES)
def test_each_rule_judges_a_change_and_its_reverse(
    oauth2: Service, pointer: str, live: JSONValue, desired: JSONValue, impact: Impact, reason: str
) -> None:
    action: Action = "reset" if desired is None else "add" if live is None else "change"
    judged = classify(oauth2, pointer, live, desired, action)
    assert judged.impact == impact
    assert reason in judged.reason
    reverse: Action = "reset" if live is None else "add" if desired is None else "change"
    back = classify(oauth2, pointer, desired, live, reverse)
    assert back.impact == ("strengthens" if impact == "weakens" else "weakens")


@pytest.mark.parametrize(
    ("pointer", "live", "desired"),
    [
        ("/ttl/access_token", "1h", "60m"),  # the same duration, written another way
        ("/oauth2/pkce/enforced", None, False),  # off is the default
        ("/strategies/access_token", None, "opaque"),
        ("/urls/login", "https://auth.example.com/a", "https://auth.example.com/b"),
        ("/urls/login", "/ui/login", "https://slug.projects.oryapis.com/ui/login"),
        ("/urls/login", "http://localhost:3000/login", "http://127.0.0.1:3000/login"),
        ("/oauth2/mirror_top_level_claims", True, False),  # no rule speaks of it
    ],
)
def test_changes_that_do_not_matter_are_neutral(
    oauth2: Service, pointer: str, live: JSONValue, desired: JSONValue
) -> None:
    action: Action = "add" if live is None else "change"
    assert classify(oauth2, pointer, live, desired, action).impact == "neutral"


def test_a_flow_page_moved_from_one_outside_host_to_another_weakens_both_ways(
    oauth2: Service,
) -> None:
    # Neither host is the project's: each move hands the login challenges to a new host.
    there, elsewhere = "https://auth.example.com/login", "https://auth.example.net/login"
    judged = classify(oauth2, "/urls/login", there, elsewhere, "change")
    assert (judged.impact, judged.reason) == (
        "weakens",
        "urls.login moved to another host, off the project's domains",
    )
    assert classify(oauth2, "/urls/login", elsewhere, there, "change").impact == "weakens"


def test_a_whole_block_is_judged_leaf_by_leaf(oauth2: Service) -> None:
    judged = classify(
        oauth2,
        "/oauth2",
        {"pkce": {"enforced": True}, "client_credentials": {"default_grant_allowed_scope": True}},
        {"pkce": {"enforced": False}, "client_credentials": {"default_grant_allowed_scope": False}},
        "change",
    )
    assert judged.impact == "weakens"
    assert judged.reason == "PKCE enforcement for all clients turned off"
