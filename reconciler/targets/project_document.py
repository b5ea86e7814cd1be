"""The JSON shape of an Ory Network project as the console API returns it: its revision, each
service's config, and the answer to a PATCH (the project and Ory's warnings). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.errors import RemoteError
from reconciler.jsontypes import JSONObject, get_at
from reconciler.services.declaration import Service


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


def config_of(project: JSONObject, service: Service) -> JSONObject:
    """``service``'s config inside a project document (at its ``place``; only its ``fields``
    when the place holds more, as the document root does)."""
    found, config = get_at(project, service.place)
    if not found and not service.always_planned:
        return {}  # a service this project has never had: none of its keys are set
    if not isinstance(config, dict):
        raise RemoteError(f"the project has no {service.title.lower()} at {service.place}")
    if service.fields is None:
        return config
    return {key: config[key] for key in service.fields if key in config}
