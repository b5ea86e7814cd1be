"""Reading a saved plan back (``apply --plan``, ``show``): the envelope checked (size, JSON,
format, integrity, and the signature when ``RECONCILER_PLAN_KEY`` is set), the document read
through its model (``planfile_model``) into a ``SavedPlan``, then its fields checked against
each other: what ``show`` displays (the changes, their security impact, the summary) is what
the operations do. ``saved_secrets`` puts its secrets back.

Even a consistent, correctly signed plan is never sent as it is: ``apply --plan`` sends a plan
made again from the repository and live state, when its operations equal the saved ones.

``plan`` and ``validate`` never import this module, so they never build the models.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from pathlib import Path

from reconciler.checks.finding import Finding, SecurityImpact, Severity
from reconciler.checks.kratos_schema import for_service
from reconciler.checks.security import classify
from reconciler.comparing.diff import Change
from reconciler.comparing.patch import operation_for
from reconciler.comparing.trait_diff import TraitChange
from reconciler.jsontypes import JSONObject, JSONValue, canonical_bytes
from reconciler.limits import DEFAULT_LIMITS, loads_json
from reconciler.plan.planfile import (
    FORMAT_VERSION,
    PlanFileError,
    SavedPlan,
    SecretRef,
    integrity,
    operations_digest,
    signature,
)
from reconciler.plan.planfile_model import (
    ChangeEntry,
    DescribedTarget,
    LayoutError,
    NoteEntry,
    Operation,
    PlanFile,
    SecretEntry,
    Target,
    ValueOperation,
    checked,
)
from reconciler.plan.planner import field_changes, write_only_sent
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.targets import TargetInfo, kinds


def read(
    path: Path, key: str | None = None, max_bytes: int = DEFAULT_LIMITS.max_plan_bytes
) -> SavedPlan:
    """Read and check a saved plan file; PlanFileError when it cannot be trusted. ``key``
    (``RECONCILER_PLAN_KEY``): the plan must carry a signature made with it. ``max_bytes``:
    the repository's ``limits: max_plan_bytes`` (at most the default)."""
    try:
        if path.stat().st_size > max_bytes:
            raise PlanFileError(f"the saved plan {path} is larger than {max_bytes} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read the saved plan {path}: {exc}") from None
    return parse(text, str(path), key)


def parse(text: str, name: str = "the saved plan", key: str | None = None) -> SavedPlan:
    try:
        # A plan wraps operations whose values nest as deep as the environment allows.
        body = loads_json(text, DEFAULT_LIMITS.max_depth + 16)
    except ValueError as exc:
        raise PlanFileError(
            f"{name} is not valid JSON (truncated or corrupted?): {exc}; run plan --out again"
        ) from None
    _check_envelope(body, name)
    assert isinstance(body, dict)  # _check_envelope refuses anything else
    if key is not None:
        _check_signature(body, name, key)
    try:
        document = checked(body)
    except LayoutError as exc:
        raise PlanFileError(
            f"{name} does not have the saved-plan layout: {exc}; run plan --out again"
        ) from None
    unknown = _unknown_services(document)
    if unknown:
        raise PlanFileError(
            f"{name} plans config services this reconciler does not manage "
            f"({', '.join(unknown)}); plan again with this version."
        )
    saved = _saved_plan(document)
    problem = _disagreement(document, saved)
    if problem:
        raise PlanFileError(
            f"{name} contradicts itself: {problem}. A saved plan shows exactly what it sends; "
            "this one was edited. Nothing was applied; run plan --out again."
        )
    return saved


def _check_envelope(body: object, name: str) -> None:
    if not isinstance(body, dict) or "format_version" not in body:
        raise PlanFileError(f"{name} is not a reconciler saved plan (no format_version)")
    if body["format_version"] != FORMAT_VERSION:
        raise PlanFileError(
            f"{name} has format_version {body['format_version']!r}; this reconciler reads "
            f"version {FORMAT_VERSION}. Plan again with this version."
        )
    if body.get("integrity") != integrity(body):
        raise PlanFileError(
            f"{name} was changed after it was written (its integrity digest does not match); "
            "a saved plan is applied exactly as written. Run plan --out again."
        )


def _check_signature(body: JSONObject, name: str, key: str) -> None:
    stored = body.get("signature")
    if stored is None:
        raise PlanFileError(
            f"{name} is not signed, and RECONCILER_PLAN_KEY is set: only a plan signed with "
            "that key is accepted (a plan file is untrusted input). Run plan --out again "
            "with the key set."
        )
    if not isinstance(stored, str) or not hmac.compare_digest(stored, signature(body, key)):
        raise PlanFileError(
            f"{name} is not signed with RECONCILER_PLAN_KEY (its signature does not match): "
            "it was edited after it was written, or signed with another key. Nothing was "
            "applied; run plan --out again."
        )


