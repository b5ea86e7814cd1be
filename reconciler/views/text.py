"""Present plans and results as text. Pure: no I/O, no decisions, secrets always masked.

A plan that changes one config service reads as a list of changes; one that changes several
heads each service's changes with its name (``Identity config (identity_config):``), and names
its pointers elsewhere with the service's key (``toy_config/token``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from reconciler import blobs
from reconciler.checks.finding import Finding, SecurityImpact
from reconciler.comparing import list_view
from reconciler.comparing.diff import Change
from reconciler.jsontypes import JSONValue, Pointer
from reconciler.plan.value import Plan
from reconciler.secrets import MASK
from reconciler.services import registry

if TYPE_CHECKING:
    from reconciler.checks.identity_counts import IdentityCounts
    from reconciler.views import Shown

_SYMBOL = {"add": "+", "change": "~", "reset": "-"}
_COLOR = {"add": "green", "change": "yellow", "reset": "red"}
_MAX_VALUE = 400


def format_shown(shown: Shown) -> str:
    """Every plan shown, one after the other (``--format text``)."""
    plans = [outcome.plan for outcome in shown.outcomes if outcome.plan is not None]
    return "\n".join(format_plan(plan, color=shown.color, verbose=shown.verbose) for plan in plans)


def format_plan(
    plan: Plan, *, color: bool = False, verbose: bool = False, allow_weaken: bool = False
) -> str:
    """``allow_weaken``: the command was given --allow-weaken (the weakening goes ahead)."""
    header = [
        _style(f"Environment {plan.environment}: {plan.target}", color, bold=True),
        f"Live revision: {plan.revision}",
        "",
    ]
    lines = [format_changes(plan, color=color, verbose=verbose).rstrip("\n")]
    weakening = len(plan.weakening())
    if weakening:
        lines.append(
            _style(
                f"{weakening} of these changes {'weakens' if weakening == 1 else 'weaken'} "
                "security: ",
                color,
                fg="red",
            )
            + ("allowed by --allow-weaken." if allow_weaken else "apply needs --allow-weaken.")
        )
    return "\n".join(header + lines) + "\n"


def format_changes(plan: Plan, *, color: bool = False, verbose: bool = False) -> str:
    """The changes, warnings, findings and summary line, without the environment header.
    Write-only values that are not compared take one line; ``verbose`` lists each."""
    lines: list[str] = []
    impacts = plan.impacts or _neutral(plan)
    # Each service heads its changes, unless they are the identity config's alone (as every
    # plan was before the other services).
    changed = {change.service for change in plan.changes}
    headed = bool(changed - {registry.IDENTITY.name})
    heading = ""
    for index, (change, impact) in enumerate(zip(plan.changes, impacts, strict=True)):
        if headed and change.service != heading:
            heading = change.service
            service = registry.named(heading)
            lines.append(_style(f"  {service.title} ({service.key}):", color, bold=True))
        lines.extend(_change_lines(change, plan.fields_of(index), plan, color))
        if impact.impact == "weakens":
            lines.append(_style(f"      ! weakens security: {impact.reason}", color, fg="red"))
    if verbose:
        lines.extend(
            f"  = {plan.named(name, pointer)}: {plan.shown_as(name, pointer)}, "
            "not compared, not sent"
            for name, pointer in _each(plan.unverified)
        )
        lines.extend(
            f"  > {plan.named(name, pointer)}: {plan.shown_as(name, pointer)}, "
            "sent (Ory may not return it)"
            for name, pointer in _each(plan.write_only_sent)
        )
    if plan.changes or (verbose and (plan.unverified or plan.write_only_sent)):
        lines.append("")
    write_only = write_only_lines(plan)
    if write_only:
        lines.extend([*write_only, ""])
    lines.extend(_closing_lines(plan, color))
    return "\n".join(lines) + "\n"


def _closing_lines(plan: Plan, color: bool) -> list[str]:
    """Warnings, findings, identity counts and the summary line."""
    lines = [_style(f"Warning: {warning}", color, fg="yellow") for warning in plan.warnings]
    if plan.warnings:
        lines.append("")
    notes = format_notes(plan.notes, color=color)
    if notes:
        lines.extend([notes.rstrip("\n"), ""])
    if plan.identity_counts is not None:
        lines.extend([*identity_lines(plan.identity_counts), ""])
    return [*lines, summary(plan)]


def identity_lines(counts: IdentityCounts) -> list[str]:
    """The identity counts as ``plan`` and ``reconciler identities`` print them: integers by
    schema id, credential type and check, nothing of any identity."""
    pages = "request" if counts.pages == 1 else "requests"
    lines = [f"Identities: {counts.scope()} from the project API ({counts.pages} {pages})."]
    lines.append("  by schema: " + _tally(counts.per_schema))
    lines.append("  by credential type: " + _tally(counts.per_credential))
    lines.append(
        f"  with a one-time-code address (the code second factor when code.mfa_enabled): "
        f"{counts.code_second_factor:,}, of them with no other second factor (TOTP, "
        f"WebAuthn, lookup secrets): {counts.code_only:,}"
    )
    for label, checked in counts.checked.items():
        why = counts.reasons.get(label, {})
        because = f" ({_tally(why)})" if why else ""
        lines.append(f"  failing {label}: {counts.failing.get(label, 0):,} of {checked:,}{because}")
    return lines


def _tally(counted: Mapping[str, int]) -> str:
    return ", ".join(f"{name or '(none)'} {number:,}" for name, number in counted.items()) or "none"


def _each(by_service: Mapping[str, tuple[Pointer, ...]]) -> list[tuple[str, Pointer]]:
    return [(name, pointer) for name, pointers in by_service.items() for pointer in pointers]


def write_only_lines(plan: Plan) -> list[str]:
    """What the plan says, when some declared value could not be compared (Ory does not
    return it): how many (``-v`` names them), and which values Ory may not return it sends."""
    if not plan.unverified_count():
        return []
    lines = [not_compared(plan)]
    if plan.sent_write_only():
        sent = ", ".join(plan.named(*each) for each in _each(plan.write_only_sent))
        lines.append(f"Sent with this plan although Ory may not return them: {sent}.")
    return lines


def not_compared(plan: Plan) -> str:
    """One line: how many declared write-only values the plan could not compare."""
    count = plan.unverified_count()
    values = "value is" if count == 1 else "values are"
    return (
        f"{count} declared write-only {values} not compared: Ory does not return "
        f"{'it' if count == 1 else 'them'}, so a change cannot be seen (-v lists "
        f"{'it' if count == 1 else 'them'}; `rotate:` or --rotate-secrets sends "
        f"{'it' if count == 1 else 'them'} again)."
    )


def _neutral(plan: Plan) -> tuple[SecurityImpact, ...]:
    return tuple(SecurityImpact("neutral", "") for _ in plan.changes)


def format_notes(notes: tuple[Finding, ...], *, color: bool = False) -> str:
    """Schema problems and lint findings, errors first, each with where and how to fix."""
    lines = []
    for note in notes:
        head, _, rest = note.describe().partition("] ")
        color_name = "red" if note.is_error else "cyan" if note.acknowledged else "yellow"
        lines.append(f"{_style(head + ']', color, fg=color_name)} {rest}")
        if note.acknowledged:
            lines.append(f"    acknowledged ({note.severity}, not blocking): {note.acknowledged}")
        elif note.fix:
            lines.append(f"    fix: {note.fix}")
    return "\n".join(lines) + "\n" if lines else ""


def summary(plan: Plan) -> str:
    if plan.is_empty:
        return "No changes."
    counts = plan.counts()
    return (
        f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['reset']} to reset."
    )


def _change_lines(
    change: Change, fields: tuple[list_view.FieldChange, ...], plan: Plan, color: bool
) -> list[str]:
    if fields:
        lines = [_field_line(field, plan, color, change.service) for field in fields]
    else:
        lines = [_whole_line(change, plan, color)]
    if change.note and change.action != "reset":
        lines.append(f"      note: {change.note}")
    lines.extend(f"      - {detail}" for detail in change.details)
    return lines


def _whole_line(change: Change, plan: Plan, color: bool) -> str:
    symbol = _style(_SYMBOL[change.action], color, fg=_COLOR[change.action])
    path = change.label or change.pointer
    desired = display_value(change.desired, change.source or change.pointer, plan, change.service)
    if change.action == "add":
        return f"  {symbol} {path}: {desired}"
    live = live_value(change.live, change.pointer, plan, change.service)
    if change.action == "change":
        return f"  {symbol} {path}: {live} -> {desired}"
    target = "(server default)" if change.note else desired
    return f"  {symbol} {path}: {live} -> {target} (reset)"


def _field_line(field: list_view.FieldChange, plan: Plan, color: bool, service: str) -> str:
    symbol = _style(_SYMBOL[field.action], color, fg=_COLOR[field.action])
    desired = (
        display_value(field.desired, field.desired_pointer, plan, service)
        if field.desired_pointer is not None
        else _plain(field.desired)
    )
    live = (
        live_value(field.live, field.live_pointer, plan, service)
        if field.live_pointer is not None
        else _plain(field.live)
    )
    if field.action == "add":
        return f"  {symbol} {field.label}: {desired}"
    if field.action == "reset":
        return f"  {symbol} {field.label}: {live}"
    return f"  {symbol} {field.label}: {live} -> {desired}"


def change_lines(plan: Plan, index: int) -> list[str]:
    """Change ``index`` of ``plan`` as uncoloured lines (``+ /path: value``), secrets masked;
    for other views."""
    lines = _change_lines(plan.changes[index], plan.fields_of(index), plan, color=False)
    return [line[2:] for line in lines]


def display_value(value: JSONValue, pointer: Pointer, plan: Plan, service: str) -> str:
    """A desired value of ``service``'s config: secrets masked, inlined files named by their
    ``file://`` reference."""
    return _shown(_abbreviate(value, pointer, plan, service, refs=True))


