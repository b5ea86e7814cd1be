"""How many of the project's identities a plan touches, read from the project API with a
project API key (opt-in: ``ORY_PROJECT_API_KEY``; off with ``--no-identity-counts``).

Shared by ``plan`` (counts added to the plan, the forced-2FA finding stating its number) and
``reconciler identities`` (the counts on their own). Read-only: identities are listed, never
written; their traits are checked in memory and dropped (``checks/identity_counts.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from reconciler.checks import identity_counts
from reconciler.checks.finding import Finding
from reconciler.checks.identity_counts import (
    CodeAddresses,
    IdentityCounts,
    TraitCheck,
    switch_label,
)
from reconciler.comparing import identity_schemas
from reconciler.comparing.identity_schemas import ResolvedSchema
from reconciler.errors import RemoteError
from reconciler.jsontypes import JSONObject, get_at
from reconciler.loading.validate import PROJECT_API_KEY, ValidEnvironment
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.targets import LiveState, project_api
from reconciler.usecases.steps import Settings

FORCED_2FA_RULE = "code-mfa-forces-2fa"
DEFAULT_SCHEMA = "/identity/default_schema_id"
HOW_TO_COUNT = (
    f"To count the identities it affects, set {project_api.KEY_VARIABLE} (a project API key, "
    "ory_pat_…)"
)


@dataclass(frozen=True)
class Schemas:
    """The identity schemas a plan compares: live's and the desired ones (content resolved
    where known), and each side's default."""

    live: tuple[ResolvedSchema, ...]
    desired: tuple[ResolvedSchema, ...]
    live_default: str | None
    desired_default: str | None

    @classmethod
    def of(cls, desired: JSONObject, live: JSONObject, contents: Mapping[str, bytes]) -> Schemas:
        def default(config: JSONObject) -> str | None:
            found, value = get_at(config, DEFAULT_SCHEMA)
            return str(value) if found else None

        return cls(
            tuple(identity_schemas.resolve_schemas(live, contents)),
            tuple(identity_schemas.resolve_schemas(desired, contents)),
            default(live),
            default(desired) or default(live),
        )

    def code_addresses(self) -> CodeAddresses:
        """Every known schema's one-time-code identifier traits, under each id it may have."""
        found: dict[str, tuple[str, ...]] = {}
        for schema in (*self.live, *self.desired):
            names = tuple(t.name for t in identity_schemas.code_identifiers(schema.content or {}))
            for name in _names_of(schema):
                found.setdefault(name, names)
        return CodeAddresses(found)

    def forced(self) -> frozenset[str]:
        """Every id of the schemas whose required traits are code identifiers: with
        ``code.mfa_enabled`` all their identities get the code second factor."""
        return frozenset(
            name
            for schema in (*self.live, *self.desired)
            if identity_schemas.required_code_identifiers(schema.content or {})
            for name in _names_of(schema)
        )

    def trait_checks(self) -> list[TraitCheck]:
        """A live schema whose id the environment gives other content: its identities against
        the new content. A default switched: the old default's identities against the new one
        (what a migration would have to fix)."""
        from reconciler.checks.kratos_schema import traits_check

        checks: list[TraitCheck] = []
        desired = {s.id: s for s in self.desired}
        for old in self.live:
            new = desired.get(old.id)
            if new is None or new.content is None or old.content in (None, new.content):
                continue
            reasons = traits_check(new.content)
            if reasons is not None:
                label = switch_label(old.id, old.id)
                checks.append(TraitCheck(label, _names_of(old), reasons))
        switched = self.desired_default not in (None, self.live_default)
        old_default = self._schema(self.live, self.live_default)
        new_default = self._schema((*self.desired, *self.live), self.desired_default)
        if switched and old_default is not None and new_default and new_default.content:
            reasons = traits_check(new_default.content)
            if reasons is not None:
                label = switch_label(old_default.id, new_default.id)
                checks.append(TraitCheck(label, _names_of(old_default), reasons))
        return checks

    @staticmethod
    def _schema(schemas: Iterable[ResolvedSchema], name: str | None) -> ResolvedSchema | None:
        return next((s for s in schemas if name is not None and name in _names_of(s)), None)


