"""Lint rules for the OAuth2 config (Ory Hydra's): settings its schema accepts that a careful
reviewer would stop at. Sources in ``docs/rules.md``."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import LintContext, make_finding, rule
from reconciler.comparing.project_domain import is_plain_http
from reconciler.jsontypes import get_at
from reconciler.services import oauth2
from reconciler.services.impact import seconds
from reconciler.services.oauth2.security import FLOW_URLS

SERVICE = oauth2.NAME
# RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
AUTH_CODE_MAX_SECONDS = 600
_SELF_URLS = ("issuer", "public")


@rule(
    "oauth2-plain-http-url", "error", "OAuth2 flow page or issuer on plain http://", service=SERVICE
)
def _plain_http_url(ctx: LintContext) -> Iterator[Finding]:
    # Hydra schema urls.self.issuer: "must be specified and using HTTPS protocol, unless --dev
    # is set"; RFC 6749 §3.1: the authorization endpoint requires TLS.
    pointers = [f"/urls/{name}" for name in FLOW_URLS] + [f"/urls/self/{n}" for n in _SELF_URLS]
    for pointer in pointers:
        url = ctx.value(pointer)
        if isinstance(url, str) and is_plain_http(url):
            yield make_finding(
                "oauth2-plain-http-url",
                f"{pointer} is {url}: plain http:// carries the login and consent challenges "
                "and tokens in clear text",
                [pointer],
                "Serve it over https:// (http:// is fine only on localhost).",
            )


@rule(
    "oauth2-refresh-token-never-expires", "warning", "refresh tokens never expire", service=SERVICE
)
def _refresh_token_never_expires(ctx: LintContext) -> Iterator[Finding]:
    # Hydra schema ttl.refresh_token: "-1 for refresh tokens to never expire, which is not
    # recommended".
    pointer = "/ttl/refresh_token"
    if ctx.value(pointer) in (-1, "-1"):
        yield make_finding(
            "oauth2-refresh-token-never-expires",
            f"{pointer} is -1: a stolen refresh token works forever",
            [pointer],
            "Give refresh tokens a lifetime (Hydra's default is 720h).",
        )


@rule(
    "oauth2-auth-code-lifetime",
    "warning",
    "authorization codes live over 10 minutes",
    service=SERVICE,
)
def _auth_code_lifetime(ctx: LintContext) -> Iterator[Finding]:
    # Only a lifetime the environment writes: Ory Network's own is 30m (the CLI fixture's
    # live ``ttl.auth_code``), and a warning on every project's default says nothing.
    pointer = "/ttl/auth_code"
    written, value = get_at(ctx.desired, pointer)
    lifetime = seconds(value) if written else None
    if lifetime is not None and lifetime > AUTH_CODE_MAX_SECONDS:
        yield make_finding(
            "oauth2-auth-code-lifetime",
            f"{pointer} is {value}: RFC 6749 recommends authorization codes "
            "live 10 minutes at most",
            [pointer],
            "Lower it to 10m or less (Hydra's default is 10m).",
        )
