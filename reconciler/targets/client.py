"""The Ory Network console API, and a project's own API for its identities
(``ProjectApiClient``), over httpx. The only module that speaks HTTP.

Reads a project with ``GET /projects/{id}`` and writes its config with the revision-pinned
``PATCH /projects/{id}/revision/{revision_id}`` (ory-api.md §1a). Every failure becomes a
RemoteError whose message says what to do (``api_errors.py``); the API key never appears in
any message or repr.

Reads are retried on timeouts, dropped connections and 5xx (capped exponential backoff with
jitter). Every request, PATCH included, is retried on 429: a rate limiter refuses before the
request is processed, and the PATCH is pinned to a revision anyway (ratelimit.py says how long
to wait). A PATCH is never retried on anything else: without an answer it raises
OutcomeUnknownError and the target decides, after re-reading the project, whether it landed
(targets/ory_network.py). Each retry is logged (``-v``).

httpx is imported when a client is made, not when this module is: ``--version``, ``validate``
and ``render`` never touch the network and should not pay for loading it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.errors import OutcomeUnknownError, RemoteError
from reconciler.jsontypes import JSONObject, JSONValue
from reconciler.targets import ratelimit
from reconciler.targets.api_errors import (
    error_detail,
    error_for,
    project_api_error,
    rate_headers,
)
from reconciler.targets.project_document import ProjectUpdate, project_of, update_of
from reconciler.targets.retry import TIMEOUT_VARIABLE, RetryPolicy, timeout_seconds

if TYPE_CHECKING:
    import ssl

    import httpx

# A send whose slot is further away than this asks for one again after this long.
RECHECK_SECONDS = 2.0
# Connecting never needs long; a slow connect means the host is unreachable.
MAX_CONNECT_SECONDS = 10.0
# TF treats exactly these as transient (ory-api.md §1a "Status codes").
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_PROJECT_KEY_PREFIXES = ("ory_pat_", "ory_apikey_")
log = logging.getLogger("reconciler.client")


#: The policy clients use unless given one; tests replace it to record instead of sleeping.
DEFAULT_RETRY = RetryPolicy()


class OryClient:
    """A small client for the project endpoints the reconciler needs."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or DEFAULT_RETRY
        self.timeout = timeout_seconds(os.environ) if timeout is None else timeout
        self._key_is_project_key = api_key.startswith(_PROJECT_KEY_PREFIXES)
        # Seconds to wait before the next request: a bucket was nearly empty (ratelimit.py).
        self._pause = 0.0
        self._pause_lock = threading.Lock()
        # Spaces requests to the buckets the API announces (ratelimit.Pacer), for all threads.
        self._pacer = ratelimit.Pacer()
        self._pacer_lock = threading.Lock()
        self._skipped = 0.0  # seconds an injected sleep returned early (see RetryPolicy.clock)
        self._in_flight = 0  # requests sent and not answered yet, all threads
        # The first request goes alone: its answer names the buckets (or says there are
        # none), so the threads of plan --all do not all burst into a limit they cannot see.
        self._probe_sent = False
        self._first_answer = threading.Event()
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"reconciler/{__version__}",
            "Accept": "application/json",
        }
        self._http = self._new_http(transport)

    def __repr__(self) -> str:
        return f"OryClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def share_the_key(self, jobs: int) -> None:
        """Start at 1/``jobs`` of the key's rate limit: ``jobs`` processes use the key at
        once (``plan --all --shard I/N``). The counts the API sends adjust it from there."""
        with self._pacer_lock:
            self._pacer = ratelimit.Pacer(part=min(1.0, 1.0 / max(1, jobs)))

    def _new_http(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        # One connection pool for every thread (httpx clients are thread-safe). plan --all
        # has a request in flight per environment, and the pool looks at each connection it
        # holds whenever a request starts or ends: 0.2 s of CPU in a run of 200 that the
        # API's rate limits hold to 20 s or more (docs/benchmarks.md).
        import httpx

        return httpx.Client(
            base_url=self.base_url,
            headers=self._headers,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, MAX_CONNECT_SECONDS)),
            transport=transport,
            verify=_ssl_context(),
        )

    def __enter__(self) -> OryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get_project(self, project_id: str) -> JSONObject:
        """Read a project (read-only; retried, see the module docstring)."""
        outcome, attempts = self._send("GET", f"/projects/{project_id}")
        response = self._final(outcome, project_id, attempts)
        return project_of(self._json(response))

    def patch_project(
        self, project_id: str, revision: str, operations: Sequence[JSONObject]
    ) -> ProjectUpdate:
        """Apply JSON Patch operations, only if ``revision`` is still the live one.

        Retried only on 429 (not processed). Raises OutcomeUnknownError when no usable answer
        arrived (timeout, dropped connection, 5xx, unreadable 2xx body): the change may or may
        not have been applied; ConflictError on 409, with Ory's message.
        """
        path = f"/projects/{project_id}/revision/{revision}"
        outcome, attempts = self._send("PATCH", path, list(operations))
        if isinstance(outcome, Exception):
            raise OutcomeUnknownError(self._no_answer(outcome)) from None
        if outcome.status_code >= 500:
            raise OutcomeUnknownError(
                f"the Ory API failed ({outcome.status_code}){error_detail(outcome)}"
            )
        if outcome.status_code >= 400:
            raise self._error(outcome, "PATCH", project_id, attempts)
        try:
            return update_of(self._json(outcome))
        except RemoteError as exc:  # it answered 2xx, so it applied; the new state is unknown
            raise OutcomeUnknownError(str(exc)) from None

    def _send(
        self, method: str, path: str, body: list[JSONObject] | None = None
    ) -> tuple[httpx.Response | httpx.HTTPError, int]:
        """Send until an answer is final; returns it and how many attempts it took."""
        transient = limited = 0
        self._pause_if_near_the_limit()
        self._wait_for_a_slot()
        while True:
            outcome = self._attempt(method, path, body)
            attempts = 1 + transient + limited
            if not isinstance(outcome, Exception) and outcome.status_code == 429:
                if limited >= self.retry.rate_limit_retries:
                    return outcome, attempts
                limited += 1
                reset = ratelimit.refusing_reset(*rate_headers(outcome))
                wait = self.retry.rate_limit_delay(limited, reset)
                what, count = "rate limited (429)", f"{limited}/{self.retry.rate_limit_retries}"
            elif method == "GET" and _is_retryable(outcome):
                if transient + 1 >= self.retry.attempts:
                    return outcome, attempts
                transient += 1
                wait = self.retry.backoff(transient)
                what, count = _failure_name(outcome), f"{transient}/{self.retry.attempts - 1}"
            else:
                return outcome, attempts
            self._pause_if_near_the_limit()
            log.info("%s %s: %s; retrying in %.1f s (%s)", method, path, what, wait, count)
            self._wait_for_a_slot(after=wait)  # the backoff and the pacing together

    def _pause_if_near_the_limit(self) -> None:
        # Throttle before being refused (Ory's rate-limit guide: "throttle proactively").
        with self._pause_lock:
            wait, self._pause = self._pause, 0.0
        if wait > 0:
            log.info("rate limit almost reached; pausing %.1f s before the next request", wait)
            self._sleep(wait)

    def _wait_for_a_slot(self, after: float = 0.0) -> None:
        # Many threads share one client (plan --all): after ``after`` seconds (a retry's
        # backoff), book a send time that keeps every bucket the API announced from
        # overflowing, then sleep until it. Booked only then, and never further ahead than
        # RECHECK_SECONDS: the pace changes as answers come (the answers to the burst that
        # was refused say how much of the key other jobs use; another job finishes), and a
        # booking made at the pace of a moment ago would keep this send to it.
        if after > 0:
            self._sleep(after)
        with self._pacer_lock:
            probe, self._probe_sent = not self._probe_sent, True
        if not probe:
            self._first_answer.wait(self.timeout)
        while True:
            with self._pacer_lock:
                wait = self._pacer.reserve_within(self._now(), RECHECK_SECONDS)
            if wait is not None:
                break
            self._sleep(RECHECK_SECONDS)
        if wait > 0:
            log.debug("pacing to the API's rate limits: sending in %.2f s", wait)
            self._sleep(wait)

    def _now(self) -> float:
        if self.retry.clock is not None:
            return self.retry.clock()
        return time.monotonic() + self._skipped

    def _sleep(self, seconds: float) -> None:
        start = time.monotonic()
        self.retry.sleep(seconds)
        skipped = seconds - (time.monotonic() - start)
        if skipped > 0 and self.retry.clock is None:
            with self._pacer_lock:
                self._skipped += skipped

    def _attempt(
        self, method: str, path: str, body: list[JSONObject] | None
    ) -> httpx.Response | httpx.HTTPError:
        import httpx

        with self._pacer_lock:
            # A request sent before any answer announced the buckets went out unpaced: its
            # 429 teaches the limits but is no sign that others share them.
            paced = self._pacer.knows_the_limits
            self._in_flight += 1
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            with self._pacer_lock:
                self._in_flight -= 1
            self._first_answer.set()
            return exc
        headers, refused = response.headers, response.status_code == 429
        with self._pacer_lock:
            # Answered and learned from at once: counted either in flight or as ours, never neither.
            self._in_flight -= 1
            now = self._now()
            self._pacer.learn(
                headers.get_list(ratelimit.LIMIT),
                headers.get_list(ratelimit.REMAINING),
                headers.get_list(ratelimit.RESET),
                refused=refused,
                paced=paced,
                now=now,
                in_flight=self._in_flight,
            )
            if refused:
                self._pacer.not_counted(now)
            knows_the_limits = self._pacer.knows_the_limits
        self._first_answer.set()
        if not refused and not knows_the_limits:
            # No buckets announced, only what is left: pause when almost nothing is.
            pause = ratelimit.pause_before_next(
                headers.get_list(ratelimit.REMAINING), headers.get_list(ratelimit.RESET)
            )
            with self._pause_lock:
                self._pause = max(self._pause, pause)
        return response

    def _final(
        self, outcome: httpx.Response | httpx.HTTPError, project_id: str, attempts: int
    ) -> httpx.Response:
        tries = f" (gave up after {attempts} attempts)" if attempts > 1 else ""
        if isinstance(outcome, Exception):
            raise RemoteError(self._no_answer(outcome) + tries)
        if outcome.status_code >= 400:
            raise self._error(outcome, "GET", project_id, attempts)
        return outcome

    def _no_answer(self, exc: httpx.HTTPError) -> str:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            what = f"timed out after {self.timeout:g} s (set {TIMEOUT_VARIABLE} to wait longer)"
        else:
            what = no_answer_cause(exc)
        return f"request to the Ory API at {self.base_url} {what}"

    def _json(self, response: httpx.Response) -> JSONObject:
        body = _parsed(response)
        if not isinstance(body, dict):
            raise RemoteError(
                f"the Ory API at {self.base_url} answered {response.status_code} "
                "with something that is not a JSON object"
            )
        return body

    def _error(
        self, response: httpx.Response, method: str, project_id: str, attempts: int = 1
    ) -> RemoteError:
        project_key = self._key_is_project_key
        return error_for(response, method, project_id, project_key=project_key, attempts=attempts)