def _names_of(schema: ResolvedSchema) -> frozenset[str]:
    # Ory may store a custom schema under the SHA-512 of its content (ory-api.md §1a-2).
    return frozenset({schema.id, *schema.digests})


def read_counts(
    url: str,
    key: str,
    schemas: Schemas,
    settings: Settings,
    *,
    checks: Sequence[TraitCheck] | None = None,
) -> IdentityCounts:
    """Read the project's identities (at most ``settings.identity_sample``) and count them.

    ``checks``: which schemas their traits are validated against (by label); None: the ones
    ``schemas`` implies (``Schemas.trait_checks``). A migration plan passes its own, one per
    schema switch it plans, and reads ``failing``/``checked`` by label."""
    from reconciler.targets.client import ProjectApiClient

    def progress(read: int) -> None:
        if settings.progress is not None:
            settings.progress(f"identities: {read:,} read")

    client = ProjectApiClient(url, key)
    try:
        listed = project_api.Identities(
            client.get_list, limit=settings.identity_sample, progress=progress
        )
        counts = identity_counts.count(
            listed,
            code=schemas.code_addresses(),
            checks=schemas.trait_checks() if checks is None else checks,
        )
    finally:
        client.close()
    return replace(counts, complete=not listed.more, pages=listed.pages)


def project_url(live: LiveState, settings: Settings) -> str:
    slug = live.target.facts.get("slug", "") if live.target is not None else ""
    return project_api.project_api_url(settings.environ, slug)


def key_variable(environment: ValidEnvironment) -> str | None:
    """The variable the environment's ``target.ory_network.project_api_key`` names (checked
    to start with ``ORY_PROJECT_API_KEY`` when loaded), or None."""
    info = environment.raw.info.get(PROJECT_API_KEY)
    return info.variables[0] if info is not None and info.variables else None


def add_counts(
    plan: Plan,
    live: LiveState,
    desired: Mapping[str, JSONObject],
    contents: Mapping[str, bytes],
    settings: Settings,
    variable: str | None = None,
) -> Plan:
    """``plan`` with the project's identity counts (and the forced-2FA finding stating its
    number), or saying how to get them. A failure to read them is a warning of the plan: the
    plan itself stands."""
    if not settings.identity_counts:
        return plan
    key = project_api.project_key(settings.environ, variable)
    if key is None:
        return _with_hint(plan, HOW_TO_COUNT)
    schemas = schemas_of(desired, live, contents)  # only when counting: plan --all pays nothing
    try:
        counts = read_counts(project_url(live, settings), key, schemas, settings)
    except RemoteError as exc:
        warning = f"identities not counted: {exc}"
        return replace(plan, warnings=(*plan.warnings, warning))
    notes = tuple(_counted(note, counts, schemas.forced()) for note in plan.notes)
    return replace(plan, notes=notes, identity_counts=counts)


def _with_hint(plan: Plan, hint: str) -> Plan:
    """``hint`` added to the forced-2FA finding, when the plan has one."""
    notes = tuple(
        replace(note, message=f"{note.message}. {hint}")
        if note.rule_id == FORCED_2FA_RULE
        else note
        for note in plan.notes
    )
    return replace(plan, notes=notes)


def _counted(note: Finding, counts: IdentityCounts, forced: frozenset[str]) -> Finding:
    if note.rule_id != FORCED_2FA_RULE:
        return note
    on = {name: n for name, n in counts.per_schema.items() if name in forced}
    tally = ", ".join(f"{name} {n:,}" for name, n in on.items()) or "none"
    return replace(
        note,
        message=f"{note.message}. Read from the project ({counts.scope()}): "
        f"{sum(on.values()):,} identities have these schemas ({tally}); "
        f"{counts.code_second_factor:,} identities have a one-time-code address and get the "
        f"code second factor, {counts.code_only:,} of them with no other second factor "
        "(TOTP, WebAuthn, lookup secrets)",
    )


def schemas_of(
    desired: Mapping[str, JSONObject], live: LiveState, contents: Mapping[str, bytes]
) -> Schemas:
    identity = registry.IDENTITY
    return Schemas.of(desired.get(identity.name, {}), live.of(identity), contents)
