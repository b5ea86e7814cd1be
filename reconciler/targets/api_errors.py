"""What an error answer of the Ory console API, or of a project's API (``project_api_error``),
means for the user: one ``RemoteError`` per status, with Ory's own message and what to do
about it (ory-api.md §1a "Status codes").

The client (``client.py``) sends and retries; this module only reads the answer it gave up on:
its status, its JSON error body and its rate-limit headers. It names no HTTP library: an answer
is anything with those three (httpx's ``Response`` is one).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from reconciler.errors import ConflictError, RemoteError
from reconciler.targets import ratelimit


class Headers(Protocol):
    def get_list(self, key: str) -> list[str]: ...


class Answer(Protocol):
    """An HTTP response as far as error messages need it."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Headers: ...

    def json(self) -> Any: ...


def error_for(
    response: Answer, method: str, project_id: str, *, project_key: bool, attempts: int = 1
) -> RemoteError:
    """The error for a final 4xx/5xx answer; ``project_key``: the API key is a project key
    (it can never read a project's configuration); ``attempts``: how many tries it took."""
    error = _status_error(response, method, project_id, project_key)
    tries = _tries(attempts)
    return type(error)(f"{error}{tries}") if tries else error


def project_api_error(response: Answer, base_url: str, *, attempts: int = 1) -> RemoteError:
    """The error for a final 4xx/5xx answer of the project API (``GET /admin/identities``),
    which the project API key (``ORY_PROJECT_API_KEY``) opens."""
    status, detail = response.status_code, error_detail(response)
    if status == 401:
        what = (
            "rejected the project API key (401 Unauthorized): check that ORY_PROJECT_API_KEY "
            "holds a valid, unexpired API key of this project (ory_pat_…)"
        )
    elif status == 403:
        what = "refused to list identities with this project API key (403 Forbidden)"
    elif status == 404:
        what = "has no identities API here (404): check ORY_SDK_URL"
    elif status == 429:
        what = f"is rate limiting requests (429){_try_again(response)}"
    else:
        what = f"failed ({status})" if status >= 500 else f"refused the request ({status})"
    return RemoteError(f"the Ory project API at {base_url} {what}{detail}{_tries(attempts)}")


def _tries(attempts: int) -> str:
    return f" (gave up after {attempts} attempts)" if attempts > 1 else ""


def _try_again(response: Answer) -> str:
    """When to try again after a 429, from the bucket that refused it."""
    reset = ratelimit.refusing_reset(*rate_headers(response))
    # Ory's sustained bucket spans 60 s; a reset of 0 names only the burst bucket.
    return f"; try again in {reset:g} s" if reset else "; try again in a minute"


def _status_error(response: Answer, method: str, project_id: str, project_key: bool) -> RemoteError:
    status = response.status_code
    detail = error_detail(response)
    if status == 409:
        # Not necessarily a stale revision (an identity schema in use is a 409 too): the
        # target finds out which by reading the project (targets/ory_network.py).
        return ConflictError(f"the Ory API refused the change (409 Conflict){detail}")
    if status == 401:
        return RemoteError(
            "the Ory API rejected the API key (401 Unauthorized): check that "
            "ORY_WORKSPACE_API_KEY holds a valid, unexpired workspace API key" + detail
        )
    if status == 403:
        return RemoteError(_forbidden(project_id, response, detail, project_key))
    if status == 404:
        return RemoteError(
            f"project {project_id} was not found (404): check target.ory_network.project "
            "and that the workspace API key belongs to the project's workspace" + detail
        )
    if status == 429:
        return RemoteError(_rate_limited(response, method, detail))
    if status >= 500:
        return RemoteError(f"the Ory API failed ({status}){detail}")
    return RemoteError(f"the Ory API refused the request ({status}){detail}")


def _forbidden(project_id: str, response: Answer, detail: str, project_key: bool) -> str:
    if project_key:
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


def rate_headers(response: Answer) -> tuple[list[str], list[str], list[str]]:
    """Every bucket's ``x-ratelimit-remaining`` and ``-reset`` value, and ``Retry-After``."""
    return (
        response.headers.get_list(ratelimit.REMAINING),
        response.headers.get_list(ratelimit.RESET),
        response.headers.get_list(ratelimit.RETRY_AFTER),
    )


def _rate_limited(response: Answer, method: str, detail: str) -> str:
    # A rate limiter refuses before the request is processed.
    nothing = "; nothing was changed" if method != "GET" else ""
    return f"the Ory API is rate limiting requests (429){nothing}{_try_again(response)}{detail}"


def _error_body(response: Answer) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_id(response: Answer) -> str:
    return str(_error_body(response).get("id", ""))


def error_detail(response: Answer) -> str:
    """``: message — reason`` from Ory's error body, or nothing (at most 600 characters)."""
    error = _error_body(response)
    parts = [str(error[k]) for k in ("message", "reason") if error.get(k)]
    return (": " + " — ".join(parts))[:600] if parts else ""
