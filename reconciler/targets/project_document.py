"""The JSON shape of an Ory Network project as the console API returns it: its revision, its
identity config, and the answer to a PATCH (the project and Ory's warnings). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.errors import RemoteError
from reconciler.jsontypes import JSONObject, get_at
from reconciler.services import identity


@dataclass(frozen=True)
class ProjectUpdate:
    project: JSONObject
    warnings: tuple[str, ...]


def update_of(body: JSONObject) -> ProjectUpdate:
    warnings = body.get("warnings")
    if not isinstance(warnings, list):
        warnings = []
    messages = tuple(str(w.get("message", w)) if isinstance(w, dict) else str(w) for w in warnings)
    return ProjectUpdate(project=project_of(body.get("project")), warnings=messages)


def project_of(value: Any) -> JSONObject:
    if not isinstance(value, dict) or not isinstance(value.get("revision_id"), str):
        raise RemoteError("the Ory API returned a project without a revision_id")
    return value


def identity_config_of(project: JSONObject) -> JSONObject:
    """The identity config inside a project document (``services/identity.PLACE``)."""
    _, config = get_at(project, identity.PLACE)
    if not isinstance(config, dict):
        raise RemoteError(f"the project has no identity config at {identity.PLACE}")
    return config
