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

from reconciler.comparing.project_domain import is_plain_http, page_site
from reconciler.jsontypes import JSONValue, Pointer, dotted_key
from reconciler.services.declaration import Security
from reconciler.services.impact import (
    Judge,
    Verdict,
    exactly,
    more_is_weaker,
    ranked,
    seconds,
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


def _loosening(on: str, off: str) -> Judge:
    """A judge of a switch that loosens a check when turned on (false unless set)."""

    def judge(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
        was, now = before is True, after is True
        if was == now:
            return None
        return ("weakens", on) if now else ("strengthens", off)

    return judge


def _optional_claim(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    name = pointer.rsplit("/", 1)[-1]
    claim = name.removesuffix("_optional")
    return _loosening(
        f"JWT grants accepted without the `{claim}` claim (grant.jwt.{name})",
        f"JWT grants need the `{claim}` claim",
    )(pointer, before, after)


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


def _flow_url(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    """A flow page moved to another host than it had, off the project's domains, or onto plain
    http://: that host now receives the login and consent challenges, and the browser's trust.
    The reason names no host: a part of a secret value (``!secret``, ``${VAR}``) is not masked
    the way the whole value is (``redact.py``), and the plan shows the value beside it."""
    name = dotted_key(pointer)
    old, new = page_site(before), page_site(after)
    if new is not None and isinstance(after, str) and is_plain_http(after) and old != new:
        return "weakens", f"{name} moved to plain http://"
    if new is not None and (old is None or old[1] != new[1]):
        return "weakens", f"{name} moved to another host, off the project's domains"
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
            _loosening(
                "client credentials get every allowed scope unasked (default_grant_allowed_scope)",
                "client credentials get only the scopes they ask for",
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
            _loosening(
                "internal error details shown to OAuth2 clients (expose_internal_errors)",
                "internal error details hidden from OAuth2 clients",
            ),
        ),
        (re.compile(r"^/urls/(" + "|".join(FLOW_URLS) + ")$"), _flow_url),
    ),
)
