"""The lint rule framework: the registry and the state rules look at.

Lint rules for the traps a schema cannot see, each registered for the config service it
looks at (``rule(..., service=...)``; the identity config's unless said).

Every rule has a stable id, a severity, and cites its source in ``docs/rules.md`` (and
ory-api.md §1d). Rules look at the desired state merged over live (mappings deep-merged,
desired wins, lists replaced) and fall back to Kratos defaults where neither says anything:
a rule must see ``required_aal: highest_available`` even when nobody wrote it (ory-api.md §1c
"AAL settings": it is the default and the Ory Network default).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from reconciler.checks.finding import Finding, Severity
from reconciler.checks.kratos_schema import KratosSchema
from reconciler.comparing import identity_schemas
from reconciler.comparing.identity_schemas import ResolvedSchema
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, deep_merge, get_at
from reconciler.services import identity
from reconciler.services.identity import aal

_Found = TypeVar("_Found")

DEFAULT_SCHEMA_ID = "/identity/default_schema_id"
HOOK_FLOWS = ("login", "registration", "settings", "verification", "recovery")
MFA_OPTIONAL_PROFILE = "kratos test/e2e/profiles/mfa-optional (identity.traits.schema.json)"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    # The config service it looks at (``services/``).
    service: str = identity.NAME


# -- the state rules look at ----------------------------------------------------------------


class LintContext:
    """One service's config: desired merged over live, its defaults (Kratos' for the identity
    config), and the identity schemas behind them."""

    def __init__(
        self,
        desired: JSONObject,
        live: JSONObject | None,
        schema_contents: Mapping[str, bytes] | None,
        kratos: KratosSchema,
        others: Mapping[str, JSONObject] | None = None,
    ) -> None:
        self.desired = desired
        # The other planned services' configs by name (desired merged over live).
        self.others: Mapping[str, JSONObject] = others or {}
        self.live = live
        merged = deep_merge(live or {}, desired)
        self.merged: JSONObject = merged if isinstance(merged, dict) else {}
        self.contents = schema_contents
        self._kratos = kratos
        self._found: dict[str, object] = {}

    @functools.cached_property
    def schemas(self) -> list[ResolvedSchema]:
        """The identity schemas the merged config lists (the identity config's rules ask)."""
        return identity_schemas.resolve_schemas(self.merged, self.contents)

    def recall(self, what: str) -> object | None:
        """What a rule found and remembered as ``what`` (``remember``), or None: several rules
        look at the same things (every hook list, every web hook)."""
        return self._found.get(what)

    def remember(self, what: str, found: _Found) -> _Found:
        self._found[what] = found
        return found

    def value(self, pointer: Pointer, document: JSONValue | None = None) -> JSONValue:
        """The value at ``pointer`` in ``document`` (default: merged), else the Kratos default."""
        found, value = get_at(self.merged if document is None else document, pointer)
        if found:
            return value
        return self._kratos.default_at(pointer)[1]

    def is_true(self, pointer: Pointer, document: JSONValue | None = None) -> bool:
        return self.value(pointer, document) is True

    def highest_available_pointers(self) -> list[Pointer]:
        return [p for p in aal.REQUIRED_AAL_POINTERS if self.value(p) == aal.HIGHEST_AVAILABLE]

    def second_factors(self, document: JSONValue | None = None) -> list[Pointer]:
        switches = {p: self.is_true(p, document) for p in aal.SECOND_FACTOR_SWITCHES}
        return aal.second_factors(switches)

    def knows(self, pointer: Pointer) -> bool:
        """True when the Kratos release judging the config has a setting at ``pointer``."""
        return self._kratos.declares(pointer)

    def default_schema_id(self) -> str | None:
        """The schema new identities get; ``None`` when nobody can tell: offline, an
        environment that declares no ``default_schema_id`` leaves live's in place, whatever
        it is. With live state the merged config is whole, and Kratos' default applies."""
        found, value = get_at(self.merged, DEFAULT_SCHEMA_ID)
        if found:
            return str(value)
        return None if self.live is None else str(self.value(DEFAULT_SCHEMA_ID))

    def schema_pointer(self, schema: ResolvedSchema) -> Pointer:
        return f"/identity/schemas/{self.schemas.index(schema)}"

    def has_default_schema(self) -> bool:
        """Whether the default names a schema the project will have: a declared one, or a
        live one (identity schemas are never removed, ``diff.py``); true when unknown."""
        default = self.default_schema_id()
        schemas = [*self.schemas, *self.live_schemas().values()]
        return default is None or any(_is_schema(s, default) for s in schemas)

    def live_schemas(self) -> dict[str, ResolvedSchema]:
        """The live identity schemas by id (none without live state)."""
        if self.live is None:
            return {}
        return {s.id: s for s in identity_schemas.resolve_schemas(self.live, self.contents)}

    def active_schemas(self) -> list[ResolvedSchema]:
        """The default schema and every self-service-selectable one (ory-api.md §1d-1); every
        declared schema when the default is unknown (any of them may be it)."""
        default = self.default_schema_id()
        if default is None:
            return list(self.schemas)
        return [s for s in self.schemas if _is_schema(s, default) or s.selectable]

    def schemas_with_users(self) -> list[tuple[ResolvedSchema, str]]:
        """Every identity schema identities may have, with who has it, the live default first.

        The declared list plus live schemas it leaves out (Ory never removes them): existing
        identities keep the schema they were created under, so all of them count.
        """
        live_default = None if self.live is None else str(self.value(DEFAULT_SCHEMA_ID, self.live))
        new_default = self.default_schema_id()
        live = list(self.live_schemas().values())
        known = {s.id for s in self.schemas}
        candidates = self.schemas + [s for s in live if s.id not in known]
        ranked = []
        for schema in candidates:
            roles = []
            if _is_schema(schema, live_default):
                roles.append("the live default")
            if _is_schema(schema, new_default) and not _is_schema(schema, live_default):
                roles.append("the default" if live_default is None else "the new default")
            if schema.selectable:
                roles.append("selectable at registration")
            rank = 0 if _is_schema(schema, live_default) else 1 if roles else 2
            if (
                not roles
                and self.live is not None
                and not any(_same_entry(schema, x) for x in live)
            ):
                continue  # new, neither default nor selectable: nobody has it yet
            if not roles:
                roles = [
                    "in identity.schemas" if self.live is None else "existing identities keep it"
                ]
            ranked.append((rank, schema, "; ".join(roles)))
        return [(schema, role) for _, schema, role in sorted(ranked, key=lambda r: r[0])]


def _is_schema(schema: ResolvedSchema, schema_id: str | None) -> bool:
    # Ory Network may name a custom schema after the SHA-512 of its content (ory-api.md §1a-2).
    return schema_id is not None and (schema_id == schema.id or schema_id in schema.digests)


def _same_entry(schema: ResolvedSchema, live: ResolvedSchema) -> bool:
    return schema.id == live.id or bool(schema.digests & {live.id, *live.digests})


RuleCheck = Callable[[LintContext], Iterator[Finding]]


# -- rules ----------------------------------------------------------------------------------

RULES: dict[str, Rule] = {}
CHECKS: list[tuple[Rule, RuleCheck]] = []


def rule(
    rule_id: str, severity: Severity, title: str, *, service: str = identity.NAME
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule of ``service``'s config (the identity config's unless said)."""

    def register(check: RuleCheck) -> RuleCheck:
        rule = Rule(rule_id, severity, title, service)
        RULES[rule_id] = rule
        CHECKS.append((rule, check))
        return check

    return register


def make_finding(
    rule_id: str,
    message: str,
    pointers: list[Pointer],
    fix: str,
    *,
    severity: Severity | None = None,
) -> Finding:
    """A finding of ``rule_id``, at the rule's severity unless this one is surer (or less)."""
    rule = RULES[rule_id]
    return Finding(
        rule.id,
        severity or rule.severity,
        message,
        pointers=tuple(dict.fromkeys(pointers)),
        fix=fix,
    )
