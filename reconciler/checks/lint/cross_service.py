"""Lint rules where two services' settings contradict each other: the identity config
(Kratos') and the OAuth2 config (Hydra's). Each is registered for the OAuth2 config, and
reads the identity config the environment plans beside it (``LintContext.others``); with
neither side's value known (offline, undeclared) a rule says nothing. Sources in
``docs/rules.md``."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import LintContext, make_finding, rule
from reconciler.comparing.project_domain import page_site
from reconciler.jsontypes import JSONValue, dotted_key, get_at
from reconciler.services import identity, oauth2

SERVICE = oauth2.NAME
# Hydra's page ↔ the Kratos flow that answers its login challenge, and where Kratos shows it.
# Hydra schema ``urls.registration``: "Defaults to the same value as `login`".
_FLOW_PAGES = (
    ("/urls/login", "/selfservice/flows/login/ui_url"),
    ("/urls/registration", "/selfservice/flows/registration/ui_url"),
)
_PROJECT = "the project's domain"


def _host(url: JSONValue) -> str | None:
    """Where a page is (``comparing.project_domain.page_site``), None when no value says.
    Compared, never printed: a message quotes whole values, which the output scrubber masks
    when secret (``redact.py``), never a part of one."""
    if not isinstance(url, str) or not url:
        return None
    site = page_site(url)
    return _PROJECT if site is None else site[1]


@rule(
    "oauth2-login-ui-not-identity-ui",
    "warning",
    "OAuth2 sends sign-ins to another UI than the identity config's",
    service=SERVICE,
)
def _login_ui_not_identity_ui(ctx: LintContext) -> Iterator[Finding]:
    # Kratos schema oauth2_provider.url: the login and registration flows handle Hydra's
    # `login_challenge`; a Kratos flow is always shown at its own ui_url (selfservice.flows.*).
    kratos = ctx.others.get(identity.NAME)
    if kratos is None:
        return
    for hydra_pointer, kratos_pointer in _FLOW_PAGES:
        found, page = get_at(ctx.merged, hydra_pointer)
        ui_found, ui = get_at(kratos, kratos_pointer)
        hydra_host, kratos_host = _host(page), _host(ui)
        # A page on the project's domain (the Account Experience's /ui/login) hands the
        # challenge on to the identity flow, wherever that is shown: nothing contradicts.
        if not (found and ui_found) or hydra_host in (None, _PROJECT) or kratos_host is None:
            continue
        if hydra_host != kratos_host:
            hydra_key, kratos_key = dotted_key(hydra_pointer), dotted_key(kratos_pointer)
            yield make_finding(
                "oauth2-login-ui-not-identity-ui",
                f"oauth2_config.{hydra_key} ({page}) sends OAuth2 sign-ins to another host "
                f"than identity_config.{kratos_key} ({ui}) shows that flow on: the identity "
                "flow that answers the OAuth2 login challenge is always shown at its own "
                "ui_url, so OAuth2 sign-ins either detour through that page or bypass the "
                "identity flow (its second factor, its hooks) altogether",
                [hydra_pointer],
                f"Point {hydra_key} at the identity config's {kratos_key} ({ui}), or "
                "move both to your custom UI.",
            )
