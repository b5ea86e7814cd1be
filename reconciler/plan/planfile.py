"""Saved plans: the JSON document ``plan --out`` writes, ``--format json`` prints and
``apply --plan`` reads. The layout is documented in ``docs/plan-format.md``.

A saved plan never holds a secret value. Where an operation's value contains one, the
document holds ``(sensitive)`` and a reference: the pointer it is read from in the desired
state, the ``${VAR}`` names or the file and line it was written at, and an HMAC-SHA256
fingerprint keyed with a random per-plan salt. Apply loads the environment again, reads each
secret again, and refuses when a fingerprint, the desired state or the live revision moved.

The ``integrity`` digest covers the whole document, so a corrupted, truncated or hand-edited
file is refused. It is not a signature (anyone can recompute it); protect the artifact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.atomic import write_atomically
from reconciler.checks.review import Note, Severity
from reconciler.checks.security import SecurityImpact
from reconciler.diff import Change
from reconciler.errors import ReconcilerError, StalePlanError
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    get_at,
    join_pointer,
    unescape_token,
)
from reconciler.limits import DEFAULT_LIMITS, loads_json
from reconciler.plan.value import Plan
from reconciler.secrets import is_sensitive, mask
from reconciler.targets import TargetInfo
from reconciler.validate import ValidEnvironment

FORMAT_VERSION = 2
IDENTITY_CONFIG = "/identity_config"
_SALT_BYTES = 32


class PlanFileError(ReconcilerError):
    """A saved plan file cannot be used: unreadable, corrupted, edited or of another version."""


@dataclass(frozen=True)
class SecretRef:
    """Where a secret inside an operation's value sits, where it comes from, its fingerprint."""

    operation: int  # index into the plan's operations
    value_pointer: Pointer  # inside that operation's value ("" for the value itself)
    source: Pointer  # in the desired identity config, where apply reads it again
    variables: tuple[str, ...]
    written_at: str
    fingerprint: str


@dataclass(frozen=True)
class SavedPlan:
    """A saved plan as read back: the plan with its secrets still masked, and what checks it."""

    plan: Plan
    secrets: tuple[SecretRef, ...]
    salt: bytes
    desired_digest: str


def document(plan: Plan, environment: ValidEnvironment, *, salt: bytes | None = None) -> JSONObject:
    """The saved-plan document for ``plan``, computed from ``environment``. Holds no secret."""
    key = os.urandom(_SALT_BYTES) if salt is None else salt
    refs = list(_secret_refs(plan, environment, key))
    body: JSONObject = {
        "format_version": FORMAT_VERSION,
        "generator": f"reconciler {__version__}",
        "environment": plan.environment,
        "target": _target_json(plan),
        "revision": plan.revision,
        "desired_digest": desired_digest(environment, plan.sensitive),
        "summary": _summary(plan),
        "changes": [
            _change(plan, c, i, _written_at(environment, c))
            for c, i in zip(plan.changes, _impacts(plan), strict=True)
        ],
        "operations": [_masked_operation(plan, index) for index in range(len(plan.operations))],
        "secrets": [_ref_json(ref) for ref in refs],
        "salt": key.hex(),
        "sensitive": _strings(sorted(plan.sensitive)),
        "file_refs": dict(sorted(plan.file_refs.items())),
        "warnings": _strings(plan.warnings),
        "notes": [_note_json(note) for note in plan.notes],
    }
    body["integrity"] = _integrity(body)
    return body


def dumps(body: JSONObject, *, indent: int | None = 2) -> str:
    """The document as text; sorted keys make it stable and diffable."""
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        body, indent=indent, sort_keys=True, ensure_ascii=False, separators=separators
    )


def desired_digest(environment: ValidEnvironment, sensitive: frozenset[Pointer]) -> str:
    """SHA-256 of the merged environment (target, config, ``remove:``, lint) with secrets
    masked: secrets are checked one by one through their fingerprints instead, so a rotated
    secret is named as such and no unsalted hash of a secret is ever written."""
    data = dict(environment.raw.data)
    data["identity_config"] = mask(environment.identity_config, "", sensitive)
    return "sha256:" + hashlib.sha256(_canonical(data)).hexdigest()


def fingerprint(salt: bytes, value: JSONValue) -> str:
    return "hmac-sha256:" + hmac.new(salt, _canonical(value), hashlib.sha256).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _integrity(body: JSONObject) -> str:
    unsealed = {key: value for key, value in body.items() if key != "integrity"}
    return "sha256:" + hashlib.sha256(_canonical(unsealed)).hexdigest()


def _impacts(plan: Plan) -> tuple[SecurityImpact, ...]:
    return plan.impacts or tuple(SecurityImpact("neutral", "") for _ in plan.changes)


