"""A saved plan made whole again, just before apply: its secrets read again from the
environment as it is now and put back into their operations, in memory only. Refused
(StalePlanError, naming what moved) when the desired state or a secret changed since the plan.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import replace

from reconciler.errors import StalePlanError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, copy_json, get_at, set_at
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.planfile import (
    PlanFileError,
    SavedPlan,
    SecretRef,
    desired_digest,
    fingerprint,
)
from reconciler.plan.value import Plan
from reconciler.services import registry


def resolve(
    saved: SavedPlan, environment: ValidEnvironment, sensitive: Mapping[str, frozenset[Pointer]]
) -> Plan:
    """The saved plan with its secrets read again from ``environment``.

    Raises StalePlanError, naming what moved, when the desired state or a secret changed.
    """
    if desired_digest(environment, sensitive) != saved.desired_digest:
        raise StalePlanError(
            f"the desired state of {saved.plan.environment} changed since the plan was made "
            f"({environment.raw.path} or a file it extends or references); nothing was "
            "written. Run plan again."
        )
    operations = [copy_json(op) for op in saved.plan.operations]
    for ref in saved.secrets:
        service = registry.named(saved.plan.changes[ref.operation].service)
        value = _current_secret(ref, environment.config_of(service), saved.salt)
        _place(operations[ref.operation], ref.value_pointer, value)
    return _with_operations(saved.plan, tuple(operations))


def _current_secret(ref: SecretRef, config: JSONObject, salt: bytes) -> JSONValue:
    """The secret ``ref`` names, as the service's ``config`` holds it now."""
    found, value = get_at(config, ref.source)
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
    elif get_at(operation["value"], inner)[0]:
        set_at(operation["value"], inner, value)
    else:
        raise PlanFileError(f"the saved plan's secret reference {inner} points nowhere")


def _with_operations(plan: Plan, operations: tuple[JSONObject, ...]) -> Plan:
    return replace(plan, operations=operations)
