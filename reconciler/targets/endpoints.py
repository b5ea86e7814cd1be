"""Where requests may go: the workspace key only to the configured Ory API, and content only
from Ory's storage (docs/security.md §2).

In a GitOps pipeline whoever opens a pull request writes every file of the repository, so
the console API URL comes from settings the pipeline owner makes: ``ORY_CONSOLE_API_URL``
(the Action's ``api-url`` input sets it) or the default. An environment's
``target.ory_network.api_url`` is obeyed only when it names that same API or a host listed in
``RECONCILER_ALLOWED_API_HOSTS``, which is set outside the repository too. Every URL that
carries the key is ``https://``, loopback excepted (the test server, a local tunnel), and is
read by one strict pattern, so that no two URL parsers can disagree about its host
(``https://api.console.ory.com@attacker.test`` is refused, not sent).

Content-addressed identity schemas are fetched without credentials, and only from Ory's
storage buckets or the configured API's own origin: a Kratos config file in the repository
(or a live value that once held a variable) cannot make the tool request another host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from reconciler.comparing.project_domain import LOOPBACK_HOSTS
from reconciler.errors import ConfigError, Location

API_URL_VARIABLE = "ORY_CONSOLE_API_URL"
ALLOWED_HOSTS_VARIABLE = "RECONCILER_ALLOWED_API_HOSTS"
DEFAULT_API_URL = "https://api.console.ory.com"
# Where Ory Network keeps what it decodes from base64:// (ory-network-behaviour.md §4:
# https://storage.googleapis.com/<bucket>/<sha512>.<ext>, buckets bac-gcs-<environment>).
ORY_STORAGE_PREFIX = "https://storage.googleapis.com/bac-gcs-"
# Scheme, a plain host (name, IPv4 or bracketed IPv6), an optional port and a path: no user
# info, query, fragment, backslash or space, which parsers read differently.
_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9._~!$&'()*+,;=:%/-]*)?\Z"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
REQUIREMENT = "an https:// URL (http:// only on 127.0.0.1, [::1] or localhost)"


class Origin(NamedTuple):
    scheme: str
    host: str  # lower-case, IPv6 without brackets
    port: int


def origin_of(url: str) -> Origin | None:
    """Scheme, host and port of a URL the strict pattern accepts; None for any other."""
    match = _URL.match(url)
    if match is None:
        return None
    scheme = match["scheme"]
    host = match["host"].lower().removeprefix("[").removesuffix("]")
    port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
    return Origin(scheme, host, port)


def url_problem(url: str) -> str | None:
    """Why the key may not be sent to ``url`` whatever its host, or None."""
    origin = origin_of(url)
    if origin is None:
        return f"must be {REQUIREMENT} with a plain host name"
    if origin.scheme != "https" and origin.host not in LOOPBACK_HOSTS:
        return f"must be {REQUIREMENT}: plain http:// would send the workspace key in clear"
    return None


def allowed_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    """``RECONCILER_ALLOWED_API_HOSTS``: host names, separated by commas or spaces."""
    listed = re.split(r"[\s,]+", environ.get(ALLOWED_HOSTS_VARIABLE, ""))
    return frozenset(h.lower().removeprefix("[").removesuffix("]") for h in listed if h)


def configured_api_url(environ: Mapping[str, str]) -> str:
    """The API URL the pipeline owner chose (or the default); ConfigError when it is unsafe."""
    url = environ.get(API_URL_VARIABLE) or DEFAULT_API_URL
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError([f"{API_URL_VARIABLE} {problem}, got {url!r}"])
    return url


def api_base_url(environ: Mapping[str, str], written: str | None, location: Location | None) -> str:
    """Where the workspace key goes: ``ORY_CONSOLE_API_URL``, else the environment's
    ``api_url`` when it names the configured API or an allowed host, else the default.

    Raises ConfigError, naming the file, line and key, for an ``api_url`` that would send the
    key anywhere else (also when ``ORY_CONSOLE_API_URL`` overrides it: such a file is refused
    wherever it runs, not only where the variable happens to be unset)."""
    configured = configured_api_url(environ)
    if written is None:
        return configured
    problem = url_problem(written)
    if problem is not None:
        raise ConfigError.at(location, f"{problem}, got {written!r}")
    origin = origin_of(written)
    assert origin is not None
    if origin != origin_of(configured) and origin.host not in allowed_hosts(environ):
        raise ConfigError.at(
            location,
            f"{written} would send the workspace key to {origin.host}, which is not the "
            f"configured Ory API ({configured}); a repository file may not redirect the key. "
            f"Set {API_URL_VARIABLE}, or list the host in {ALLOWED_HOSTS_VARIABLE}, in the "
            "pipeline's settings (not in the repository)",
        )
    return environ.get(API_URL_VARIABLE) or written


def may_fetch(url: str, environ: Mapping[str, str]) -> bool:
    """Whether content-addressed storage at ``url`` may be read (without credentials): Ory's
    storage buckets, or the configured API's own origin (a self-hosted or test API)."""
    origin = origin_of(url)
    if origin is None or url_problem(url) is not None:
        return False
    if url.startswith(ORY_STORAGE_PREFIX):
        return True
    return origin == origin_of(configured_api_url(environ))