def _summary(plan: Plan) -> JSONObject:
    counts: JSONObject = dict(plan.counts())
    counts["weakening"] = len(plan.weakening())
    counts["errors"] = len(plan.errors)
    return counts


def _source_of(change: Change) -> Pointer:
    return change.source or change.pointer


def _target_json(plan: Plan) -> JSONObject:
    body: JSONObject = {"description": plan.target}
    if plan.target_info is not None:
        body.update(plan.target_info.to_json())
    return body


def _change(
    plan: Plan, change: Change, impact: SecurityImpact, source: JSONObject | None
) -> JSONObject:
    return {
        "pointer": change.pointer,
        "action": change.action,
        "live": mask(change.live, change.pointer, plan.sensitive),
        "live_present": change.live_present,
        "desired": mask(change.desired, _source_of(change), plan.sensitive),
        "note": change.note,
        "desired_pointer": change.source,
        "label": change.label,
        "source": source,
        "impact": {"impact": impact.impact, "reason": impact.reason},
    }


def _written_at(environment: ValidEnvironment, change: Change) -> JSONObject | None:
    """``{file, line, column}`` where the user wrote the change (the ``remove:`` entry for a
    reset), the file relative to the repository; None for what nobody wrote."""
    raw = environment.raw
    if change.action == "reset" and change.pointer in environment.model.remove:
        probe = join_pointer("/remove", environment.model.remove.index(change.pointer))
    else:
        probe = IDENTITY_CONFIG + _source_of(change)
    while probe.count("/") > 1 and probe not in raw.info:
        probe = probe.rsplit("/", 1)[0]  # a value inside what was written: its key
    info = raw.info.get(probe)
    if info is None:
        return None
    location = info.location
    return {
        "file": _in_repository(location.file, raw.path),
        "line": location.line,
        "column": location.column,
    }


def _in_repository(shown: str, environment_file: Path) -> str:
    """``shown`` (relative to the working directory, or absolute) relative to the repository
    (the folder above ``environments/``), so a plan never carries the runner's paths."""
    root = environment_file.resolve().parent.parent
    path = Path(shown).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _masked_operation(plan: Plan, index: int) -> JSONObject:
    operation = dict(plan.operations[index])
    if "value" in operation:
        source = _source_of(plan.changes[index])
        operation["value"] = mask(operation["value"], source, plan.sensitive)
    return operation


def _secret_refs(plan: Plan, environment: ValidEnvironment, salt: bytes) -> Iterator[SecretRef]:
    for index, operation in enumerate(plan.operations):
        if "value" not in operation:
            continue
        source = _source_of(plan.changes[index])
        for inner, pointer, value in _secrets_in(operation["value"], "", source, plan.sensitive):
            info = environment.raw.info.get(IDENTITY_CONFIG + pointer)
            where = environment.raw.location(IDENTITY_CONFIG + pointer)
            yield SecretRef(
                operation=index,
                value_pointer=inner,
                source=pointer,
                variables=info.variables if info else (),
                written_at=str(where) if where else "",
                fingerprint=fingerprint(salt, value),
            )


def _secrets_in(
    value: JSONValue, inner: Pointer, pointer: Pointer, sensitive: frozenset[Pointer]
) -> Iterator[tuple[Pointer, Pointer, JSONValue]]:
    """``(pointer inside the value, pointer in the config, secret)``, outermost secrets only."""
    if is_sensitive(pointer, sensitive):
        yield inner, pointer, value
        return
    children: list[tuple[str, JSONValue]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = [(str(i), v) for i, v in enumerate(value)]
    for token, child in children:
        yield from _secrets_in(
            child, join_pointer(inner, token), join_pointer(pointer, token), sensitive
        )


def _strings(values: list[str] | tuple[str, ...]) -> list[JSONValue]:
    return list(values)


def _ref_json(ref: SecretRef) -> JSONObject:
    return {
        "operation": ref.operation,
        "value_pointer": ref.value_pointer,
        "source": ref.source,
        "variables": _strings(ref.variables),
        "written_at": ref.written_at,
        "fingerprint": ref.fingerprint,
    }


def _note_json(note: Note) -> JSONObject:
    return {
        "rule_id": note.rule_id,
        "severity": note.severity,
        "message": note.message,
        "where": note.where,
        "fix": note.fix,
        "acknowledged": note.acknowledged,
    }


def write(path: Path, body: JSONObject) -> None:
    """Write the document atomically, readable by its owner only (it describes live state)."""
    write_atomically(path, dumps(body) + "\n", 0o600)


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
    if body.get("integrity") != _integrity(body):
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


def _note_from(entry: JSONObject) -> Note:
    severity: Severity = "error" if entry["severity"] == "error" else "warning"
    return Note(
        str(entry["rule_id"]),
        severity,
        str(entry["message"]),
        str(entry["where"]),
        str(entry["fix"]),
        str(entry["acknowledged"]),
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
