"""Saved plans: the JSON document ``plan --out`` writes, ``--format json`` prints and
``apply --plan`` reads. The layout is documented in ``docs/plan-format.md``.

A saved plan never holds a secret value. What people read in it (changes, warnings,
findings) goes through the output scrubber (``redact``). Where an operation's value contains
a secret, the document holds ``(sensitive)`` and a reference: the pointer it is read from in
the desired state, the ``${VAR}`` names or the file and line it was written at, and an
HMAC-SHA256 fingerprint keyed with a random per-plan salt.

A saved plan is untrusted input: whoever can write the file can recompute every digest in it.
``apply --plan`` therefore never sends the file's operations: it plans again from the
repository and live state, and sends that plan only when its operations equal the saved ones
(``usecases/reconcile.apply_saved_plan``). With ``RECONCILER_PLAN_KEY`` set, ``plan --out``
also signs the document (HMAC-SHA256, ``signature``) and ``apply``/``show`` refuse a plan whose
signature is missing or wrong before anything else. ``integrity`` only detects accidents.
``operations_digest`` names the operations without any secret value (secrets by reference):
the CI records it in the pull-request comment and applies only a plan with the same digest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__, redact
from reconciler.checks.finding import Finding, SecurityImpact
from reconciler.comparing.diff import Change
from reconciler.errors import ReconcilerError
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    canonical_bytes,
    join_pointer,
)
from reconciler.plan.value import Plan
from reconciler.repository.atomic import write_atomically
from reconciler.services import registry

if TYPE_CHECKING:  # only annotations: a plan never needs the validation models loaded
    from reconciler.loading.validate import ValidEnvironment

FORMAT_VERSION = 5
_SALT_BYTES = 32
# A plan key shorter than this is refused: an HMAC is only as strong as its key.
MIN_KEY_LENGTH = 32


class PlanFileError(ReconcilerError):
    """A saved plan file cannot be used: unreadable, corrupted, edited or of another version."""


@dataclass(frozen=True)
class SecretRef:
    """Where a secret inside an operation's value sits, where it comes from, its fingerprint."""

    operation: int  # index into the plan's operations
    value_pointer: Pointer  # inside that operation's value ("" for the value itself)
    source: Pointer  # in the desired config of the operation's service, read again by apply
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
    operations_digest: str = ""


def document(
    plan: Plan,
    environment: ValidEnvironment,
    *,
    salt: bytes | None = None,
    key: str | None = None,
) -> JSONObject:
    """The saved-plan document for ``plan``, computed from ``environment``, signed with
    ``key`` (``RECONCILER_PLAN_KEY``) when given. Holds no secret."""
    salted = os.urandom(_SALT_BYTES) if salt is None else salt
    refs = list(_secret_refs(plan, environment, salted))
    operations = masked_operations(plan)
    body: JSONObject = {
        "format_version": FORMAT_VERSION,
        "generator": f"reconciler {__version__}",
        "environment": plan.environment,
        "target": _target_json(plan),
        "revision": plan.revision,
        "desired_digest": desired_digest(environment, plan.sensitive),
        "summary": _summary(plan),
        "changes": _for_people(
            [
                _change(plan, c, i, _written_at(environment, c))
                for c, i in zip(plan.changes, _impacts(plan), strict=True)
            ]
        ),
        "operations": _objects(operations),
        "operations_digest": operations_digest(operations, refs),
        "secrets": [_ref_json(ref) for ref in refs],
        "salt": salted.hex(),
        "rotate_secrets": plan.rotate_secrets,
        "sensitive": {name: _strings(sorted(found)) for name, found in plan.sensitive.items()},
        "file_refs": {name: dict(sorted(refs.items())) for name, refs in plan.file_refs.items()},
        "write_only": {
            "not_sent": {name: _strings(found) for name, found in plan.unverified.items()},
            "sent": {name: _strings(found) for name, found in plan.write_only_sent.items()},
        },
        "warnings": _for_people(_strings(plan.warnings)),
        "notes": _for_people([_note_json(note) for note in plan.notes]),
    }
    body["signature"] = None if key is None else signature(body, key)
    body["integrity"] = integrity(body)
    return body


def dumps(body: JSONObject, *, indent: int | None = 2) -> str:
    """The document as text; sorted keys make it stable and diffable."""
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        body, indent=indent, sort_keys=True, ensure_ascii=False, separators=separators
    )


def desired_digest(
    environment: ValidEnvironment, sensitive: Mapping[str, frozenset[Pointer]]
) -> str:
    """SHA-256 of the merged environment (target, each service's config, ``remove:``, lint)
    with secrets masked: secrets are checked one by one through their fingerprints instead,
    so a rotated secret is named as such and no unsalted hash of a secret is ever written."""
    data = dict(environment.raw.data)
    for service in environment.services:
        marked = sensitive.get(service.name, frozenset())
        data[service.key] = service.secrets.mask(environment.config_of(service), "", marked)
    return "sha256:" + hashlib.sha256(canonical_bytes(data)).hexdigest()


