"""A migration plan as Markdown, for a reviewer (``plan ENV --migration-plan FILE``)."""

from __future__ import annotations

from reconciler.comparing.migration import Step, StepKind
from reconciler.plan.migration import MigrationPlan, Switch

GUIDE = "docs/identity-schemas.md"
_UNKNOWN = "?"


def format_migration(migration: MigrationPlan) -> str:
    lines = [
        f"# Identity migration plan: `{migration.environment}`",
        "",
        f"Read-only: nothing was changed. From the plan against {migration.target}, live "
        f"revision `{migration.revision}`. It holds no identity's data: schema ids, trait "
        "paths, transforms and counts only.",
        "",
        _counts_line(migration),
    ]
    if not migration.switches:
        lines += ["", "No identity schema switch in this plan: no identity would move."]
    for switch in migration.switches:
        lines += ["", *_switch(switch)]
    lines += ["", *_executing()]
    return "\n".join(lines) + "\n"


def _counts_line(migration: MigrationPlan) -> str:
    if migration.counted:
        return "Counts come from the project's identities, read when this plan was made."
    return (
        "Counts are not known (`?`): they need read access to the project's identities; "
        f"see {GUIDE}."
    )


def _count(value: int | None) -> str:
    return _UNKNOWN if value is None else str(value)


def _switch(switch: Switch) -> list[str]:
    moving = (
        f"Identities that would move: those whose `schema_id` is `{switch.from_id}` "
        f"(count: {_count(switch.identities)}). Switching the default moves none of them: only new "
        "identities get the new default; each existing one moves when its `schema_id` and "
        "traits are updated together."
    )
    lines = [f"## `{switch.from_id}` → `{switch.to_id}`", "", moving, ""]
    if not switch.content_known:
        return [
            *lines,
            "The content of one of the two schemas is not available, so the transforms are "
            "not known: make the old schema's file available in the repository (a file with "
            "the SHA-512 the live URL names) or let the plan read Ory's storage.",
        ]
    if not switch.steps:
        return [*lines, "No trait changes: identities move as they are."]
    touched = switch.touched or tuple(None for _ in switch.steps)
    groups: dict[StepKind, tuple[str, list[str]]] = {
        "transform": ("### Trait transforms", []),
        "notice": ("### Not a trait transform: tell users", []),
        "nothing": ("### Nothing to do (the new schema accepts more)", []),
    }
    for number, (step, count) in enumerate(zip(switch.steps, touched, strict=True), 1):
        groups[step.kind][1].append(_step_row(number, step, count))
    tables = [_table(heading, rows) for heading, rows in groups.values() if rows]
    return lines + [line for table in tables for line in ["", *table]][1:]


def _step_row(number: int, step: Step, count: int | None) -> str:
    change = step.change
    shown_count = _count(count) if step.kind == "transform" else ""
    cells = [
        str(number),
        f"`{change.trait}`",
        change.classification,
        _cell(change.reason),
        _cell(step.action),
        shown_count,
    ]
    return "| " + " | ".join(cells) + " |"


def _table(heading: str, rows: list[str]) -> list[str]:
    return [
        heading,
        "",
        "| # | trait | class | change | what to do | identities |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _executing() -> list[str]:
    return [
        "## Executing it",
        "",
        "Not done by reconciler yet. For each identity of the old schema: apply the transforms "
        "to its traits, then update it with the new `schema_id` and the new traits in one "
        "request (`PUT /admin/identities/{id}`), so it passes the new schema. "
        f"{GUIDE} says what a tool that runs this needs (batches, resume, idempotence, a dry "
        "run by default).",
    ]
