"""Lint rules for the traps of a config service that its schema cannot see, each registered
for its service; the identity config's by topic: ``mfa`` (second factors and AAL),
``methods`` (how sign-in methods are set up), ``hooks``, ``schemas``; the OAuth2 config's
``oauth2``, the project settings' ``cors``, and ``cross_service`` where the identity and
OAuth2 configs contradict each other; ``rules`` holds the framework.

Every rule has a stable id, a severity, and cites its source in ``docs/rules.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.checks.finding import Finding
from reconciler.checks.kratos_schema import KratosSchema, released

# Importing a topic registers its rules.
from reconciler.checks.lint import (  # noqa: F401
    cors,
    cross_service,
    hooks,
    methods,
    mfa,
    oauth2,
    schemas,
)
from reconciler.checks.lint.rules import CHECKS, RULES, LintContext
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject
from reconciler.services.declaration import Service

__all__ = [
    "RULES",
    "acknowledge",
    "check_disabled",
    "filter_disabled",
    "lint",
]


def lint(
    service: Service,
    desired: JSONObject,
    live: JSONObject | None,
    *,
    schema_contents: Mapping[str, bytes] | None = None,
    kratos: KratosSchema | None = None,
    others: Mapping[str, JSONObject] | None = None,
) -> list[Finding]:
    """Run every rule of ``service`` on its ``desired`` config merged over ``live``; errors
    first, then by rule id.

    Defaults come from ``kratos`` (the target's schema of it), else from the released Kratos
    schema. ``others``: the other planned services' configs (desired merged over live) by
    name, for the rules that compare two services (``cross_service``).
    """
    ctx = LintContext(desired, live, schema_contents, kratos or released(), others)
    findings = [
        finding for rule, check in CHECKS if rule.service == service.name for finding in check(ctx)
    ]
    return sorted(findings, key=lambda f: (f.severity != "error", f.rule_id, f.pointers))


def check_disabled(disabled: Mapping[str, str]) -> None:
    """Raise ``ConfigError`` for an unknown rule id or an empty reason under ``lint.disable``:
    a disabled safety rule must say why (issue 4)."""
    problems = [
        f"lint.disable: unknown rule id `{rule_id}`" for rule_id in disabled if rule_id not in RULES
    ]
    problems += [
        f"lint.disable: `{rule_id}` needs a reason"
        for rule_id, reason in disabled.items()
        if rule_id in RULES and not str(reason).strip()
    ]
    if problems:
        raise ConfigError(problems)


def acknowledge(findings: list[Finding], disabled: Mapping[str, str]) -> list[tuple[Finding, str]]:
    """Every finding with the reason its rule was disabled for (``""`` when it was not).

    A disabled rule still reports what it found, marked acknowledged: a reviewer must see
    that every email user is now forced into 2FA, and why that was accepted (Checkov and
    tfsec list skipped checks with their reasons too).
    """
    check_disabled(disabled)
    return [(finding, str(disabled.get(finding.rule_id, "")).strip()) for finding in findings]


def filter_disabled(findings: list[Finding], disabled: Mapping[str, str]) -> list[Finding]:
    """The findings of rules the environment did not disable (``{rule_id: reason}``)."""
    return [finding for finding, reason in acknowledge(findings, disabled) if not reason]
