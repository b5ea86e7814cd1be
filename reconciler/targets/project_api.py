"""The project's own API, read-only: the identities of an Ory Network project, page by page,
with a project API key (docs/identity-counts.md). Nothing here is ever written.

Where the project key goes is settled on the pipeline owner's side (docs/security.md §2):
``ORY_SDK_URL`` when set, else ``https://{slug}.projects.oryapis.com`` from the slug the
console API answered for the project, never a URL a repository file names; https only,
loopback excepted; no redirects (the client). The key comes from ``ORY_PROJECT_API_KEY``, or
from a variable an environment names whose name starts with ``ORY_PROJECT_API_KEY``, so a
repository file cannot make the tool send another secret of the runner (``GITHUB_TOKEN``).

``GET /admin/identities`` (Ory OpenAPI spec v1.22.65, operation ``listIdentities``) pages with
``page_size`` (1-500, default 250) and ``page_token``; the next page's pointer comes in the
``Link`` header (``rel="next"``). Only its ``page_token`` is taken: the request for the next
page goes to the same base URL, whatever host the link names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from reconciler import redact
from reconciler.errors import ConfigError, RemoteError
from reconciler.jsontypes import JSONObject, JSONValue
from reconciler.targets import endpoints

KEY_VARIABLE = "ORY_PROJECT_API_KEY"
URL_VARIABLE = "ORY_SDK_URL"
IDENTITIES = "/admin/identities"
# The spec's page_size: minimum 1, maximum 500, default 250 (listIdentities).
MAX_PAGE_SIZE = 500
# A project slug as the console API names it (``silly-hofstadter-e5balirqq2``): it becomes a
# host name, so nothing else is accepted.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)

Progress = Callable[[int], None]


def project_key(environ: Mapping[str, str], variable: str | None = None) -> str | None:
    """The project API key: ``variable`` (an environment's ``project_api_key: ${NAME}``) or
    ``ORY_PROJECT_API_KEY``; None when unset. Registered with the output scrubber. Raises
    ConfigError for a variable whose name does not start with ``ORY_PROJECT_API_KEY``."""
    name = variable or KEY_VARIABLE
    if not name.startswith(KEY_VARIABLE):
        raise ConfigError(
            [
                f"project_api_key may only name a variable whose name starts with "
                f"{KEY_VARIABLE} (got {name}): a repository file may not choose which of the "
                "runner's secrets is sent to the project API"
            ]
        )
    key = environ.get(name) or None
    redact.register(key)
    return key


def project_api_url(environ: Mapping[str, str], slug: str) -> str:
    """``ORY_SDK_URL`` (the pipeline owner's) or ``https://{slug}.projects.oryapis.com``."""
    configured = environ.get(URL_VARIABLE)
    if configured:
        problem = endpoints.url_problem(configured)
        if problem is not None:
            raise ConfigError([f"{URL_VARIABLE} {problem}, got {configured!r}"])
        return configured.rstrip("/")
    if not _SLUG.match(slug):
        raise RemoteError(
            f"the console API named no usable project slug ({slug!r}), so the project API's "
            f"URL is unknown: set {URL_VARIABLE}"
        )
    return f"https://{slug}.projects.oryapis.com"


def next_token(link_values: list[str]) -> str | None:
    """The ``page_token`` of the ``rel="next"`` link, or None on the last page."""
    for value in link_values:
        for target in _NEXT.findall(value):
            tokens: list[str] = parse_qs(urlsplit(target).query).get("page_token", [])
            if tokens and tokens[0]:
                return tokens[0]
    return None


def page_path(page_size: int, token: str | None) -> str:
    query: dict[str, str | int] = {"page_size": page_size}
    if token is not None:
        query["page_token"] = token
    return f"{IDENTITIES}?{urlencode(query)}"


class Identities:
    """Every identity of the project (at most ``limit``), one page in memory at a time; once
    iterated, ``more`` says whether the project holds identities beyond those read.

    ``progress`` is told how many were read after each page. A token seen twice ends the
    read with an error rather than a loop."""

    def __init__(
        self,
        get_list: Callable[[str], tuple[list[JSONValue], list[str]]],
        *,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._get_list = get_list
        self.page_size = page_size
        self.limit = limit
        self.progress = progress
        self.more = False
        self.pages = 0

    def __iter__(self) -> Iterator[JSONObject]:
        token: str | None = None
        seen: set[str] = set()
        read = 0
        while True:
            size = self.page_size if self.limit is None else min(self.page_size, self.limit - read)
            items, links = self._get_list(page_path(max(1, size), token))
            self.pages += 1
            for item in items:
                if self.limit is not None and read >= self.limit:
                    self.more = True
                    return
                if isinstance(item, dict):
                    read += 1
                    yield item
            if self.progress is not None:
                self.progress(read)
            token = next_token(links)
            if token is None:
                return
            if self.limit is not None and read >= self.limit:
                self.more = True
                return
            if token in seen:
                raise RemoteError("the Ory project API sent the same page token twice; stopped")
            seen.add(token)
            # A cursor into the identities (it may name one): never in a log line (-v shows
            # each retry's path) nor an error.
            redact.register(token)