def _parsed(response: httpx.Response) -> JSONValue | None:
    """The answer's JSON body; None when it is not JSON."""
    try:
        body: JSONValue = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body


def _is_transient(exc: Exception) -> bool:
    """Timeouts and dropped or reset connections; not bad URLs or unsupported schemes."""
    import httpx

    return isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))


def _is_retryable(outcome: httpx.Response | httpx.HTTPError) -> bool:
    if isinstance(outcome, Exception):
        return _is_transient(outcome)
    return outcome.status_code in RETRYABLE_STATUSES


def _failure_name(outcome: httpx.Response | httpx.HTTPError) -> str:
    if isinstance(outcome, Exception):
        return f"no answer: {no_answer_cause(outcome)}"
    return f"failed ({outcome.status_code})"


def no_answer_cause(exc: Exception) -> str:
    """Why a request got no answer, in the words of its cause (refused, unknown host, TLS,
    timeout, no scheme) rather than the class httpx wraps it in (``ConnectError``)."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "failed: the URL does not start with https:// (or http://)"
    cause = _root_cause(exc)
    return _os_cause(cause) or f"failed ({type(exc).__name__}: {cause})"


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception httpx and httpcore wrapped (an OSError, an SSL error…)."""
    seen: list[BaseException] = [exc]
    while (inner := seen[-1].__cause__ or seen[-1].__context__) is not None and inner not in seen:
        seen.append(inner)
    return seen[-1]


