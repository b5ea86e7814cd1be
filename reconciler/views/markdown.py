"""Plans as Markdown for pull-request comments and CI job summaries. Pure: text in, text out.

The first line is always the summary. Each environment gets a heading (not when there is only
one: the summary names it), its target and live revision, a caution block listing changes
that weaken security, then one collapsible ``<details>`` section per area (the identity
config's methods, AAL, hooks, schemas, other; one for each other config service), then
warnings and findings. GitHub refuses comments over 65 536
characters, so the text is kept under ``MAX_CHARS``: changes and findings are dropped from the
end until it fits, and a notice right under the summary says how many were cut.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.checks.finding import NEUTRAL, Finding, SecurityImpact
from reconciler.comparing.diff import Change
from reconciler.plan.value import Plan, PlanOutcome
from reconciler.services import registry
from reconciler.views import text as views

if TYPE_CHECKING:
    from reconciler.views import Shown

MAX_CHARS = 60_000
AREAS = ("Methods", "AAL", "Hooks", "Schemas", "Other")
RISK = "⚠️"
_CAUTION_LIMIT = 20
_BACKTICKS = re.compile(r"`+")


def area_of(change: Change) -> str:
    """Which section of the comment a change belongs to: by topic in the identity config,
    one section per other service."""
    if change.service != registry.IDENTITY.name:
        return registry.named(change.service).title
    pointer = change.pointer
    if pointer.endswith("/required_aal"):
        return "AAL"
    if "/hooks" in pointer:
        return "Hooks"
    if pointer.startswith("/selfservice/methods"):
        return "Methods"
    if pointer.startswith("/identity/"):
        return "Schemas"
    return "Other"


@dataclass
class _Budget:
    """How many changes and findings may still be shown; counts what was left out."""

    keep: int | None  # None: everything
    shown: int = 0
    cut_changes: int = 0
    cut_notes: int = 0

    def take(self, *, note: bool = False) -> bool:
        if self.keep is None or self.shown < self.keep:
            self.shown += 1
            return True
        if note:
            self.cut_notes += 1
        else:
            self.cut_changes += 1
        return False


def format_shown(shown: Shown) -> str:
    """The comment for every outcome shown (``--format markdown``)."""
    return format_outcomes(shown.outcomes)


def format_outcomes(outcomes: Sequence[PlanOutcome], *, limit: int = MAX_CHARS) -> str:
    """The comment for ``outcomes``, at most ``limit`` characters, summary first."""
    text = _render(outcomes, _Budget(None))
    if len(text) <= limit:
        return text
    low, high, best = 0, _items(outcomes), _render(outcomes, _Budget(0))
    while low < high:  # the most items that still fit
        middle = (low + high + 1) // 2
        candidate = _render(outcomes, _Budget(middle))
        if len(candidate) <= limit:
            low, best = middle, candidate
        else:
            high = middle - 1
    if len(best) > limit:  # even the headings alone are too long: cut the tail
        notice = "\n\n_(cut here: the comment would be too long)_\n"
        best = best[: limit - len(notice)] + notice
    return best


def _items(outcomes: Sequence[PlanOutcome]) -> int:
    plans = [o.plan for o in outcomes if o.plan is not None]
    return sum(len(p.changes) + len(p.notes) + len(p.warnings) for p in plans)


def _render(outcomes: Sequence[PlanOutcome], budget: _Budget) -> str:
    # One environment: the summary line already names it and its counts.
    headed = len(outcomes) > 1
    sections = [_environment(outcome, budget, headed=headed) for outcome in outcomes]
    head = [summary_line(outcomes)]
    if budget.cut_changes or budget.cut_notes:
        head.append(_cut_notice(outcomes, budget))
    return "\n\n".join([*head, *sections]) + "\n"


def summary_line(outcomes: Sequence[PlanOutcome]) -> str:
    """``**reconciler plan** · `dev` · Plan: 1 to add, … · ⚠️ 1 change weakens security``."""
    plans = [o.plan for o in outcomes if o.plan is not None]
    totals = {"add": 0, "change": 0, "reset": 0}
    for plan in plans:
        for action, count in plan.counts().items():
            totals[action] += count
    parts = ["**reconciler plan**", _scope(outcomes)]
    if any(totals.values()):
        parts.append(
            f"Plan: {totals['add']} to add, {totals['change']} to change, "
            f"{totals['reset']} to reset."
        )
    elif plans:
        parts.append("No changes.")
    parts.extend(_alarms(outcomes, plans))
    return " · ".join(parts)


def _scope(outcomes: Sequence[PlanOutcome]) -> str:
    if len(outcomes) == 1:
        return _code(outcomes[0].name)
    return f"{len(outcomes)} environments"


def _alarms(outcomes: Sequence[PlanOutcome], plans: list[Plan]) -> list[str]:
    alarms = []
    weakening = sum(len(plan.weakening()) for plan in plans)
    if weakening:
        alarms.append(f"{RISK} {_weaken(weakening)}")
    errors = sum(len(plan.errors) for plan in plans)
    if errors:
        alarms.append(f"❌ {_count(errors, 'error')}")
    failed = [o.name for o in outcomes if o.plan is None]
    if failed:
        alarms.append(f"❌ failed: {', '.join(_code(name) for name in failed)}")
    return alarms


def _cut_notice(outcomes: Sequence[PlanOutcome], budget: _Budget) -> str:
    what = []
    if budget.cut_changes:
        what.append(_count(budget.cut_changes, "change"))
    if budget.cut_notes:
        what.append(_count(budget.cut_notes, "warning or finding", "warnings or findings"))
    names = " ".join(o.name for o in outcomes)
    return (
        f"> ✂️ Cut to stay under {MAX_CHARS:,} characters: {' and '.join(what)} not shown. "
        f"Run `reconciler plan {names}` or read the saved plan for everything."
    )


def _environment(outcome: PlanOutcome, budget: _Budget, *, headed: bool = True) -> str:
    if outcome.plan is None:
        return f"### {_code(outcome.name)} · ❌ failed\n\n{_fenced(outcome.error)}"
    plan = outcome.plan
    blocks = [f"### {_code(outcome.name)} · {views.summary(plan)}"] if headed else []
    blocks.append(f"{_text(plan.target)} · live revision {_code(plan.revision)}")
    caution = _caution(plan)
    if caution:
        blocks.append(caution)
    blocks.extend(_areas(plan, budget))
    blocks.extend(_findings(plan, budget))
    return "\n\n".join(blocks)


def _caution(plan: Plan) -> str:
    weakening = plan.weakening()
    if not weakening:
        return ""
    lines = [
        "> [!CAUTION]",
        f"> {_weaken(len(weakening))}; apply refuses them without `--allow-weaken`:",
    ]
    for change, impact in weakening[:_CAUTION_LIMIT]:
        named = plan.named(change.service, change.pointer)
        lines.append(f"> - {_code(named)}: {_text(impact.reason)}")
    if len(weakening) > _CAUTION_LIMIT:
        lines.append(f"> - … and {len(weakening) - _CAUTION_LIMIT} more")
    return "\n".join(lines)


def _areas(plan: Plan, budget: _Budget) -> list[str]:
    impacts = plan.impacts or tuple(NEUTRAL for _ in plan.changes)
    grouped: dict[str, list[tuple[int, SecurityImpact]]] = {area: [] for area in AREAS}
    for index, (change, impact) in enumerate(zip(plan.changes, impacts, strict=True)):
        grouped.setdefault(area_of(change), []).append((index, impact))
    return [_area(area, entries, plan, budget) for area, entries in grouped.items() if entries]


def _area(area: str, entries: list[tuple[int, SecurityImpact]], plan: Plan, budget: _Budget) -> str:
    risky = sum(impact.impact == "weakens" for _, impact in entries)
    title = f"<b>{area}</b> · {_count(len(entries), 'change')}"
    if risky:
        title += f" · {RISK} {risky} {'weakens' if risky == 1 else 'weaken'} security"
    lines: list[str] = []
    hidden = 0
    for index, impact in entries:
        if not budget.take():
            hidden += 1
            continue
        lines.extend(_coloured(line) for line in views.change_lines(plan, index))
        if impact.impact == "weakens":
            lines.append(f"    {RISK} weakens security: {impact.reason}")
    body = _fenced("\n".join(lines), "diff") if lines else ""
    if hidden:
        body += f"\n\n_{_count(hidden, 'change')} not shown (cut to fit)._"
    opened = " open" if risky else ""
    return f"<details{opened}><summary>{title}</summary>\n\n{body.strip()}\n\n</details>"


def _coloured(line: str) -> str:
    """GitHub's ```diff colours only lines that start with ``+``, ``-`` or ``!``: a change
    (``~``) becomes ``!``, as Atlantis rewrites Terraform's plans."""
    return "!" + line[1:] if line.startswith("~ ") else line


