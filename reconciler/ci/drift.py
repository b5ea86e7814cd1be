"""Drift watch: ``python -m reconciler.ci`` with ``command: drift``, on a schedule.

Each environment is planned as the apply job would plan it (the forge's rotation record in
place), and one issue per environment says what differs:

* drift: the plan has changes (live differs from what the environment declares; applying
  would revert the console edits it shows);
* undeclared security values: live values that no environment file declares, on the paths
  that decide how people sign in, and that differ from Kratos' defaults in a way that
  matters: weaker by the identity config's own security rules (``required_aal`` lowered, a
  longer session, more breached passwords allowed…: ``services/identity/security.py``, each
  judged from the Kratos default to the live value), a method switched on, or a hook that
  acts on sign-ups and sign-ins (any hook but ``session``, ``require_verified_address`` and
  ``revoke_active_sessions``). What live holds beyond Kratos' defaults is what ``reconciler
  export ENV --out -`` prints; what the environment declares, ``reconciler render ENV``.

The issue is found again by a hidden marker opening its body and written by the bot account,
as the plan comment (``forges``): opened on the first finding, updated while there is one,
closed with a comment when there is none. Its body is scrubbed (``redact``) on the way out, and
all the job shows goes through ``job_output``. GitHub only: on GitLab the job log says the same
and the job fails when something drifted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reconciler.checks.security import classify
from reconciler.ci import rotation_record
from reconciler.ci.forges import GitHub, warned_if_refused
from reconciler.ci.pipeline import Pipeline
from reconciler.errors import ReconcilerError
from reconciler.jsontypes import (
    JSONValue,
    Pointer,
    get_at,
    join_pointer,
    pointer_from,
    split_pointer,
)
from reconciler.loading.yamlio import YamlSyntaxError, load_with_positions
from reconciler.plan.planfile import SavedPlan
from reconciler.plan.value import PlanOutcome
from reconciler.repository import workdir
from reconciler.services import registry
from reconciler.services.identity.security import SECURITY_HOOKS
from reconciler.views import markdown

_METHOD_ENABLED = re.compile(r"^/selfservice/methods/[^/]+/enabled$")
_HOOKS = re.compile(r"/hooks$")
_LISTED = 50  # undeclared values an issue lists at most


@dataclass(frozen=True)
class Undeclared:
    pointer: Pointer
    shown: str  # the live value as the issue shows it
    why: str


@dataclass(frozen=True)
class Watched:
    """One environment: its plan (None when planning failed) and the undeclared values."""

    name: str
    saved: SavedPlan | None
    undeclared: tuple[Undeclared, ...] = ()

    @property
    def drifted(self) -> bool:
        return self.saved is not None and bool(self.saved.plan.changes or self.undeclared)


def marker(key: str, name: str) -> str:
    return f"<!-- reconciler-drift:{key}:{name} -->"


def watch(pipeline: Pipeline) -> int:
    if not pipeline.environ.get("ORY_WORKSPACE_API_KEY"):
        raise ReconcilerError("ORY_WORKSPACE_API_KEY is not set: drift watch cannot read live")
    watched = [_watch_one(pipeline, name) for name in pipeline.inputs.environments]
    lines = [f"- `{item.name}`: {_state(item)}{_report(pipeline, item)}" for item in watched]
    pipeline.summary("\n".join(["**reconciler drift watch**", "", *lines]))
    drifted = any(item.drifted for item in watched)
    pipeline.output("drift", "true" if drifted else "false")
    if any(item.saved is None for item in watched):
        return 1
    # On GitHub the issues are the report; elsewhere the failed job is.
    return 1 if drifted and not isinstance(pipeline.forge, GitHub) else 0


def _watch_one(pipeline: Pipeline, name: str) -> Watched:
    folder = workdir.make_folder(workdir.path(pipeline.root, "drift"))
    rotation_record.restore(pipeline, name)
    planned, saved = pipeline.saved_plan(name, folder / f"{name}.json")
    if planned.returncode not in (0, 2) or saved is None:
        return Watched(name, None)
    return Watched(name, saved, tuple(_undeclared_of(pipeline, name)))


def _undeclared_of(pipeline: Pipeline, name: str) -> Iterator[Undeclared]:
    rendered = pipeline.reconciler("render", name)
    exported = _yaml(pipeline.reconciler("export", name, "--out", "-").stdout)
    key = registry.IDENTITY.key
    live = exported.get(key) if isinstance(exported, dict) else None
    if rendered.returncode != 0 or not isinstance(live, dict):
        # Without both, every security value live holds would read as undeclared.
        pipeline.log.command("warning", f"{name}: undeclared values could not be compared")
        return
    declared = _yaml(rendered.stdout)
    if isinstance(declared, dict) and key in declared:  # other services set: each under its key
        declared = declared[key]
    yield from undeclared_security(live, declared)


def _yaml(text: str) -> JSONValue:
    try:
        return load_with_positions(text).data
    except YamlSyntaxError:
        return None


def undeclared_security(live: JSONValue, declared: JSONValue) -> Iterator[Undeclared]:
    """The security-relevant values of ``live`` (beyond Kratos' defaults) ``declared`` does
    not declare, each with why it matters."""
    for pointer, value in _leaves(live, ""):
        if _is_declared(declared, pointer):
            continue
        if _HOOKS.search(pointer) and isinstance(value, list):
            names = [str(h.get("hook")) for h in value if isinstance(h, dict)]
            acting = [hook for hook in names if hook not in SECURITY_HOOKS]
            if acting:
                yield Undeclared(pointer, ", ".join(names), "hooks nobody declared")
        elif _METHOD_ENABLED.match(pointer) and value is True:
            yield Undeclared(pointer, "true", "a sign-in method switched on")
        else:
            impact = classify(registry.IDENTITY, pointer, None, value, "add")
            if impact.impact == "weakens":
                shown = json.dumps(value, ensure_ascii=False)
                yield Undeclared(pointer, shown, f"weaker than Kratos' default: {impact.reason}")


def _leaves(value: JSONValue, pointer: Pointer) -> Iterator[tuple[Pointer, JSONValue]]:
    """Scalars and lists (a hook list is judged whole) of a mapping."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, join_pointer(pointer, key))
    else:
        yield pointer, value


def _is_declared(declared: JSONValue, pointer: Pointer) -> bool:
    """The value itself, or a list or scalar above it, is declared."""
    tokens = split_pointer(pointer)
    for depth in range(len(tokens), 0, -1):
        prefix = pointer_from(tokens[:depth])
        found, value = get_at(declared, prefix)
        if found:
            return depth == len(tokens) or not isinstance(value, dict)
    return False


def _state(item: Watched) -> str:
    if item.saved is None:
        return "❌ plan failed (the job log says why)"
    if not item.drifted:
        return "no drift"
    parts = [f"{len(item.saved.plan.changes)} change(s)"] if item.saved.plan.changes else []
    if item.undeclared:
        parts.append(f"{len(item.undeclared)} undeclared security value(s)")
    return "drift: " + ", ".join(parts)


def _report(pipeline: Pipeline, item: Watched) -> str:
    """Open, update or close the environment's issue; what was done, for the summary."""
    forge = pipeline.forge
    if not isinstance(forge, GitHub) or item.saved is None:
        return ""  # a failed plan leaves the issue as it is

    def unwritten(status: int) -> str:
        return (
            f"{item.name}: the drift issue could not be written (the forge answered "
            f"{status}): give the job `issues: write`"
        )

    with warned_if_refused(pipeline.log, unwritten):
        return _keep_issue(forge, marker(pipeline.inputs.comment_key, item.name), item)
    return " (its issue could not be written)"


def _keep_issue(forge: GitHub, key: str, item: Watched) -> str:
    number = forge.find_issue(key)
    if item.drifted:
        body = _issue_body(item)
        if number is None:
            title = f"reconciler: drift in {item.name}"
            return f" (issue #{forge.open_issue(key, title, body)} opened)"
        forge.update_issue(number, key, body)
        return f" (issue #{number} updated)"
    if number is not None:
        forge.close_issue(number, "No drift any more: live is what the environment declares.")
        return f" (issue #{number} closed)"
    return ""


def _issue_body(item: Watched) -> str:
    assert item.saved is not None
    blocks = [f"**reconciler drift watch** · `{item.name}` · {_state(item)}"]
    if item.saved.plan.changes:
        outcome = PlanOutcome(name=item.name, plan=item.saved.plan)
        blocks.append(
            "Live differs from what the environment declares; applying it would revert these "
            "(or take them into git: `reconciler adopt " + item.name + " --write`):"
        )
        blocks.append(markdown.format_outcomes([outcome], limit=50_000))
    if item.undeclared:
        lines = [f"- `{u.pointer}`: `{u.shown}`: {u.why}" for u in item.undeclared[:_LISTED]]
        if len(item.undeclared) > _LISTED:
            lines.append(f"- … and {len(item.undeclared) - _LISTED} more")
        blocks.append(
            "**Undeclared security values**: live values no environment file declares, on "
            "paths that decide how people sign in (live path, live value, why). Declare them "
            "in the environment (`reconciler export "
            + item.name
            + " --out -` prints live) so a plan shows any later change, or change them in "
            "the console.\n\n" + "\n".join(lines)
        )
    return "\n\n".join(blocks)