def _unknown_services(document: PlanFile) -> list[str]:
    """Service names the document uses that no registered service has."""
    named = {entry.service for entry in document.changes}
    named |= {*document.sensitive, *document.file_refs}
    named |= {*document.write_only.not_sent, *document.write_only.sent}
    known = {service.name for service in registry.services()}
    return sorted(named - known)


def _disagreement(document: PlanFile, saved: SavedPlan) -> str:
    """What in the document contradicts its operations; empty when everything agrees."""
    plan = saved.plan
    for index, (change, operation) in enumerate(zip(plan.changes, plan.operations, strict=True)):
        if canonical_bytes(operation_for(change)) != canonical_bytes(operation):
            return f"operations[{index}] is not the change shown at {change.pointer}"
    for change, impact in zip(plan.changes, plan.impacts, strict=True):
        service = registry.named(change.service)
        judged = classify(service, change.pointer, change.live, change.desired, change.action)
        if judged.impact == "weakens" and impact.impact != "weakens":
            return f"the change at {change.pointer} weakens security ({judged.reason})"
    summary = {**plan.counts(), "weakening": len(plan.weakening()), "errors": len(plan.errors)}
    if document.summary.model_dump() != summary:
        return f"its summary is not its changes ({summary})"
    sent = {name: tuple(pointers) for name, pointers in document.write_only.sent.items()}
    if sent != dict(plan.write_only_sent):
        return "write_only.sent is not what the operations send"
    operations: list[JSONValue] = list(plan.operations)
    if operations_digest(operations, saved.secrets) != saved.operations_digest:
        return "operations_digest is not the digest of its operations"
    return ""


def _saved_plan(document: PlanFile) -> SavedPlan:
    plan = Plan(
        environment=document.environment,
        target=document.target.description,
        target_info=_target_info(document.target),
        revision=document.revision,
        changes=tuple(_change_from(entry) for entry in document.changes),
        operations=tuple(_operation_from(entry) for entry in document.operations),
        warnings=tuple(document.warnings),
        sensitive={name: frozenset(found) for name, found in document.sensitive.items()},
        file_refs={name: dict(refs) for name, refs in document.file_refs.items()},
        notes=tuple(_note_from(entry) for entry in document.notes),
        impacts=tuple(SecurityImpact(e.impact.impact, e.impact.reason) for e in document.changes),
        unverified={name: tuple(found) for name, found in document.write_only.not_sent.items()},
        rotate_secrets=document.rotate_secrets,
    )
    # How list changes read field by field, judged as a view of the plan judged them when it
    # was made: by the shipped schema of the target's kind, each service's.
    kind = plan.target_info.kind if plan.target_info else kinds.LENIENT
    defaults = {
        service.name: for_service(service, kind).default_at for service in registry.carried_by(kind)
    }
    fields = field_changes(plan.changes, plan.sensitive, defaults)
    plan = replace(plan, write_only_sent=write_only_sent(plan.changes), field_changes=fields)
    refs = tuple(_ref_from(entry) for entry in document.secrets)
    return SavedPlan(
        plan,
        refs,
        bytes.fromhex(document.salt),
        document.desired_digest,
        document.operations_digest,
    )


def _target_info(target: Target) -> TargetInfo | None:
    """What the target said about itself when the plan was made; None for a target that
    could say no more than the plan's heading."""
    if isinstance(target, DescribedTarget):
        return None
    facts = target.model_dump(exclude={"kind", "description"})
    return TargetInfo(target.kind, target.description, {k: str(v) for k, v in facts.items()})


def _change_from(entry: ChangeEntry) -> Change:
    return Change(
        service=entry.service,
        pointer=entry.pointer,
        action=entry.action,
        live=entry.live,
        desired=entry.desired,
        live_present=entry.live_present,
        note=entry.note,
        source=entry.desired_pointer,
        label=entry.label,
        details=tuple(entry.details),
        trait_changes=tuple(
            TraitChange(t.trait, t.kind, t.keyword, t.old, t.new, t.classification, t.reason)
            for t in entry.trait_changes
        ),
    )


def _operation_from(entry: Operation) -> JSONObject:
    operation: JSONObject = {"op": entry.op, "path": entry.path}
    if isinstance(entry, ValueOperation):
        operation["value"] = entry.value
    return operation


def _note_from(entry: NoteEntry) -> Finding:
    severity: Severity = entry.severity
    return Finding(
        entry.rule_id,
        severity,
        entry.message,
        where=entry.where,
        fix=entry.fix,
        acknowledged=entry.acknowledged,
    )


def _ref_from(entry: SecretEntry) -> SecretRef:
    return SecretRef(
        operation=entry.operation,
        value_pointer=entry.value_pointer,
        source=entry.source,
        variables=tuple(entry.variables),
        written_at=entry.written_at,
        fingerprint=entry.fingerprint,
    )