def live_value(value: JSONValue, pointer: Pointer, plan: Plan, service: str) -> str:
    """A live value of ``service``'s config: secrets masked, stored content by its hash.
    Never labelled with the desired entry's file (the entry at the same index may be another
    one)."""
    return _shown(_abbreviate(value, pointer, plan, service, refs=False))


def _shown(shown: JSONValue | _Label) -> str:
    text = str(shown) if isinstance(shown, _Label) else _json(shown)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _plain(value: JSONValue) -> str:
    return value if isinstance(value, str) else _json(value)


def _stored(value: str, desired: bool) -> bool:
    """Shown by its hash: inlined content, or any stored content on the live side (a URL
    the user wrote stays as written)."""
    return value.startswith(blobs.BASE64_SCHEME) or not desired


class _Label(str):
    """Text shown as it is (a mask, a file name with its hash), not as a JSON string."""


def _abbreviate(
    value: JSONValue, pointer: Pointer, plan: Plan, service: str, *, refs: bool
) -> JSONValue:
    """``value`` with its secrets masked and its stored content named by its hash."""

    def leaf(at: Pointer, leaf: JSONValue) -> JSONValue:
        return _abbreviate_blob(leaf, at, plan, service, refs=refs)

    return plan.masked(service, value, pointer, secret=lambda _at, _v: _Label(MASK), other=leaf)


def _abbreviate_blob(
    value: JSONValue, pointer: Pointer, plan: Plan, service: str, *, refs: bool
) -> JSONValue:
    if isinstance(value, str) and blobs.looks_like_blob(value) and _stored(value, refs):
        digest = blobs.digest_of(value)
        if digest is None:
            return value
        source = plan.file_ref(service, pointer) if refs else None
        return _Label(f"{source} (sha512:{digest[:12]}…)" if source else f"sha512:{digest[:12]}…")
    return value


def _json(value: JSONValue) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _style(text: str, color: bool, *, fg: str | None = None, bold: bool = False) -> str:
    return click.style(text, fg=fg, bold=bold) if color else text


def applied(plan: Plan, revision: str) -> str:
    counts = plan.counts()
    return (
        f"Apply complete: {counts['add']} added, {counts['change']} changed, "
        f"{counts['reset']} reset. Live revision is now {revision}.\n"
    )


def format_warnings(warnings: tuple[str, ...]) -> str:
    lines = ["The target reported warnings about keys this environment sets:"]
    lines.extend(f"  - {warning}" for warning in warnings)
    return "\n".join(lines) + "\n"
