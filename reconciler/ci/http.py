"""A few JSON calls to a forge's REST API (GitHub, GitLab) with the standard library.

Redirects are never followed: a 3xx comes back with its location, so the token in the
headers is never sent to another host.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from reconciler.errors import RemoteError

TIMEOUT_SECONDS = 30


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # surfaces as an HTTPError carrying the Location header


_OPENER = urllib.request.build_opener(_NoRedirect)


class ForgeError(RemoteError):
    """The forge answered with an error status (``status``), or did not answer (None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    location: str | None = None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def call(method: str, url: str, headers: dict[str, str], payload: object | None = None) -> Response:
    """One request; a 3xx comes back with its location, any other non-2xx raises."""
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
            return Response(answer.status, answer.read())
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400 and exc.headers.get("Location"):
            return Response(exc.code, b"", exc.headers["Location"])
        detail = exc.read()[:300].decode("utf-8", "replace")
        message = f"{method} {_without_query(url)}: HTTP {exc.code}: {detail}"
        raise ForgeError(message, exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ForgeError(f"{method} {_without_query(url)}: {exc}") from None


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]  # pre-signed URLs carry credentials in the query