def _os_cause(cause: BaseException) -> str | None:
    import socket
    import ssl

    if isinstance(cause, ssl.SSLCertVerificationError):
        return (
            f"failed: its TLS certificate was not accepted ({cause.verify_message}); behind a "
            "proxy that inspects TLS, give its CA certificate in SSL_CERT_FILE"
        )
    if isinstance(cause, ssl.SSLError):
        reason = cause.reason or str(cause)
        return f"failed: the TLS handshake failed ({reason}); is it an https:// server?"
    if isinstance(cause, socket.gaierror):
        return "failed: unknown host (the DNS lookup found no such name); check the URL"
    if isinstance(cause, ConnectionRefusedError):
        return "failed: the connection was refused (nothing listens on that host and port)"
    if isinstance(cause, (ConnectionResetError, ConnectionAbortedError)):
        return "failed: the connection was closed before an answer"
    return None


class ProjectApiClient(OryClient):
    """The project's own API (``https://{slug}.projects.oryapis.com``, or ``ORY_SDK_URL``),
    read-only, with a project API key: the pages of ``GET /admin/identities``
    (``targets/project_api.py`` reads them). The same retries, pacing to the announced rate
    limits and refusal of redirects as the console client; its own errors (the project key,
    not the workspace key)."""

    def __repr__(self) -> str:
        return f"ProjectApiClient(base_url={self.base_url!r})"

    def get_list(self, path: str) -> tuple[list[JSONValue], list[str]]:
        """One page: the JSON array ``path`` answers and its ``Link`` header values."""
        outcome, attempts = self._send("GET", path)
        response = self._final(outcome, "", attempts)
        if response.status_code != 200:  # a redirect is never followed: the key stays here
            raise RemoteError(
                f"the Ory project API at {self.base_url} answered {response.status_code} "
                "instead of a list; redirects are not followed (check ORY_SDK_URL)"
            )
        body = _parsed(response)
        if not isinstance(body, list):
            raise RemoteError(
                f"the Ory project API at {self.base_url} answered with something that is not "
                "a JSON array"
            )
        return body, response.headers.get_list("link")

    def _error(
        self, response: httpx.Response, method: str, project_id: str, attempts: int = 1
    ) -> RemoteError:
        return project_api_error(response, self.base_url, attempts=attempts)