def fingerprint(salt: bytes, value: JSONValue) -> str:
    return "hmac-sha256:" + hmac.new(salt, canonical_bytes(value), hashlib.sha256).hexdigest()


def integrity(body: JSONObject) -> str:
    """Detects accidents (truncation, corruption). Anyone can recompute it: no protection."""
    unsealed = {key: value for key, value in body.items() if key != "integrity"}
    return "sha256:" + hashlib.sha256(canonical_bytes(unsealed)).hexdigest()


def signature(body: JSONObject, key: str) -> str:
    """HMAC-SHA256 of every field but ``signature`` and ``integrity``, keyed with ``key``."""
    if len(key) < MIN_KEY_LENGTH:
        raise PlanFileError(
            f"RECONCILER_PLAN_KEY is shorter than {MIN_KEY_LENGTH} characters; use a long "
            "random key (e.g. the output of `openssl rand -hex 32`)"
        )
    signed = {k: value for k, value in body.items() if k not in ("signature", "integrity")}
    digest = hmac.new(key.encode("utf-8"), canonical_bytes(signed), hashlib.sha256)
    return "hmac-sha256:" + digest.hexdigest()


def operations_digest(operations: Sequence[JSONValue], refs: Sequence[SecretRef]) -> str:
    """SHA-256 of the operations as saved (secret values masked) and of where each secret
    comes from (pointer and ``${VAR}`` names, never its value nor a hash of it): two plans
    with this digest send the same operations, given the same secrets."""
    secrets: list[JSONValue] = [
        {
            "operation": ref.operation,
            "value_pointer": ref.value_pointer,
            "source": ref.source,
            "variables": _strings(ref.variables),
        }
        for ref in refs
    ]
    named: JSONObject = {"operations": list(operations), "secrets": secrets}
    return "sha256:" + hashlib.sha256(canonical_bytes(named)).hexdigest()


def masked_operations(plan: Plan) -> list[JSONObject]:
    """The operations as a saved plan holds them: every secret value ``(sensitive)``."""
    return [_masked_operation(plan, index) for index in range(len(plan.operations))]


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
        "service": change.service,
        "pointer": change.pointer,
        "action": change.action,
        "live": plan.masked(change.service, change.live, change.pointer),
        "live_present": change.live_present,
        "desired": plan.masked(change.service, change.desired, _source_of(change)),
        "note": change.note,
        "desired_pointer": change.source,
        "label": change.label,
        "source": source,
        "impact": {"impact": impact.impact, "reason": impact.reason},
        "details": _strings(change.details),
        "trait_changes": [trait_change.as_json() for trait_change in change.trait_changes],
    }


def _written_at(environment: ValidEnvironment, change: Change) -> JSONObject | None:
    """``{file, line, column}`` where the user wrote the change (the ``remove:`` entry for a
    reset), the file relative to the repository; None for what nobody wrote."""
    raw = environment.raw
    service = registry.named(change.service)
    removals = environment.removals(service)
    if change.action == "reset" and change.pointer in removals:
        probe = join_pointer("/remove", removals.index(change.pointer))
    else:
        probe = service.environment_pointer + _source_of(change)
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
        change = plan.changes[index]
        operation["value"] = plan.masked(change.service, operation["value"], _source_of(change))
    return operation


def _secret_refs(plan: Plan, environment: ValidEnvironment, salt: bytes) -> Iterator[SecretRef]:
    for index, operation in enumerate(plan.operations):
        if "value" not in operation:
            continue
        change = plan.changes[index]
        service = registry.named(change.service)
        source = _source_of(change)
        marked = plan.sensitive.get(service.name, frozenset())
        for pointer, value in service.secrets.secrets_in(operation["value"], source, marked):
            inner = pointer[len(source) :]  # where inside the operation's value
            info = environment.raw.info.get(service.environment_pointer + pointer)
            where = environment.raw.location(service.environment_pointer + pointer)
            yield SecretRef(
                operation=index,
                value_pointer=inner,
                source=pointer,
                variables=info.variables if info else (),
                written_at=str(where) if where else "",
                fingerprint=fingerprint(salt, value),
            )


def _for_people(value: list[JSONValue]) -> list[JSONValue]:
    """What only people read (changes as shown, warnings, findings), scrubbed of every known
    secret value: a finding quotes a hook's URL, a live list may hold a secret where the
    desired one does not mark it. The operations, which are applied, are masked by path only."""
    return [redact.scrub_json(item) for item in value]


def _strings(values: list[str] | tuple[str, ...]) -> list[JSONValue]:
    return list(values)


def _objects(values: list[JSONObject]) -> list[JSONValue]:
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


def _note_json(note: Finding) -> JSONObject:
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
