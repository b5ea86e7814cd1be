"""Lint rules for the OAuth2 config (Ory Hydra's): settings its schema accepts that a careful
reviewer would stop at. Sources in ``docs/rules.md``."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import LintContext, make_finding, rule
from reconciler.comparing.project_domain import is_plain_http
from reconciler.services import oauth2
from reconciler.services.oauth2.security import FLOW_URLS

SERVICE = oauth2.NAME
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
