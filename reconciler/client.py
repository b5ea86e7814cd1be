"""The Ory Network console API, over httpx. The only module that speaks HTTP.

Reads a project with ``GET /projects/{id}`` and writes its config with the revision-pinned
``PATCH /projects/{id}/revision/{revision_id}`` (ory-api.md §1a). Every failure becomes a
RemoteError whose message says what to do; the API key never appears in any message or repr.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler import __version__
from reconciler.errors import ConflictError, RemoteError
from reconciler.jsontypes import JSONObject

DEFAULT_API_URL = "https://api.console.ory.com"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_PROJECT_KEY_PREFIXES = ("ory_pat_", "ory_apikey_")


@dataclass(frozen=True)
class ProjectUpdate:
    project: JSONObject
    warnings: tuple[str, ...]


class OryClient:
    """A small client for the project endpoints the reconciler needs."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key_is_project_key = api_key.startswith(_PROJECT_KEY_PREFIXES)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"reconciler/{__version__}",
                "Accept": "application/json",
            },
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"OryClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get_project(self, project_id: str) -> JSONObject:
        """Read a project (read-only)."""
        response = self._send("GET", f"/projects/{project_id}", project_id)
        return _project_of(self._json(response))

    def patch_project(
        self, project_id: str, revision: str, operations: Sequence[JSONObject]
    ) -> ProjectUpdate:
        """Apply JSON Patch operations, only if ``revision`` is still the live one."""
        path = f"/projects/{project_id}/revision/{revision}"
        response = self._send("PATCH", path, project_id, json=list(operations))
        body = self._json(response)
        warnings = body.get("warnings")
        if not isinstance(warnings, list):
            warnings = []
        messages = tuple(
            str(w.get("message", w)) if isinstance(w, dict) else str(w) for w in warnings
        )
        return ProjectUpdate(project=_project_of(body.get("project")), warnings=messages)

    def _send(self, method: str, path: str, project_id: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise RemoteError(self._unknown_outcome(method, "timed out")) from None
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise RemoteError(self._unknown_outcome(method, f"failed ({reason})")) from None
        if response.status_code >= 400:
            raise self._error(response, method, project_id)
        return response

    def _unknown_outcome(self, method: str, what: str) -> str:
        message = f"request to the Ory API at {self.base_url} {what}"
        if method != "GET":
            message += "; the change may or may not have been applied: run plan to see"
        return message

    def _json(self, response: httpx.Response) -> JSONObject:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise RemoteError(
                f"the Ory API at {self.base_url} answered {response.status_code} "
                "with something that is not a JSON object"
            )
        return body

    def _error(self, response: httpx.Response, method: str, project_id: str) -> RemoteError:
        status = response.status_code
        detail = _error_detail(response)
        if status == 409:
            return ConflictError(
                f"project {project_id} changed since this plan was made (the revision it was "
                "planned against is no longer current); nothing was changed. Run plan again."
            )
        if status == 401:
            return RemoteError(
                "the Ory API rejected the API key (401 Unauthorized): check that "
                "ORY_WORKSPACE_API_KEY holds a valid, unexpired workspace API key" + detail
            )
        if status == 403:
            return RemoteError(self._forbidden(project_id, response, detail))
        if status == 404:
            return RemoteError(
                f"project {project_id} was not found (404): check target.ory_network.project "
                "and that the workspace API key belongs to the project's workspace" + detail
            )
        if status == 429:
            wait = response.headers.get("x-ratelimit-reset") or response.headers.get("retry-after")
            after = f"; try again in {wait} s" if wait else "; try again later"
            return RemoteError(f"the Ory API is rate limiting requests (429){after}{detail}")
        if status >= 500:
            outcome = "" if method == "GET" else "; the change may not have been applied: run plan"
            return RemoteError(f"the Ory API failed ({status}){outcome}{detail}")
        return RemoteError(f"the Ory API refused the request ({status}){detail}")

    def _forbidden(self, project_id: str, response: httpx.Response, detail: str) -> str:
        if self._key_is_project_key:
            return (
                "ORY_WORKSPACE_API_KEY holds a project API key (ory_pat_… / ory_apikey_…), "
                "which cannot read or change project configuration (403 Forbidden): create a "
                "workspace API key (ory_wak_…) in the Ory Console and use that instead"
            )
        if _error_id(response) == "feature_not_available":
            return f"this change needs a feature your Ory plan does not include (403){detail}"
        return (
            f"access to project {project_id} was denied (403 Forbidden): the workspace API "
            "key has no access to this project" + detail
        )


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_id(response: httpx.Response) -> str:
    return str(_error_body(response).get("id", ""))


def _error_detail(response: httpx.Response) -> str:
    error = _error_body(response)
    parts = [str(error[k]) for k in ("message", "reason") if error.get(k)]
    return (": " + " — ".join(parts))[:600] if parts else ""


def _project_of(value: Any) -> JSONObject:
    if not isinstance(value, dict) or not isinstance(value.get("revision_id"), str):
        raise RemoteError("the Ory API returned a project without a revision_id")
    return value


def identity_config_of(project: JSONObject) -> JSONObject:
    """The identity config inside a project document (``/services/identity/config``)."""
    services = project.get("services")
    identity = services.get("identity") if isinstance(services, dict) else None
    config = identity.get("config") if isinstance(identity, dict) else None
    if not isinstance(config, dict):
        raise RemoteError("the project has no identity config at /services/identity/config")
    return config
