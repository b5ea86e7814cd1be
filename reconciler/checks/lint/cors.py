"""Lint rules for the CORS of the project's endpoints (the project settings' ``cors_public``
and ``cors_admin``): origins that let any site, or a plain-http one, read the answers a
signed-in browser gets. Sources in ``docs/rules.md``."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import LintContext, make_finding, rule
from reconciler.comparing.project_domain import is_plain_http
from reconciler.jsontypes import JSONValue, Pointer, join_pointer
from reconciler.services import project
from reconciler.services.project.security import ANY_ORIGIN

SERVICE = project.NAME
ENDPOINTS = ("cors_public", "cors_admin")


def _enabled_origins(ctx: LintContext) -> Iterator[tuple[Pointer, str]]:
    """Each origin of a CORS block that is on: ``(pointer, origin)``."""
    for endpoint in ENDPOINTS:
        if ctx.value(f"/{endpoint}/enabled") is not True:
            continue
        origins: JSONValue = ctx.value(f"/{endpoint}/origins")
        for index, origin in enumerate(origins if isinstance(origins, list) else []):
            yield join_pointer(f"/{endpoint}/origins", index), str(origin)


@rule("cors-any-origin", "error", "CORS allows any origin with credentials", service=SERVICE)
def _any_origin(ctx: LintContext) -> Iterator[Finding]:
    # SPEC projectCors.origins: "Use `*` to allow all origins"; the project's endpoints answer
    # with the visitor's session cookie (Kratos serve.public.cors.allow_credentials defaults to
    # true), so `*` lets any site read a signed-in user's data.
    for pointer, origin in _enabled_origins(ctx):
        if origin.strip() == ANY_ORIGIN:
            yield make_finding(
                "cors-any-origin",
                f"{pointer} is `*`: any website may send credentialed requests to the project "
                "and read the answers a signed-in visitor gets",
                [pointer],
                "List the origins of your own apps instead (https://app.example.com).",
            )


@rule("cors-plain-http-origin", "warning", "CORS allows a plain http:// origin", service=SERVICE)
def _plain_http_origin(ctx: LintContext) -> Iterator[Finding]:
    # A page served over http:// can be rewritten by anyone on the network path; only
    # loopback origins are exempt (a developer's machine).
    for pointer, origin in _enabled_origins(ctx):
        if is_plain_http(origin):
            yield make_finding(
                "cors-plain-http-origin",
                f"{pointer} is {origin}: a page served over plain http:// can be altered in "
                "transit and then read the project's answers",
                [pointer],
                "Use its https:// origin (http:// is fine only on localhost).",
            )
