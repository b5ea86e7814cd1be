"""Lint rules about identity schemas: content changed under an id, default switched or unknown."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import (
    DEFAULT_SCHEMA_ID,
    LintContext,
    make_finding,
    rule,
)
from reconciler.comparing import identity_schemas
from reconciler.comparing.identity_schemas import ResolvedSchema
from reconciler.comparing.trait_diff import trait_diff
from reconciler.jsontypes import get_at


def _trait_summary(old: ResolvedSchema, new: ResolvedSchema) -> str:
    if old.content is None or new.content is None:
        return ""
    changes = trait_diff(old.content, new.content)
    breaking = [f"{c.trait}: {c.reason}" for c in changes if c.breaking]
    return f" Breaking for existing identities: {'; '.join(breaking)}." if breaking else ""


@rule("identity-schema-changed", "error", "identity schema content changed under the same id")
def _identity_schema_changed(ctx: LintContext) -> Iterator[Finding]:
    # Identity schemas are immutable on Ory Network (DOCS manage-identity-schema.mdx:94,
    # TF identityschema/resource.go:52; ory-api.md §1c, §1d-9). That holds for presets too:
    # an exported preset edited in place would replace what every existing identity uses.
    _, written = get_at(ctx.desired, "/identity/schemas")
    if not isinstance(written, list):
        return
    live = ctx.live_schemas()
    for schema in ctx.schemas:
        before = live.get(schema.id)
        if before is None:
            continue
        if not before.digests or not schema.digests or before.digests & schema.digests:
            continue
        if before.content is not None and before.content == schema.content:
            continue  # the same schema, serialised differently
        yield make_finding(
            "identity-schema-changed",
            f"identity schema `{schema.id}` has different content than the live schema with "
            "the same id; Ory Network identity schemas cannot be changed in place, and existing "
            "identities of this schema would be validated against the new content."
            + _trait_summary(before, schema),
            [f"{ctx.schema_pointer(schema)}/url"],
            f"Publish the new content under a new schema id (e.g. `{_next_id(schema.id)}`, with "
            "its own file), point identity.default_schema_id at it, keep the old entry unchanged, "
            "and migrate existing identities to the new id (`reconciler plan ENV "
            "--migration-plan FILE` lists the trait transforms they need).",
        )


def _next_id(schema_id: str) -> str:
    """A suggested id for the new version of ``schema_id`` (``preset://email`` -> ``email-v2``)."""
    base = schema_id.removeprefix(identity_schemas.PRESET_SCHEME)
    match = re.fullmatch(r"(.*?)-?v(\d+)", base)
    return f"{match.group(1)}-v{int(match.group(2)) + 1}" if match else f"{base}-v2"


def _same_schema(ctx: LintContext, live_id: str, new_id: str) -> bool:
    # Ory Network may rename a custom schema to the SHA-512 of its content (ory-api.md §1a-2).
    if live_id == new_id:
        return True
    return any(s.id == new_id and live_id in s.digests for s in ctx.schemas)


@rule("default-schema-switched", "warning", "default_schema_id switched")
def _default_schema_switched(ctx: LintContext) -> Iterator[Finding]:
    # DOCS manage-identity-schema.mdx:47-52: only new identities use the new default.
    if ctx.live is None:
        return
    live_default = str(ctx.value("/identity/default_schema_id", ctx.live))
    new_default = ctx.default_schema_id()
    if new_default is None or _same_schema(ctx, live_default, new_default):
        return
    yield make_finding(
        "default-schema-switched",
        f"identity.default_schema_id changes from `{live_default}` to `{new_default}`: only new "
        "identities use it; existing identities stay on the old schema and may be unable to "
        "sign in if their traits do not fit what the UI now expects",
        ["/identity/default_schema_id"],
        "Keep the old schema in identity.schemas and migrate existing identities to the new "
        "schema id (admin API) after the switch; `reconciler plan ENV --migration-plan FILE` "
        "lists the trait transforms they need.",
    )


@rule("default-schema-unknown", "error", "default_schema_id names no configured schema")
def _default_schema_unknown(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json identity: default_schema_id must be one of identity.schemas[].id
    # (declared or live: schemas are never removed). Not assumed when nothing sets it. Before
    # v0.9.0-alpha.1 there was no default_schema_id: identity.default_schema_url named the
    # default schema and identity.schemas listed the others.
    if not ctx.schemas or not ctx.knows(DEFAULT_SCHEMA_ID) or ctx.has_default_schema():
        return
    yield make_finding(
        "default-schema-unknown",
        f"identity.default_schema_id is `{ctx.default_schema_id()}` but identity.schemas has "
        f"no schema with that id ({', '.join(s.id for s in ctx.schemas)})",
        [DEFAULT_SCHEMA_ID, "/identity/schemas"],
        "Set identity.default_schema_id to the id of one of identity.schemas.",
    )
