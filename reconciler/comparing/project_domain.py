"""Values that name an Ory Network project's own domain. Pure.

Each project has its own (``<slug>.projects.oryapis.com``, or a custom domain as its public
URL), so an environment file that carries them cannot be copied to another environment:
``export`` leaves them out (``export.left_out``) and lists them in the file's header.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from reconciler.jsontypes import JSONObject, JSONValue, Pointer, get_at, join_pointer

PUBLIC_BASE_URL: Pointer = "/serve/public/base_url"
# The domains Ory Network gives projects: <slug>.projects.oryapis.com, staging's
# <slug>.projects.staging.oryapis.dev, and the bare <slug>.projects.oryapis the console has
# written as a webauthn rp id (the ory-cli project fixture).
_ORY_PROJECT_HOST = re.compile(r"^[a-z0-9-]+\.projects(\.[a-z0-9-]+)?\.oryapis(\.[a-z]+)?$")


# Hosts that never leave the machine: an http:// URL on them is no plain-text hop.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def is_plain_http(url: str) -> bool:
    """True for an ``http://`` URL off this machine: anyone on the path can read or alter it."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


def is_ory_project_host(host: str) -> bool:
    """True for a domain Ory Network gives a project (``<slug>.projects.oryapis.com``)."""
    return _ORY_PROJECT_HOST.match(host.lower()) is not None


def page_site(value: JSONValue) -> tuple[str, str] | None:
    """Where a page of a flow is: the scheme and host of an absolute URL (any loopback name
    reads ``localhost``: a developer's machine); None for a path on the project's own domain
    (``/ui/login``), an Ory project domain, or no value at all."""
    if not isinstance(value, str) or "://" not in value:
        return None
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if is_ory_project_host(host):
        return None
    return parts.scheme.lower(), "localhost" if host in LOOPBACK_HOSTS else host


# The only place a bare host (no scheme) names a domain: a webauthn or passkey relying party's
# id. Cookie domains are the target's own (server-managed) and never exported.
_HOST_KEY = "/rp/id"

Found = list[tuple[Pointer, JSONValue]]


def project_specific(config: JSONValue, live: JSONObject) -> tuple[Found, Found]:
    """Values naming this project's own domain (its public URL's host, or any Ory project
    domain): strings that are such a host or a URL on it, and lists made only of them; then
    the lists that mix them with other values, which are kept whole (lists are compared
    whole, so dropping an entry would plan a change)."""
    _, base_url = get_at(live, PUBLIC_BASE_URL)
    own = urlsplit(base_url).hostname if isinstance(base_url, str) else None
    specific: Found = []
    mixed: Found = []

    def visit(value: JSONValue, pointer: Pointer) -> None:
        host_here = pointer.endswith(_HOST_KEY)
        if _names_project(value, own, host_here):
            specific.append((pointer, value))
        elif isinstance(value, list) and any(_names_project(i, own, host_here) for i in value):
            mixed.append((pointer, value))
        elif isinstance(value, dict):
            for key in sorted(value):
                visit(value[key], join_pointer(pointer, key))

    visit(config, "")
    return specific, mixed


def _names_project(value: JSONValue, own: str | None, host_here: bool) -> bool:
    """A URL on the project's domain, anywhere; a bare host only where a host is kept
    (``host_here``: a relying-party id). Elsewhere a word is a name (a schema id `localhost`)."""
    if isinstance(value, list):
        return bool(value) and all(_names_project(item, own, host_here) for item in value)
    if not isinstance(value, str) or not value:
        return False
    if "://" not in value and not host_here:
        return False
    host = urlsplit(value).hostname if "://" in value else value.lower()
    return bool(host) and (host == own or is_ory_project_host(str(host)))