ClientFactory = Callable[[str, str], "OryClient"]


class ClientPool:
    """One client per (API URL, key) for the environments one run plans at once (httpx
    clients are thread-safe); ``factory`` makes them (default: ``OryClient``)."""

    def __init__(self, factory: ClientFactory | None = None, *, jobs: int = 1) -> None:
        self._factory = factory or OryClient
        self._jobs = jobs  # processes using each key at once (plan --all --shard I/N)
        self._clients: dict[tuple[str, str], OryClient] = {}
        self._lock = threading.Lock()

    def get(self, base_url: str, api_key: str) -> OryClient:
        with self._lock:
            if (base_url, api_key) not in self._clients:
                client = self._factory(base_url, api_key)
                if self._jobs > 1:
                    client.share_the_key(self._jobs)
                self._clients[base_url, api_key] = client
            return self._clients[base_url, api_key]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def fetch_public(url: str, *, timeout: float = 15.0) -> bytes:
    """GET a public URL (content-addressed storage); raises RemoteError on any failure.

    No credentials are sent: storage URLs are public, and the API key must never leave
    for another host. Which URLs may be fetched at all is ``endpoints.may_fetch``'s call;
    redirects are not followed, so the answer comes from the host that was checked.
    """
    import httpx

    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False, verify=_ssl_context())
    except httpx.HTTPError as exc:
        raise RemoteError(f"could not fetch {url}: {no_answer_cause(exc)}") from None
    if response.status_code != 200:
        raise RemoteError(f"could not fetch {url}: HTTP {response.status_code}")
    return response.content


_ssl_lock = threading.Lock()
_ssl_contexts: list[ssl.SSLContext] = []  # at most one: made once per process


def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~35 ms; one context serves every client of the run
    # (plan --all over 50 projects would otherwise spend seconds here).
    with _ssl_lock:
        if not _ssl_contexts:
            import ssl

            _ssl_contexts.append(ssl.create_default_context())
        return _ssl_contexts[0]
