"""Reading a saved plan back: the envelope checked (format, integrity), the document typed, and
its secret references resolved against the environment as it is now (``apply --plan``).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import replace
from pathlib import Path

from reconciler.checks.finding import Finding, Severity
from reconciler.checks.security import SecurityImpact
from reconciler.diff import Change
from reconciler.errors import StalePlanError
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    get_at,
    unescape_token,
)
from reconciler.limits import DEFAULT_LIMITS, loads_json
from reconciler.plan.planfile import (
    FORMAT_VERSION,
    PlanFileError,
    SavedPlan,
    SecretRef,
    desired_digest,
    fingerprint,
    integrity,
)
from reconciler.plan.value import Plan
from reconciler.targets import TargetInfo
from reconciler.validate import ValidEnvironment

# --- reading a saved plan back ---------------------------------------------------------------


def read(path: Path) -> SavedPlan:
    """Read and check a saved plan file; PlanFileError when it cannot be trusted."""
    max_bytes = DEFAULT_LIMITS.max_plan_bytes
    try:
        if path.stat().st_size > max_bytes:
            raise PlanFileError(f"the saved plan {path} is larger than {max_bytes} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read the saved plan {path}: {exc}") from None
    return parse(text, str(path))


def parse(text: str, name: str = "the saved plan") -> SavedPlan:
    try:
        # A plan wraps operations whose values nest as deep as the environment allows.
        body = loads_json(text, DEFAULT_LIMITS.max_depth + 16)
    except ValueError as exc:
        raise PlanFileError(
            f"{name} is not valid JSON (truncated or corrupted?): {exc}; run plan --out again"
        ) from None
    _check_envelope(body, name)
    assert isinstance(body, dict)  # _check_envelope refuses anything else
    try:
        return _saved_plan(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(f"{name} does not have the saved-plan layout ({exc!r})") from None


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


def _saved_plan(body: JSONObject) -> SavedPlan:
    changes = [_change_from(entry) for entry in _objects(body["changes"])]
    target = _object(body["target"])
    plan = Plan(
        environment=str(body["environment"]),
        target=str(target["description"]),
        target_info=TargetInfo.from_json(target) if "kind" in target else None,
        revision=str(body["revision"]),
        changes=tuple(change for change, _ in changes),
        operations=tuple(_objects(body["operations"])),
        warnings=tuple(str(w) for w in _list(body["warnings"])),
        sensitive=frozenset(str(p) for p in _list(body["sensitive"])),
        file_refs={str(k): str(v) for k, v in _object(body["file_refs"]).items()},
        notes=tuple(_note_from(entry) for entry in _objects(body["notes"])),
        impacts=tuple(impact for _, impact in changes),
    )
    if len(plan.operations) != len(plan.changes):
        raise ValueError("changes and operations differ in number")
    refs = tuple(_ref_from(entry) for entry in _objects(body["secrets"]))
    return SavedPlan(plan, refs, bytes.fromhex(str(body["salt"])), str(body["desired_digest"]))


def _change_from(entry: JSONObject) -> tuple[Change, SecurityImpact]:
    impact = _object(entry["impact"])
    action = str(entry["action"])
    if action not in ("add", "change", "reset"):
        raise ValueError(f"unknown action {action!r}")
    change = Change(
        pointer=str(entry["pointer"]),
        action=action,  # type: ignore[arg-type]  # checked just above
        live=entry["live"],
        desired=entry["desired"],
        live_present=bool(entry["live_present"]),
        note=str(entry["note"]),
        source=None if entry["desired_pointer"] is None else str(entry["desired_pointer"]),
        label=str(entry["label"]),
    )
    verdict = str(impact["impact"])
    if verdict not in ("weakens", "strengthens", "neutral"):
        raise ValueError(f"unknown impact {verdict!r}")
    return change, SecurityImpact(verdict, str(impact["reason"]))  # type: ignore[arg-type]


def _note_from(entry: JSONObject) -> Finding:
    severity: Severity = "error" if entry["severity"] == "error" else "warning"
    return Finding(
        str(entry["rule_id"]),
        severity,
        str(entry["message"]),
        where=str(entry["where"]),
        fix=str(entry["fix"]),
        acknowledged=str(entry["acknowledged"]),
    )


def _ref_from(entry: JSONObject) -> SecretRef:
    return SecretRef(
        operation=int(str(entry["operation"])),
        value_pointer=str(entry["value_pointer"]),
        source=str(entry["source"]),
        variables=tuple(str(v) for v in _list(entry["variables"])),
        written_at=str(entry["written_at"]),
        fingerprint=str(entry["fingerprint"]),
    )


def _object(value: JSONValue) -> JSONObject:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, found {type(value).__name__}")
    return value


def _list(value: JSONValue) -> list[JSONValue]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return value


def _objects(value: JSONValue) -> list[JSONObject]:
    return [_object(item) for item in _list(value)]


# --- checking a saved plan against the repository, just before apply ------------------------


def resolve(saved: SavedPlan, environment: ValidEnvironment, sensitive: frozenset[Pointer]) -> Plan:
    """The saved plan with its secrets read again from ``environment``.

    Raises StalePlanError, naming what moved, when the desired state or a secret changed.
    """
    if desired_digest(environment, sensitive) != saved.desired_digest:
        raise StalePlanError(
            f"the desired state of {saved.plan.environment} changed since the plan was made "
            f"({environment.raw.path} or a file it extends or references); nothing was "
            "written. Run plan again."
        )
    operations = [json.loads(json.dumps(op)) for op in saved.plan.operations]
    for ref in saved.secrets:
        value = _current_secret(ref, environment, saved.salt)
        _place(operations[ref.operation], ref.value_pointer, value)
    return _with_operations(saved.plan, tuple(operations))


def _current_secret(ref: SecretRef, environment: ValidEnvironment, salt: bytes) -> JSONValue:
    found, value = get_at(environment.identity_config, ref.source)
    if not found or not hmac.compare_digest(fingerprint(salt, value), ref.fingerprint):
        origin = ", ".join(f"${{{name}}}" for name in ref.variables) or ref.written_at
        raise StalePlanError(
            f"the secret at {ref.source} (from {origin or 'the environment file'}) changed "
            "since the plan was made; nothing was written. Run plan again."
        )
    return value


def _place(operation: JSONObject, inner: Pointer, value: JSONValue) -> None:
    if inner == "":
        operation["value"] = value
        return
    parent_pointer, token = inner.rsplit("/", 1)
    found, parent = get_at(operation["value"], parent_pointer)
    if isinstance(parent, list):
        parent[int(token)] = value
    elif found and isinstance(parent, dict):
        parent[unescape_token(token)] = value
    else:
        raise PlanFileError(f"the saved plan's secret reference {inner} points nowhere")


def _with_operations(plan: Plan, operations: tuple[JSONObject, ...]) -> Plan:
    return replace(plan, operations=operations)
