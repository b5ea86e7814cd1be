"""What apply refuses unless the person (or pipeline) running it asked for it explicitly.

* ``protect: true`` in an environment file: apply needs ``--yes`` *and* ``--env-confirm NAME``,
  and ``--allow-weaken`` is refused unless ``protect_allow_weaken: true`` is also set;
* a plan with errors is never applied, nor one whose changes weaken security without
  ``--allow-weaken``; a plan that weakens a protected environment without
  ``protect_allow_weaken: true`` can never be applied, so planning says so as an error
  (``never_applies``) instead of letting a pipeline find out after merge;
* a plan is shown before it is applied, and applied only when ``--yes`` says so or the
  person running apply confirms it (``Review``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.checks.finding import Finding
from reconciler.errors import ApplyError
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.value import Plan


@dataclass(frozen=True)
class ApplyIntent:
    """What the person (or pipeline) running apply explicitly asked for."""

    yes: bool
    env_confirm: str | None = None
    allow_weaken: bool = False


def check_intent(environment: ValidEnvironment, intent: ApplyIntent) -> None:
    """Refuse an apply to a protected environment that was not confirmed by name."""
    model, name = environment.model, environment.raw.name
    if not model.protect:
        return
    if not intent.yes or intent.env_confirm != name:
        raise ApplyError(
            f"{name} is protected (protect: true): apply needs --yes and --env-confirm {name}; "
            "nothing was changed"
        )
    if intent.allow_weaken and not model.protect_allow_weaken:
        raise ApplyError(
            f"{name} is protected: --allow-weaken is refused unless the environment also sets "
            "protect_allow_weaken: true; nothing was changed"
        )


PROTECTED_WEAKENING = "protected-weakening"


def never_applies(environment: ValidEnvironment, plan: Plan) -> Finding | None:
    """The error a plan carries when no apply can ever send it as written: it weakens security
    on a ``protect: true`` environment that does not set ``protect_allow_weaken: true``
    (``check_intent`` refuses ``--allow-weaken`` there, and apply refuses the weakening
    without it). None when the plan may apply."""
    model, raw = environment.model, environment.raw
    weakening = plan.weakening()
    if not model.protect or model.protect_allow_weaken or not weakening:
        return None
    named = ", ".join(plan.named(change.service, change.pointer) for change, _ in weakening)
    return Finding(
        PROTECTED_WEAKENING,
        "error",
        f"{raw.name} is protected (protect: true) and {len(weakening)} change(s) weaken "
        f"security ({named}): apply refuses them without --allow-weaken, and refuses "
        "--allow-weaken here without protect_allow_weaken: true, so this plan can never be "
        "applied as written",
        where=str(raw.location("/protect") or raw.name),
        fix="Drop the weakening change, or (after review) set protect_allow_weaken: true in "
        "the environment file in the same change",
    )


def refuse_unsafe(plan: Plan, *, allow_weaken: bool) -> None:
    """Raise ApplyError for a plan with errors, or weakening changes not explicitly allowed."""
    if plan.errors:
        rules = ", ".join(sorted({note.rule_id for note in plan.errors}))
        raise ApplyError(
            f"apply refused: the plan has {len(plan.errors)} error(s) ({rules}); fix them, or "
            "disable a lint rule in the environment file under lint: disable: {RULE: reason}"
        )
    weakening = plan.weakening()
    if weakening and not allow_weaken:
        listed = "; ".join(
            f"{plan.named(change.service, change.pointer)} ({impact.reason})"
            for change, impact in weakening
        )
        raise ApplyError(
            f"apply refused: {len(weakening)} change(s) weaken security: {listed}. "
            "Review them and pass --allow-weaken to apply anyway; nothing was changed."
        )


@dataclass(frozen=True)
class Review:
    """How the person running apply (or restore) sees a plan before it is sent: ``show``
    prints it, ``confirm`` asks whether to send it (only when ``--yes`` was not given)."""

    show: Callable[[Plan], None]
    confirm: Callable[[Plan], bool]


def passes_review(plan: Plan, intent: ApplyIntent, review: Review) -> bool:
    """Show ``plan``, refuse it when unsafe (``refuse_unsafe``), and say whether it is to be
    sent: it has changes, and ``--yes`` or the person confirmed it."""
    review.show(plan)
    if plan.is_empty:
        return False
    refuse_unsafe(plan, allow_weaken=intent.allow_weaken)
    return intent.yes or review.confirm(plan)