def _findings(plan: Plan, budget: _Budget) -> list[str]:
    blocks = []
    warnings = [f"- {_text(w)}" for w in plan.warnings if budget.take(note=True)]
    if warnings:
        blocks.append("**Warnings**\n\n" + "\n".join(warnings))
    notes = [_note(note) for note in plan.notes if budget.take(note=True)]
    if notes:
        blocks.append("**Findings**\n\n" + "\n".join(notes))
    write_only = [f"_{_text(line)}_" for line in views.write_only_lines(plan)]
    if plan.unverified_count():
        named = ", ".join(
            _code(plan.named(service, pointer))
            for service, pointers in plan.unverified.items()
            for pointer in pointers
        )
        write_only.insert(1, f"Not compared, not sent: {named}.")
    if write_only:
        blocks.append("\n\n".join(write_only))
    if plan.identity_counts is not None:
        head, *rest = views.identity_lines(plan.identity_counts)
        blocks.append(f"**{_text(head)}**\n\n" + "\n".join(f"- {_text(r.strip())}" for r in rest))
    return blocks


def _note(note: Finding) -> str:
    if note.acknowledged:
        mark = f"☑️ acknowledged {note.severity}"
    else:
        mark = "❌ error" if note.is_error else f"{RISK} warning"
    text = f"- {mark} {_code(note.rule_id)}"
    if note.where:
        text += f" {_code(note.where)}"
    text += f": {_text(note.message)}"
    if note.acknowledged:
        text += f" **Acknowledged:** {_text(note.acknowledged)}"
    elif note.fix:
        text += f" Fix: {_text(note.fix)}"
    return text


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def _weaken(number: int) -> str:
    return f"{_count(number, 'change')} {'weakens' if number == 1 else 'weaken'} security"


def _text(text: str) -> str:
    """Free text, made inert: no HTML from values can close our ``<details>``."""
    return html.escape(" ".join(text.split()), quote=False)


def _code(text: str) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _fenced(text: str, language: str = "") -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
