"""Which changes to the OAuth2 config (Ory Hydra's) weaken or strengthen security (issue 24,
item 5).

Leaf by leaf, in ``services/impact.py``'s words; ``checks/security.py`` walks a change and
falls back to the Hydra schema's default where a side says nothing. Each rule's source is in
``docs/rules.md`` ("Security impact: OAuth2 config"): the Hydra config schema's descriptions,
RFC 7636 (PKCE) and RFC 9700 (the OAuth 2.0 Security Best Current Practice).
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from reconciler.comparing.project_domain import (
    LOOPBACK_HOSTS,
    is_ory_project_host,
    is_plain_http,
)
from reconciler.jsontypes import JSONValue, Pointer
from reconciler.services.declaration import Security
from reconciler.services.impact import (
    Verdict,
    exactly,
    more_is_weaker,
    ranked,
    seconds,
    switch,
    turning_off,
)

# The Hydra schema's defaults where it names one (``strategies``); its switches without one
# are Go booleans, false unless set.
OPAQUE, JWT = "opaque", "jwt"
EXACT, WILDCARD = "exact", "wildcard"
# The pages of the login & consent flow Hydra sends browsers to (Hydra schema ``urls``).
FLOW_URLS = (
    "login",
    "registration",
    "consent",
    "logout",
    "error",
    "post_logout_redirect",
    "device/verification",
    "device/success",
)


def _lifetime(value: JSONValue) -> float | None:
    """Seconds a token lives; ``-1`` (refresh tokens only: Hydra schema ``ttl.refresh_token``)
    is forever."""
    if value in (-1, "-1"):
        return math.inf
    return seconds(value)


def _ttl(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    """A lifetime under ``ttl``: the longer a token, code or request lives, the longer a stolen
    one works (RFC 6749 §4.1.2 recommends codes live 10 minutes at most)."""
    name = pointer.rsplit("/", 1)[-1]
    what = f"{name.replace('_', ' ')} lifetime (ttl.{name})"
    return ranked(_lifetime(before), _lifetime(after), "strengthens", what)


def _optional_claim(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    name = pointer.rsplit("/", 1)[-1]
    what = f"JWT grants without the `{name.split('_')[0]}` claim (grant.jwt.{name})"
    return switch(before or False, after or False, "strengthens", what)


def _access_token_strategy(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    old, new = before or OPAQUE, after or OPAQUE
    if old == OPAQUE and new == JWT:
        return "weakens", "access tokens become JWTs, which cannot be revoked before they expire"
    if old == JWT and new == OPAQUE:
        return "strengthens", "access tokens become opaque, revocable at once"
    return None


def _scope_strategy(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    old, new = before or WILDCARD, after or WILDCARD
    if old == EXACT and new == WILDCARD:
        return "weakens", "scope matching becomes wildcard: `foo.*` grants every `foo.` scope"
    if old == WILDCARD and new == EXACT:
        return "strengthens", "scope matching becomes exact"
    return None


def _site(value: JSONValue) -> tuple[str, str] | None:
    """Scheme and host of an absolute URL; None for a path on the project's own domain
    (``/ui/login``), an Ory project domain, or no value (Hydra's own fallback page)."""
    if not isinstance(value, str) or "://" not in value:
        return None
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if is_ory_project_host(host):
        return None
    # A page on this machine is a developer's, whichever name it goes by.
    return parts.scheme.lower(), "localhost" if host in LOOPBACK_HOSTS else host


def _flow_url(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    """A flow page moved to another host than it had, off the project's domains, or onto plain
    http://: that host now receives the login and consent challenges, and the browser's trust."""
    name = pointer.removeprefix("/").replace("/", ".")
    old, new = _site(before), _site(after)
    if new is not None and isinstance(after, str) and is_plain_http(after) and old != new:
        return "weakens", f"{name} moved to plain http:// on {new[1]}"
    if new is not None and (old is None or old[1] != new[1]):
        return "weakens", f"{name} moved off the project's domains to {new[1]}"
    if new is None and old is not None:
        return "strengthens", f"{name} moved back onto the project's domain"
    if new is not None and old is not None and old[0] == "http" and new[0] == "https":
        return "strengthens", f"{name} moved to https://"
    return None


SECURITY = Security(
    leaves=(
        (
            exactly("/oauth2/pkce/enforced"),
            turning_off("weakens", "PKCE enforcement for all clients", unset=False),
        ),
        (
            exactly("/oauth2/pkce/enforced_for_public_clients"),
            turning_off("weakens", "PKCE enforcement for public clients", unset=False),
        ),
        (re.compile(r"^/ttl/[a-z_]+$"), _ttl),
        (exactly("/strategies/access_token"), _access_token_strategy),
        (exactly("/strategies/scope"), _scope_strategy),
        (
            exactly("/oauth2/client_credentials/default_grant_allowed_scope"),
            turning_off(
                "strengthens",
                "every allowed scope granted to client credentials unasked "
                "(default_grant_allowed_scope)",
                unset=False,
            ),
        ),
        (
            re.compile(r"^/oauth2/grant/jwt/(jti_optional|iat_optional)$"),
            _optional_claim,
        ),
        (
            exactly("/oauth2/grant/jwt/max_ttl"),
            more_is_weaker("JWT grant assertion max age (grant.jwt.max_ttl)"),
        ),
        (
            exactly("/oauth2/grant/jwt/omit_assertion_audience"),
            turning_off(
                "weakens",
                "assertion audience kept out of access tokens (grant.jwt.omit_assertion_audience)",
            ),
        ),
        (
            re.compile(r"^/oauth2/grant/refresh_token/rotation_grace_(period|reuse_count)$"),
            more_is_weaker("refresh token reuse after rotation (grant.refresh_token grace)"),
        ),
        (
            exactly("/oauth2/expose_internal_errors"),
            turning_off(
                "strengthens",
                "internal error details for OAuth2 clients (expose_internal_errors)",
                unset=False,
            ),
        ),
        (re.compile(r"^/urls/(" + "|".join(FLOW_URLS) + ")$"), _flow_url),
    ),
)
