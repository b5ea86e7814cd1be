"""The lint rule framework: findings, the registry, and the state rules look at.

Lint rules for the traps of Ory identity config that a schema cannot see.

Every rule has a stable id, a severity, and cites its source in ``docs/rules.md`` (and
ory-api.md §1d). Rules look at the desired state merged over live (mappings deep-merged,
desired wins, lists replaced) and fall back to Kratos defaults where neither says anything:
a rule must see ``required_aal: highest_available`` even when nobody wrote it (ory-api.md §1c
"AAL settings": it is the default and the Ory Network default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler import identity_schemas
from reconciler.checks.kratos_schema import KratosSchema
from reconciler.identity_schemas import ResolvedSchema
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, deep_merge, get_at

Severity = Literal["error", "warning"]

HIGHEST_AVAILABLE = "highest_available"
REQUIRED_AAL_POINTERS: tuple[Pointer, ...] = (
    "/session/whoami/required_aal",
    "/selfservice/flows/settings/required_aal",
)
METHODS = "/selfservice/methods"
CODE_MFA = f"{METHODS}/code/mfa_enabled"
CODE_PASSWORDLESS = f"{METHODS}/code/passwordless_enabled"
CODE_ENABLED = f"{METHODS}/code/enabled"
WEBAUTHN_ENABLED = f"{METHODS}/webauthn/enabled"
WEBAUTHN_PASSWORDLESS = f"{METHODS}/webauthn/config/passwordless"
# Second factors that only count as MFA when enabled (ory-api.md §1d-2); webauthn counts only
# when not passwordless (K26 webauthn/strategy.go:88-123).
PLAIN_SECOND_FACTORS: tuple[Pointer, ...] = (
    f"{METHODS}/totp/enabled",
    f"{METHODS}/lookup_secret/enabled",
    CODE_MFA,
)
DEFAULT_SCHEMA_ID = "/identity/default_schema_id"
HOOK_FLOWS = ("login", "registration", "settings", "verification", "recovery")
MFA_OPTIONAL_PROFILE = "kratos test/e2e/profiles/mfa-optional (identity.traits.schema.json)"


@dataclass(frozen=True)
class Finding:
    """One lint result: which rule, how bad, what is wrong, where (identity-config pointers),
    and what to do about it."""

    rule_id: str
    severity: Severity
    message: str
    pointers: tuple[str, ...]
    fix: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str


# -- the state rules look at ----------------------------------------------------------------


class LintContext:
    """Desired merged over live, Kratos defaults, and the identity schemas behind them."""

    def __init__(
        self,
        desired: JSONObject,
        live: JSONObject | None,
        schema_contents: Mapping[str, bytes] | None,
        kratos: KratosSchema,
    ) -> None:
        self.desired = desired
        self.live = live
        merged = deep_merge(live or {}, desired)
        self.merged: JSONObject = merged if isinstance(merged, dict) else {}
        self.contents = schema_contents
        self._kratos = kratos
        self.schemas = identity_schemas.resolve_schemas(self.merged, schema_contents)

    def value(self, pointer: Pointer, document: JSONValue | None = None) -> JSONValue:
        """The value at ``pointer`` in ``document`` (default: merged), else the Kratos default."""
        found, value = get_at(self.merged if document is None else document, pointer)
        if found:
            return value
        return self._kratos.default_at(pointer)[1]

    def is_true(self, pointer: Pointer, document: JSONValue | None = None) -> bool:
        return self.value(pointer, document) is True

    def highest_available_pointers(self) -> list[Pointer]:
        return [p for p in REQUIRED_AAL_POINTERS if self.value(p) == HIGHEST_AVAILABLE]

    def second_factors(self, document: JSONValue | None = None) -> list[Pointer]:
        enabled = [p for p in PLAIN_SECOND_FACTORS if self.is_true(p, document)]
        if self.is_true(WEBAUTHN_ENABLED, document) and not self.is_true(
            WEBAUTHN_PASSWORDLESS, document
        ):
            enabled.append(WEBAUTHN_ENABLED)
        return enabled

    def default_schema_id(self) -> str:
        return str(self.value("/identity/default_schema_id"))

    def schema_pointer(self, schema: ResolvedSchema) -> Pointer:
        return f"/identity/schemas/{self.schemas.index(schema)}"

    def has_default_schema(self) -> bool:
        default = self.default_schema_id()
        return any(s.id == default or s.digest == default for s in self.schemas)

    def live_schemas(self) -> dict[str, ResolvedSchema]:
        """The live identity schemas by id (none without live state)."""
        if self.live is None:
            return {}
        return {s.id: s for s in identity_schemas.resolve_schemas(self.live, self.contents)}

    def active_schemas(self) -> list[ResolvedSchema]:
        """The default schema and every self-service-selectable one (ory-api.md §1d-1)."""
        default = self.default_schema_id()
        return [s for s in self.schemas if s.id == default or s.digest == default or s.selectable]


RuleCheck = Callable[[LintContext], Iterator[Finding]]


# -- rules ----------------------------------------------------------------------------------

RULES: dict[str, Rule] = {}
CHECKS: list[tuple[Rule, RuleCheck]] = []


def rule(rule_id: str, severity: Severity, title: str) -> Callable[[RuleCheck], RuleCheck]:
    def register(check: RuleCheck) -> RuleCheck:
        rule = Rule(rule_id, severity, title)
        RULES[rule_id] = rule
        CHECKS.append((rule, check))
        return check

    return register


def make_finding(rule_id: str, message: str, pointers: list[Pointer], fix: str) -> Finding:
    rule = RULES[rule_id]
    return Finding(rule.id, rule.severity, message, tuple(dict.fromkeys(pointers)), fix)
