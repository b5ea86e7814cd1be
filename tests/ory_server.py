"""A real HTTP server that speaks the Ory Network console project API, for tests.

It implements the contract of ``GET /projects/{project_id}``,
``PATCH /projects/{project_id}`` (deprecated, no revision check) and
``PATCH /projects/{project_id}/revision/{revision_id}`` from the Ory OpenAPI spec
(v1.22.65, its tested part in ``fixtures/ory-sdk/spec-subset.json``) and imitates the server-side
transformations Ory Network applies to the identity (Kratos) config, as documented in
``shared/docs/ory-api.md`` §1a ("Server-side transformations a diff engine must
normalise") and §1c, and behaves as ``shared/docs/ory-network-behaviour.md`` says Ory Network
really does (secrets absent on read, only add/remove/replace, unknown keys dropped,
Network-only keys, fixed warnings, rate-limit buckets, 409s, stale reads, asynchronous schema
renaming): see ``ory_behaviour.py``, where each behaviour cites its source.

Usage::

    from ory_server import OryTestServer

    with OryTestServer() as server:
        httpx.get(f"{server.base_url}/projects/{server.project_id}",
                  headers={"Authorization": f"Bearer {server.workspace_key}"})

or the ``ory_server`` pytest fixture defined at the bottom of this module.

Choices this server makes where Ory's behaviour is not documented are marked
"(choice)" below; tests that depend on them depend on this server, not on Ory.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import hashlib
import json
import re
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qs, unquote, urlencode

import jsonpatch
import ory_behaviour as ory
import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from ory_behaviour import DEFAULT_READ_RULES, PatchError, RateMeter, ReadRules
from referencing import Registry
from referencing.jsonschema import DRAFT7

from reconciler import official
from reconciler.checks import schema_paths

JSONObject = dict[str, Any]

FIXTURES: Final = Path(__file__).resolve().parent / "fixtures"  # origins: fixtures/SOURCES.md
FIXTURE_PROJECT: Final = FIXTURES / "ory-cli" / "fixtures" / "project-get-response.config.json"
# The Kratos v26.2.0 schemas shipped in the package (reconciler/official/PROVENANCE.md).
KRATOS_SCHEMA: Final = official.KRATOS_RELEASE_CONFIG
TRACING_SCHEMA: Final = official.TRACING_CONFIG

DEFAULT_STORAGE_BASE: Final = "https://storage.googleapis.com/bac-gcs-test"

#: Fields of the project document a PATCH cannot change (``readOnly`` in the spec's
#: ``project`` schema); changes to them are silently reverted (choice).
READ_ONLY_PROJECT_FIELDS: Final = ("id", "revision_id", "slug", "state")

#: The two duration patterns the Kratos v26.2.0 config schema uses (15 and 2 properties).
DURATION_PATTERNS: Final = frozenset({r"^([0-9]+(ns|us|ms|s|m|h))+$", r"^[0-9]+(ns|us|ms|s|m|h)$"})

_SHA512_NAME = re.compile(r"^[0-9a-f]{128}\.(json|jsonnet|txt)$")
_HERODOT_MESSAGES: Final = {
    400: "The request was malformed or contained invalid parameters",
    401: "The request could not be authorized",
    403: "The requested action was forbidden",
    404: "The requested resource could not be found",
    405: "The requested method is not allowed",
    409: "The resource could not be created due to a conflict",
    429: "Too many requests",
    500: "An internal server error occurred, please contact the system administrator",
    503: "The service is temporarily unavailable",
}
_MISSING: Final = object()
#: The project API's identities list (spec v1.22.65 ``listIdentities``).
IDENTITIES_PATH: Final = "/admin/identities"


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error response in the herodot shape (ory-api.md §1a "errorGeneric")."""

    def __init__(
        self, status: int, reason: str, message: str | None = None, error_id: str | None = None
    ) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason
        self.message = message or _HERODOT_MESSAGES.get(status, HTTPStatus(status).phrase)
        self.error_id = error_id


def error_body(
    status: int,
    message: str | None = None,
    reason: str | None = None,
    error_id: str | None = None,
) -> JSONObject:
    """``{"error": {"code", "status", "request", "message", "reason"}}`` as Ory returns it."""
    content: JSONObject = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "request": str(uuid.uuid4()),
        "message": message or _HERODOT_MESSAGES.get(status, HTTPStatus(status).phrase),
    }
    if reason is not None:
        content["reason"] = reason
    if error_id is not None:
        content["id"] = error_id
    return {"error": content}


# --------------------------------------------------------------------------- durations

_DURATION_UNITS: Final = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def parse_go_duration(text: str) -> int | None:
    """Nanoseconds of a Go ``time.ParseDuration`` string, or None if it does not parse."""
    sign, rest = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if rest == "0":
        return 0
    total = Fraction(0)
    pos = 0
    while pos < len(rest):
        match = _DURATION_PART.match(rest, pos)
        if match is None:
            return None
        total += Fraction(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return None if pos == 0 else sign * int(total)


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10**digits)
    decimals = f"{frac:0{digits}d}".rstrip("0")
    return f"{whole}.{decimals}" if decimals else str(whole)


def format_go_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()``: ``3600s`` -> ``1h0m0s``, ``0.5s`` -> ``500ms``."""
    if nanos == 0:
        return "0s"
    sign, u = ("-", -nanos) if nanos < 0 else ("", nanos)
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fraction(u, 3)}\u00b5s"
    if u < 1_000_000_000:
        return f"{sign}{_fraction(u, 6)}ms"
    seconds, frac = divmod(u, 1_000_000_000)
    out = f"{_fraction((seconds % 60) * 1_000_000_000 + frac, 9)}s"
    minutes = seconds // 60
    if minutes:
        out = f"{minutes % 60}m{out}"
        if minutes >= 60:
            out = f"{minutes // 60}h{out}"
    return sign + out


def normalise_duration(text: str) -> str:
    """``30m`` -> ``30m0s``; strings that are not Go durations are returned unchanged."""
    nanos = parse_go_duration(text)
    return text if nanos is None else format_go_duration(nanos)


# --------------------------------------------------------------------------- Kratos schema


@dataclass(frozen=True)
class _KratosSchema:
    schema: JSONObject
    validator: Draft7Validator

    def resolve(self, node: Any) -> JSONObject | None:
        """Follow local ``#/...`` refs; None for non-objects and external refs."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return None
            node = self.schema
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node if isinstance(node, dict) else None

    def expand(self, instance: Any, node: Any) -> Iterator[JSONObject]:
        """The subschemas that apply to ``instance``: refs, allOf, matching oneOf/anyOf
        branches and the if/then/else branch taken."""
        resolved = self.resolve(node)
        if resolved is None:
            return
        yield resolved
        for sub in resolved.get("allOf", []):
            yield from self.expand(instance, sub)
        for keyword in ("oneOf", "anyOf"):
            for sub in resolved.get(keyword, []):
                if self.is_valid(instance, sub):
                    yield from self.expand(instance, sub)
        if "if" in resolved:
            branch = "then" if self.is_valid(instance, resolved["if"]) else "else"
            if branch in resolved:
                yield from self.expand(instance, resolved[branch])

    def is_valid(self, instance: Any, node: Any) -> bool:
        return bool(self.validator.evolve(schema=node).is_valid(instance))

    def visit(
        self,
        instance: Any,
        node: Any,
        on_object: Callable[[JSONObject, JSONObject], None],
    ) -> None:
        """Call ``on_object(obj, subschema)`` for every object of ``instance`` and every
        subschema that applies to it, walking properties/patternProperties/items."""
        for sub in self.expand(instance, node):
            if isinstance(instance, dict):
                on_object(instance, sub)
                for key, value in list(instance.items()):
                    if isinstance(value, (dict, list)):
                        for child in schema_paths.child_schemas(sub, key):
                            self.visit(value, child, on_object)
            elif isinstance(instance, list) and isinstance(sub.get("items"), dict):
                for item in instance:
                    self.visit(item, sub["items"], on_object)

    def is_duration(self, node: Any) -> bool:
        resolved = self.resolve(node)
        return resolved is not None and resolved.get("pattern") in DURATION_PATTERNS

    def default_of(self, node: Any) -> Any:
        if isinstance(node, dict) and "default" in node:
            return node["default"]
        resolved = self.resolve(node)
        return resolved.get("default", _MISSING) if resolved is not None else _MISSING


@functools.cache
def _kratos() -> _KratosSchema:
    """The Kratos v26.2.0 config schema minus the OSS-only required ``dsn`` (ory-api.md
    §1c), compiled once per process."""
    schema = json.loads(KRATOS_SCHEMA.read_text(encoding="utf-8"))
    schema["required"] = [key for key in schema["required"] if key != "dsn"]
    ory.add_network_only_keys(schema)
    tracing = json.loads(TRACING_SCHEMA.read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "ory://tracing-config", DRAFT7.create_resource(tracing)
    )
    return _KratosSchema(schema, Draft7Validator(schema, registry=registry))


@functools.cache
def _hydra_durations() -> tuple[tuple[str, ...], ...]:
    return ory.duration_paths(json.loads(official.HYDRA_MASTER_CONFIG.read_text(encoding="utf-8")))


@functools.cache
def _fixture_project_raw() -> str:
    return FIXTURE_PROJECT.read_text(encoding="utf-8")


def fixture_project() -> JSONObject:
    """A fresh copy of the CLI fixture project document, exactly as stored in fixtures/."""
    result: JSONObject = json.loads(_fixture_project_raw())
    return result


def fixture_identity_config() -> JSONObject:
    """A fresh copy of the fixture's ``services.identity.config``, untransformed."""
    config: JSONObject = fixture_project()["services"]["identity"]["config"]
    return config


def _project_template() -> JSONObject:
    """The fixture project plus the spec's other required ``project`` fields (the fixture
    predates them; the values are plausible choices)."""
    project = fixture_project()
    project.update(
        environment="prod",
        home_region="eu-central",
        organizations=[],
        workspace_id=str(uuid.uuid4()),
        cors_admin={"enabled": False, "origins": []},
        cors_public={"enabled": False, "origins": []},
    )
    # SPEC projectServices: `account_experience` is a service like the others, its `config`
    # required (projectServiceAccountExperience); the fixture predates it: nothing set.
    project["services"].setdefault("account_experience", {"config": {}})
    return project


@functools.cache
def _seed_config(storage_base: str) -> str:
    """The fixture identity config after the pipeline, computed once per storage base
    (the fixture has no non-preset ``base64://`` value, so nothing is stored)."""
    normaliser = _Normaliser(storage_base)
    config = normaliser.run(fixture_identity_config(), None)
    assert not normaliser.files
    return json.dumps(config)


# --------------------------------------------------------------------------- helpers


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def decode_base64_lenient(text: str) -> bytes:
    """Decode like Ory's ``base64://`` loader: std or URL alphabet, padded or not
    (ory-api.md §1b, X ``osx/file.go:189-213``). Raises ValueError."""
    core = "".join(text.split()).rstrip("=")
    padded = core + "=" * (-len(core) % 4)
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(padded, altchars=altchars, validate=True)
        except binascii.Error:
            continue
    raise ValueError("not valid base64")


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return _MISSING
        doc = doc[key]
    return doc


# --------------------------------------------------------------------------- the pipeline


@dataclass
class _Normaliser:
    """Turns an identity config into what Ory Network stores (ory-api.md §1a items 1-4)."""

    storage_base: str
    files: dict[str, bytes] = field(default_factory=dict)
    # ory-network-behaviour.md §3/§5: unknown keys are dropped (False: refused with 400).
    drop_unknown: bool = True
    dropped_paths: tuple[tuple[str, ...], ...] = ory.DEFAULT_DROPPED_PATHS
    # Ids of schemas identities use: dropping one is a 409 (§1.1, ory/docs#2681).
    schemas_in_use: frozenset[str] = frozenset()
    # Hash id -> the id and url the client sent, for schemas renamed by this run.
    renamed: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def store(self, data: bytes, ext: str) -> str:
        name = f"{sha512_hex(data)}.{ext}"
        self.files[name] = data
        return f"{self.storage_base.rstrip('/')}/{name}"

    def run(self, config: JSONObject, previous: JSONObject | None) -> JSONObject:
        kratos = _kratos()
        if self.drop_unknown:
            for path in self.dropped_paths:
                ory.delete(config, path)
            kratos.visit(config, kratos.schema, ory.drop_unknown_keys)
        # Item 4 "Defaults are materialised"; remove => the default reappears (§1a PUT vs PATCH).
        kratos.visit(config, kratos.schema, _fill_defaults)
        self._schemas(config, previous)
        self._base64(config, ())
        # Item 3 "Durations are normalised to Go time.Duration strings".
        kratos.visit(config, kratos.schema, _normalise_durations)
        validate_identity_config(config)
        return config

    def _schemas(self, config: JSONObject, previous: JSONObject | None) -> None:
        """Item 2: custom schemas sent inline get id = sha512(content) and a storage URL;
        ``default_schema_id`` follows; equal ids collapse; schemas are sticky. Presets
        keep their inline ``base64://`` url (item 2, last sentences)."""
        identity = config.get("identity")
        if not isinstance(identity, dict) or not isinstance(identity.get("schemas"), list):
            return
        renamed: dict[Any, str] = {}
        result: list[Any] = []
        for schema in identity["schemas"]:
            if isinstance(schema, dict):
                schema_id, url = schema.get("id"), schema.get("url")
                is_preset = isinstance(schema_id, str) and schema_id.startswith("preset://")
                if not is_preset and isinstance(url, str) and url.startswith("base64://"):
                    data = self._decode(url, f"identity.schemas.{len(result)}.url")
                    self.renamed.setdefault(sha512_hex(data), (schema_id, url))
                    schema["url"] = self.store(data, "json")
                    schema["id"] = renamed[schema_id] = sha512_hex(data)
            if not any(isinstance(s, dict) and s.get("id") == _id_of(schema) for s in result):
                result.append(schema)
        for old in _get(previous, ("identity", "schemas")) if previous else []:
            if isinstance(old, dict) and all(_id_of(s) != old.get("id") for s in result):
                if old.get("id") in self.schemas_in_use:
                    raise ApiError(
                        409,
                        f"Identity schema {old.get('id')} is in use by identities and cannot "
                        "be removed.",
                        message="The identity schema is in use by identities (in_use_by_identity)",
                    )
                result.append(copy.deepcopy(old))
        identity["schemas"] = result
        default = identity.get("default_schema_id")
        if default in renamed:
            identity["default_schema_id"] = renamed[default]

    def _base64(self, node: Any, path: tuple[str, ...]) -> None:
        """Item 1: every other ``base64://`` string becomes a ``.jsonnet`` storage URL."""
        if path == ("identity", "schemas"):
            return
        items: Iterator[tuple[Any, Any]]
        if isinstance(node, dict):
            items = iter(list(node.items()))
        elif isinstance(node, list):
            items = enumerate(list(node))
        else:
            return
        for key, value in items:
            if isinstance(value, str) and value.startswith("base64://"):
                dotted = ".".join([*path, str(key)])
                node[key] = self.store(self._decode(value, dotted), "jsonnet")
            else:
                self._base64(value, (*path, str(key)))

    @staticmethod
    def _decode(url: str, where: str) -> bytes:
        try:
            return decode_base64_lenient(url.removeprefix("base64://"))
        except ValueError:
            raise ApiError(400, f"Unable to decode the base64:// value of `{where}`.") from None


def _id_of(schema: Any) -> Any:
    return schema.get("id") if isinstance(schema, dict) else _MISSING


def _fill_defaults(obj: JSONObject, schema: JSONObject) -> None:
    kratos = _kratos()
    for key, child in schema.get("properties", {}).items():
        if key not in obj:
            default = kratos.default_of(child)
            if default is not _MISSING:
                obj[key] = copy.deepcopy(default)


def _normalise_durations(obj: JSONObject, schema: JSONObject) -> None:
    kratos = _kratos()
    for key, child in schema.get("properties", {}).items():
        if isinstance(obj.get(key), str) and kratos.is_duration(child):
            obj[key] = normalise_duration(obj[key])


def _durations_as_nanos(obj: JSONObject, schema: JSONObject) -> None:
    kratos = _kratos()
    for key, child in schema.get("properties", {}).items():
        value = obj.get(key)
        if isinstance(value, str) and kratos.is_duration(child):
            nanos = parse_go_duration(value)
            if nanos is not None:
                obj[key] = f"{nanos}ns"


def _describe(error: ValidationError) -> str:
    """``$.json.path: message``; for anyOf/oneOf the most relevant branch error."""
    detail = best_match(error.context) if error.context else error
    detail = detail or error
    return f"{detail.json_path}: {detail.message[:300]}"


def validate_identity_config(config: JSONObject) -> None:
    """Raise ``ApiError(400)`` unless ``config`` validates against the Kratos schema (without
    required ``dsn``) and ``identity.default_schema_id`` names a configured schema.

    Go-formatted durations (``1.5s``, ``500µs``) are accepted although the schema's integer
    pattern rejects them: they are what this server itself stores (choice)."""
    kratos = _kratos()
    candidate = copy.deepcopy(config)
    kratos.visit(candidate, kratos.schema, _durations_as_nanos)
    errors = sorted(kratos.validator.iter_errors(candidate), key=lambda e: e.json_path)
    problems = [_describe(error) for error in errors[:5]]
    if not errors:
        default = _get(config, ("identity", "default_schema_id"))
        ids = [_id_of(s) for s in _get(config, ("identity", "schemas"))]
        if default not in ids:
            problems.append(
                f"$.identity.default_schema_id: {default!r} is not the id of a schema "
                "in identity.schemas"
            )
    if problems:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ApiError(400, "Unable to validate config: " + "; ".join(problems) + more)


# --------------------------------------------------------------------------- request log


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received. ``headers`` keys are lower-case; ``json_body`` is
    the parsed body (None if empty or not JSON); ``status`` is the status code sent."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    json_body: Any
    status: int


#: What a queued fault does to the request it catches:
#: ``status``: answer ``status`` instead (state untouched unless ``process``);
#: ``pass``: answer normally (a placeholder in a status sequence);
#: ``drop``: process, send the first ``after_bytes`` bytes of the real response, close;
#: ``reset``: send nothing and reset the connection (TCP RST);
#: ``delay``: process, then wait ``delay`` seconds before answering;
#: ``hold``: wait, unprocessed, until released (at most ``delay`` seconds), then answer 503.
FaultKind = Literal["status", "pass", "drop", "reset", "delay", "hold"]


@dataclass
class _Fault:
    status: int
    body: JSONObject | None
    headers: Headers
    remaining: int
    methods: tuple[str, ...]
    kind: FaultKind = "status"
    process: bool = False  # handle the request for real (apply a PATCH) before the fault
    after_bytes: int = 0
    delay: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)

    def shape(self, real: _Response | None) -> _Response:
        """The response actually sent, given the real one (None when not processed)."""
        if self.kind == "status":
            if self.status == 429 and self.body is None:
                # ory-network-behaviour.md §6: "Ory sends an empty body with a 429" (TF
                # @0061f2dd ratelimit.go).
                return _Response(429, b"", self.headers, content_type="text/plain")
            payload = self.body if self.body is not None else error_body(self.status)
            return _json_response(self.status, payload, self.headers)
        assert real is not None or self.kind == "reset"
        base = real or _Response(0, b"")
        if self.kind == "drop":
            return replace(base, cut_after=self.after_bytes)
        if self.kind == "reset":
            return replace(base, reset=True)
        if self.kind == "delay":
            return replace(base, delay=self.delay)
        return base


#: Response headers as (name, value) pairs: a name may repeat (one rate-limit bucket each).
Headers = list[tuple[str, str]]


def _pairs(headers: Mapping[str, str] | Headers | None) -> Headers:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    headers: Headers = field(default_factory=list)
    content_type: str = "application/json"
    cut_after: int | None = None  # close the connection after this many response bytes
    reset: bool = False  # reset the connection instead of answering
    delay: float = 0.0  # seconds to wait before answering


def _json_response(
    status: int, payload: Any, headers: Mapping[str, str] | Headers | None = None
) -> _Response:
    return _Response(status, json.dumps(payload).encode(), _pairs(headers))


# --------------------------------------------------------------------------- the server


class OryTestServer:
    """A threaded HTTP server implementing the Ory Network console project API.

    Seeded with the CLI fixture project (``project_id``); see the module docstring."""

    def __init__(
        self,
        *,
        storage_base: str = DEFAULT_STORAGE_BASE,
        local_storage: bool = False,
        read_rules: ReadRules = DEFAULT_READ_RULES,
        drop_unknown: bool = True,
        dropped_paths: tuple[tuple[str, ...], ...] = ory.DEFAULT_DROPPED_PATHS,
        warn_every_write: bool = True,
        rate_meter: RateMeter | None = None,
        stale_reads: int = 0,
        async_schema_rename: bool = True,
    ):
        """Each keyword switches one documented behaviour (ory_behaviour.py):
        ``read_rules`` what GET leaves out; ``drop_unknown`` unknown keys dropped with 200
        (False: 400 as the OSS schema says); ``dropped_paths`` keys Ory drops although the
        OSS schema allows them; ``warn_every_write`` the five fixed warnings on every write
        (False: none); ``rate_meter`` opt-in 429s from per-route buckets; ``stale_reads`` how
        many GETs after a write still show the project as it was; ``async_schema_rename``
        the PATCH response keeps the sent schema id (False: the hash id at once)."""
        self.storage_base = storage_base
        self.local_storage = local_storage
        self.read_rules = read_rules
        self.drop_unknown = drop_unknown
        self.dropped_paths = dropped_paths
        self.warn_every_write = warn_every_write
        self.rate_meter = rate_meter
        self.stale_reads = stale_reads
        self.async_schema_rename = async_schema_rename
        #: Ids of identity schemas that identities use: a write dropping one is a 409.
        self.schemas_in_use: set[str] = set()
        #: Config services Ory Network does not have, added by a test (``add_service``): each
        #: with the keys a read leaves out.
        self.extra_services: dict[str, tuple[tuple[str, ...], ...]] = {}
        # project id -> (the document as it was before the last write, GETs left to show it)
        self._stale: dict[str, tuple[JSONObject, int]] = {}
        self.workspace_key = "ory_wak_test_" + secrets.token_hex(16)
        self.project_key = "ory_pat_test_" + secrets.token_hex(16)
        self.latency = 0.0
        self.storage: dict[str, bytes] = {}
        self._lock = threading.RLock()
        self._projects: dict[str, JSONObject] = {}
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._holding: list[_Fault] = []
        #: Set while a request is held (``hold_next``).
        self.held = threading.Event()
        #: The revision each successfully applied PATCH created, in order (whatever was
        #: answered: a fault may hide the success from the client).
        self.applied_patches: list[str] = []
        #: The identities the project API lists (``add_identities``).
        self.identities: list[JSONObject] = []
        #: Answers the identities list gives instead of a page, first in first out
        #: (``fail_identities_next``).
        self._identity_faults: list[_Response] = []
        #: The base URL its ``Link`` headers name (None: its own), for a server that lies.
        self.identity_link_base: str | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.project_id = self._seed()

    # ------------------------------------------------------------------ lifecycle

    #: Servers started in this process: tests/conftest.py checks that a test which starts one
    #: is marked ``ory_server``.
    starts = 0

    def start(self) -> OryTestServer:
        if self._httpd is not None:
            return self
        OryTestServer.starts += 1
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.ory = self
        if self.local_storage:
            self.storage_base = f"{self.base_url}/storage"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.01,), name="ory-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.release_held()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> OryTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("OryTestServer is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def cli_env(self) -> dict[str, str]:
        """The variables a reconciler process needs to plan against this server."""
        return {"ORY_WORKSPACE_API_KEY": self.workspace_key, "ORY_CONSOLE_API_URL": self.base_url}

    # ------------------------------------------------------------------ projects

    def _seed(self) -> str:
        project = _project_template()
        project["services"]["identity"]["config"] = json.loads(_seed_config(self.storage_base))
        with self._lock:
            self._projects[project["id"]] = project
        return str(project["id"])

    def add_project(self, config: JSONObject | None = None, project_id: str | None = None) -> str:
        """Add a project (new uuid id and revision); ``config`` defaults to the fixture's
        identity config. The config goes through the server pipeline; ValueError if invalid."""
        new_id = project_id or str(uuid.uuid4())
        project = _project_template()
        project.update(
            id=new_id,
            revision_id=str(uuid.uuid4()),
            name=f"Test project {new_id[:8]}",
            slug=f"test-project-{secrets.token_hex(5)}",
        )
        raw = copy.deepcopy(config) if config is not None else fixture_identity_config()
        with self._lock:
            if new_id in self._projects:
                raise ValueError(f"project {new_id} already exists")
            try:
                project["services"]["identity"]["config"] = self._normalise(raw, None)
            except ApiError as exc:
                raise ValueError(exc.reason) from None
            self._projects[new_id] = project
        return new_id

    def add_service(
        self,
        name: str,
        config: JSONObject,
        *,
        withheld: tuple[tuple[str, ...], ...] = (),
        project_id: str | None = None,
    ) -> None:
        """A test control, not an Ory behaviour: a config service Ory Network does not have
        (a service defined only in the tests) at ``services.<name>.config``. It is held like
        the services the real project document carries beside the identity config (the CLI
        fixture's ``services.oauth2.config`` and ``services.permission.config``): a PATCH
        of its paths lands with the rest of the write, in the same revision (ory-api.md §1a
        "PUT vs PATCH semantics": RFC 6902 operations against the whole project document), and
        GET shows it as stored, except ``withheld`` keys, which a read leaves out and a write
        that does not mention them keeps, as Ory does with the SMTP URI (ory-network-behaviour
        .md §2; which keys a real service withholds is that service's)."""
        with self._lock:
            project = self._project(project_id)
            project["services"][name] = {"config": copy.deepcopy(config)}
            self.extra_services[name] = withheld

    def _project(self, project_id: str | None) -> JSONObject:
        try:
            return self._projects[project_id or self.project_id]
        except KeyError:
            raise KeyError(f"no project {project_id!r}") from None

    def revision(self, project_id: str | None = None) -> str:
        with self._lock:
            return str(self._project(project_id)["revision_id"])

    def stored_identity_config(self, project_id: str | None = None) -> JSONObject:
        """The UNREDACTED stored identity config (a deep copy)."""
        return self.stored_service_config("identity", project_id)

    def stored_service_config(self, name: str, project_id: str | None = None) -> JSONObject:
        """The UNREDACTED stored config of service ``name`` (a deep copy)."""
        with self._lock:
            config: JSONObject = self._project(project_id)["services"][name]["config"]
            return copy.deepcopy(config)

    def project_document(self, project_id: str | None = None) -> JSONObject:
        """The project document exactly as ``GET /projects/{id}`` returns it (redacted)."""
        with self._lock:
            return self._public(self._project(project_id))

    def add_console_schema(self, content: JSONObject, schema_id: str = "customer") -> str:
        """A custom identity schema added in the console under a readable id and made the
        default, stored under the SHA-512 of its bytes as Ory stores content
        (ory-network-behaviour.md §4; served with ``local_storage``); returns its URL."""
        raw = json.dumps(content).encode()
        name = f"{hashlib.sha512(raw).hexdigest()}.json"
        self.storage[name] = raw
        url = f"{self.storage_base}/{name}"

        def add(config: JSONObject) -> None:
            config["identity"]["schemas"].append({"id": schema_id, "url": url})
            config["identity"]["default_schema_id"] = schema_id

        self.console_edit(add, normalise=False)
        return url

    def console_edit(
        self,
        change: list[JSONObject] | Callable[[JSONObject], JSONObject | None],
        project_id: str | None = None,
        *,
        normalise: bool = True,
    ) -> str:
        """Simulate an out-of-band edit in the Ory console; returns the new revision.

        ``change`` is either JSON Patch ops against the whole (unredacted) project document,
        or a callable that gets a copy of the unredacted identity config, mutates it and/or
        returns a replacement. With ``normalise`` the result goes through the same
        pipeline as a PATCH except the server-managed-key revert (ValueError if invalid)."""
        with self._lock:
            current = self._project(project_id)
            if callable(change):
                project = copy.deepcopy(current)
                config = project["services"]["identity"]["config"]
                project["services"]["identity"]["config"] = change(config) or config
            else:
                project = jsonpatch.apply_patch(current, change)
            if normalise:
                previous = current["services"]["identity"]["config"]
                config = copy.deepcopy(project["services"]["identity"]["config"])
                try:
                    project["services"]["identity"]["config"] = self._normalise(config, previous)
                except ApiError as exc:
                    raise ValueError(exc.reason) from None
            project["revision_id"] = str(uuid.uuid4())
            self._projects[str(current["id"])] = project
            return str(project["revision_id"])

    def _normalise(self, config: JSONObject, previous: JSONObject | None) -> JSONObject:
        result, _ = self._normalise_renaming(config, previous)
        return result

    def _normalise_renaming(
        self, config: JSONObject, previous: JSONObject | None
    ) -> tuple[JSONObject, dict[str, tuple[Any, Any]]]:
        normaliser = _Normaliser(
            self.storage_base,
            drop_unknown=self.drop_unknown,
            dropped_paths=self.dropped_paths,
            schemas_in_use=frozenset(self.schemas_in_use),
        )
        result = normaliser.run(config, previous)
        self.storage.update(normaliser.files)
        return result, normaliser.renamed

    def _public(self, project: JSONObject) -> JSONObject:
        """The project as a read shows it (ory_behaviour.ReadRules; ``add_service``)."""
        out = copy.deepcopy(project)
        identity = out["services"]["identity"]
        identity["config"] = self.read_rules.view(identity["config"])
        for name, withheld in self.extra_services.items():
            config = _get(out, ("services", name, "config"))
            for path in withheld:
                ory.delete(config, path)
        for name in ory.SERVICE_WITHHELD:
            ory.withhold(name, _get(out, ("services", name, "config")))
        return out

    # ------------------------------------------------------------------ test helpers

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in order."""
        with self._lock:
            return list(self._requests)

    def writes(self) -> list[RecordedRequest]:
        """Recorded non-GET requests to ``/projects...``."""
        return [r for r in self.requests if r.method != "GET" and r.path.startswith("/projects")]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def fail_next(
        self,
        status: int,
        body: JSONObject | None = None,
        headers: Mapping[str, str] | Headers | None = None,
        times: int = 1,
        methods: tuple[str, ...] = ("GET", "PATCH"),
    ) -> None:
        """Answer the next ``times`` ``/projects`` requests whose method is in ``methods``
        with ``status`` (body defaults to a herodot error; a 429's to empty, as Ory sends
        it), before auth and without touching state. Faults are consumed in order."""
        self._queue(_Fault(status, body, _pairs(headers), times, _upper(methods)))

    def rate_limit_next(self, times: int = 1, methods: tuple[str, ...] = ("GET", "PATCH")) -> None:
        """Answer the next matching requests with Ory's most common 429 (§6): empty body,
        ``x-ratelimit-reset: 0`` from the burst bucket, one header line per bucket."""
        self.fail_next(429, headers=ory.rate_limit_headers(), times=times, methods=methods)

    def fail_after_apply(
        self, status: int = 500, times: int = 1, methods: tuple[str, ...] = ("PATCH",)
    ) -> None:
        """Handle the next matching requests for real (a PATCH is applied and the revision
        moves), then answer ``status`` with a herodot error instead of the real answer."""
        self._queue(_Fault(status, None, [], times, _upper(methods), process=True))

    def drop_next(
        self, after_bytes: int = 0, times: int = 1, methods: tuple[str, ...] = ("GET", "PATCH")
    ) -> None:
        """Handle the next matching requests for real (a PATCH is applied), send only the
        first ``after_bytes`` bytes of the HTTP response (status line and headers
        included), then close the connection."""
        fault = _Fault(0, None, [], times, _upper(methods), kind="drop", process=True)
        fault.after_bytes = after_bytes
        self._queue(fault)

    def reset_next(
        self,
        times: int = 1,
        methods: tuple[str, ...] = ("GET", "PATCH"),
        *,
        apply_first: bool = False,
    ) -> None:
        """Reset the connection (TCP RST) of the next matching requests without answering;
        with ``apply_first`` the request is handled for real first (a PATCH is applied)."""
        self._queue(_Fault(0, None, [], times, _upper(methods), kind="reset", process=apply_first))

    def delay_next(
        self, seconds: float, times: int = 1, methods: tuple[str, ...] = ("GET", "PATCH")
    ) -> None:
        """Handle the next matching requests for real, then wait ``seconds`` before
        answering (a client with a shorter timeout gives up; a PATCH is applied anyway)."""
        fault = _Fault(0, None, [], times, _upper(methods), kind="delay", process=True)
        fault.delay = seconds
        self._queue(fault)

    def hold_next(self, seconds: float = 30.0, methods: tuple[str, ...] = ("PATCH",)) -> None:
        """Hold the next matching request unprocessed until ``release_held`` (or ``seconds``
        pass), then answer 503 without touching state; ``held`` is set while it waits. A
        test control, not an Ory behaviour: a write that reached the server and had not
        landed when the client was interrupted."""
        fault = _Fault(0, None, [], 1, _upper(methods), kind="hold")
        fault.delay = seconds
        self._queue(fault)

    def release_held(self) -> None:
        with self._lock:
            holding = list(self._holding)
        for fault in holding:
            fault.release.set()

    def status_sequence(
        self,
        statuses: Sequence[int | None],
        methods: tuple[str, ...] = ("GET", "PATCH"),
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next matching requests with these statuses in order; ``None`` means
        "answer normally" (e.g. ``[503, 429, None]``: two failures, then the real answer)."""
        for status in statuses:
            if status is None:
                self._queue(_Fault(0, None, [], 1, _upper(methods), kind="pass", process=True))
            else:
                self._queue(_Fault(status, None, _pairs(headers), 1, _upper(methods)))

    def _queue(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    # ------------------------------------------------------------------ HTTP dispatch

    def _dispatch(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, query: str = ""
    ) -> _Response:
        """Answer one request (called by the HTTP handler thread)."""
        if path.startswith("/storage/"):
            return self._serve_storage(unquote(path.removeprefix("/storage/")))
        metered: Headers = []
        if self.rate_meter is not None:
            # One set of buckets per route and credential, whichever process or connection
            # sends: §6 "Ory meters each route" (TF ratelimit.go), per key or per address
            # (the console API "is rate-limited per IP (inferred)"); every client of this
            # server shares one address, so the jobs of a CI matrix behind one workspace key
            # share one set of buckets here as they do on Ory Network.
            credential = hashlib.sha256(headers.get("authorization", "").encode()).hexdigest()
            allowed, metered = self.rate_meter.take(f"{credential[:16]} {method} {_route_of(path)}")
            if not allowed:
                return _Response(429, b"", metered, content_type="text/plain")  # §6
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "hold":
            return self._hold(fault)
        if fault is None:
            response = self._answer(method, path, headers, body, query)
        else:
            real = self._answer(method, path, headers, body, query) if fault.process else None
            response = fault.shape(real)
        return replace(response, headers=[*response.headers, *metered])

    def _answer(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, query: str = ""
    ) -> _Response:
        try:
            if path == IDENTITIES_PATH:
                return self._list_identities(method, headers, query)
            self._authorize(headers)
            return self._route(method, path, body)
        except ApiError as exc:
            payload = error_body(exc.status, exc.message, exc.reason, exc.error_id)
            return _json_response(exc.status, payload)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _hold(self, fault: _Fault) -> _Response:
        with self._lock:
            self._holding.append(fault)
        self.held.set()
        fault.release.wait(fault.delay)
        return _json_response(503, error_body(503))

    def _serve_storage(self, name: str) -> _Response:
        with self._lock:
            data = self.storage.get(name)
        if data is None:
            return _json_response(404, error_body(404, reason=f"No stored file {name!r}."))
        kind = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
        return _Response(200, data, content_type=kind)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if method in fault.methods:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _authorize(self, headers: Mapping[str, str]) -> None:
        scheme, _, key = headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() == "bearer" and key.startswith(("ory_pat_", "ory_apikey_")):
            raise ApiError(
                403,
                "Project API keys cannot read or change project configuration; "
                "use a workspace API key (ory_wak_...).",
            )
        if scheme.lower() != "bearer" or not key:
            raise ApiError(401, "The Authorization header is missing or not a Bearer token.")
        if not secrets.compare_digest(key, self.workspace_key):
            raise ApiError(401, "The workspace API key is unknown, expired or revoked.")

    def _route(self, method: str, path: str, body: bytes) -> _Response:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) == 2 and parts[0] == "projects":
            if method == "GET":
                return self._get(parts[1])
            if method == "PATCH":
                return self._patch(parts[1], None, body)
            raise ApiError(405, f"{method} is not supported on {path}.")
        if len(parts) == 4 and parts[0] == "projects" and parts[2] == "revision":
            if method == "PATCH":
                return self._patch(parts[1], parts[3], body)
            raise ApiError(405, f"{method} is not supported on {path}.")
        raise ApiError(404, f"No route for {method} {path}.")

    # ------------------------------------------------------------------ the project API

    def add_identities(self, identities: Sequence[JSONObject]) -> None:
        """Store identities the project API lists (``generated_identities`` makes some)."""
        with self._lock:
            self.identities.extend(copy.deepcopy(list(identities)))

    def fail_identities_next(
        self,
        status: int,
        headers: Mapping[str, str] | Headers | None = None,
        times: int = 1,
        body: bytes | None = None,
    ) -> None:
        """Answer the next ``times`` identity lists with ``status`` (a 429: empty body and
        Ory's rate-limit headers unless given, ory-network-behaviour.md §6; a 3xx: no body)."""
        if headers is None and status == 429:
            headers = ory.rate_limit_headers()
        payload = body if body is not None else b"" if status in (429, 307) else None
        content = payload if payload is not None else json.dumps(error_body(status)).encode()
        with self._lock:
            self._identity_faults.extend([_Response(status, content, _pairs(headers))] * times)

    def _list_identities(self, method: str, headers: Mapping[str, str], query: str) -> _Response:
        """``GET /admin/identities`` of the project API (spec v1.22.65 ``listIdentities``):
        the project API key as Bearer (401 otherwise, herodot's body); ``page_size`` 1-500,
        default 250 (400 outside, as the spec's minimum/maximum); ``page_token`` opaque; the
        next page named in the ``Link`` header with ``rel="next"`` and the first with
        ``rel="first"``, absent on the last page (spec: "Following page pointers will be
        returned in the Link header"; Kratos ``identity/handler.go`` list ->
        ``keysetpagination.Header``). The token is the last listed identity's id (choice)."""
        with self._lock:
            if self._identity_faults:
                return self._identity_faults.pop(0)
        if method != "GET":
            raise ApiError(405, f"{method} is not supported on {IDENTITIES_PATH}.")
        scheme, _, key = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            key.strip().encode(), self.project_key.encode()
        ):
            raise ApiError(401, "The request could not be authorized.")
        params = parse_qs(query)
        size = _page_size(params.get("page_size", ["250"])[0])
        token = params.get("page_token", [""])[0]
        with self._lock:
            listed = sorted(self.identities, key=lambda i: str(i["id"]))
        start = 0
        if token:
            start = next((n + 1 for n, i in enumerate(listed) if i["id"] == token), -1)
            if start < 0:
                raise ApiError(400, "The page token is invalid.")
        page = listed[start : start + size]
        base = f"{self.identity_link_base or self.base_url}{IDENTITIES_PATH}"
        links = [f'<{base}?{urlencode({"page_size": size})}>; rel="first"']
        if start + size < len(listed):
            after = {"page_size": size, "page_token": page[-1]["id"]}
            links.append(f'<{base}?{urlencode(after)}>; rel="next"')
        return _json_response(200, page, [("Link", ",".join(links))])

    def _existing(self, project_id: str) -> JSONObject:
        project = self._projects.get(project_id)
        if project is None:
            raise ApiError(404, f"Project {project_id} does not exist or you lack access to it.")
        return project

    def _get(self, project_id: str) -> _Response:
        with self._lock:
            current = self._existing(project_id)
            stale, left = self._stale.get(project_id, (current, 0))
            if left > 0:
                # ory-network-behaviour.md §4/§8.1 item 11: "GetProject called right after a
                # patch can return a stale revision" (TF @8ffe465b emailtemplate Read).
                self._stale[project_id] = (stale, left - 1)
                return _json_response(200, self._public(stale))
            return _json_response(200, self._public(current))

    def _patch(self, project_id: str, revision_id: str | None, body: bytes) -> _Response:
        with self._lock:
            current = self._existing(project_id)
            if revision_id is not None and revision_id != current["revision_id"]:
                # §1.1: the spec documents a 409 errorGeneric on the revision endpoint; its
                # message and reason are unpublished (choice); the spec's errorGeneric ``id``
                # enum has no value for it, so other 409s differ in message and reason only.
                raise ApiError(
                    409,
                    f"Revision {revision_id} is not the current revision "
                    f"({current['revision_id']}); fetch the project and patch again.",
                    message="The revision this patch was generated for is stale: the project "
                    "configuration has changed since",
                )
            project, renamed = self._apply(current, _parse_ops(body))
            project["revision_id"] = str(uuid.uuid4())
            self._projects[project_id] = project
            if self.stale_reads:
                self._stale[project_id] = (current, self.stale_reads)
            self.applied_patches.append(project["revision_id"])
            shown = self._public(project)
            if self.async_schema_rename:
                _before_renaming(shown["services"]["identity"]["config"], renamed)
            # §3: the same five warnings on every write, whatever it touched (ory/cli#179).
            warnings = list(ory.IGNORED_KEY_WARNINGS) if self.warn_every_write else []
            return _json_response(200, {"project": shown, "warnings": warnings})

    def _apply(
        self, current: JSONObject, ops: list[Any]
    ) -> tuple[JSONObject, dict[str, tuple[Any, Any]]]:
        """Apply client ops to the document the client sees, then the pipeline."""
        try:
            project = ory.apply_patch(self._public(current), ops)
        except PatchError as exc:
            raise ApiError(400, f"Unable to apply JSON Patch: {exc}") from None
        for key in READ_ONLY_PROJECT_FIELDS:
            project[key] = current[key]
        config = _get(project, ("services", "identity", "config"))
        if not isinstance(config, dict):
            raise ApiError(400, "`services.identity.config` must be a JSON object.")
        previous = current["services"]["identity"]["config"]
        ory.keep_withheld(config, previous, self.read_rules)
        self._keep_extra_withheld(project, current)
        self._other_services(project, current)
        ory.revert_server_managed(config, previous)
        normalised, renamed = self._normalise_renaming(config, previous)
        project["services"]["identity"]["config"] = normalised
        return project, renamed

    def _other_services(self, project: JSONObject, current: JSONObject) -> None:
        """What Ory does with the OAuth2 and permission configs on a write (ory_behaviour:
        ``SERVICE_WITHHELD``)."""
        for name in ("oauth2", "permission"):
            config = _get(project, ("services", name, "config"))
            if not isinstance(config, dict):
                raise ApiError(400, f"`services.{name}.config` must be a JSON object.")
            previous = _get(current, ("services", name, "config"))
            ory.keep_service_withheld(name, config, previous if isinstance(previous, dict) else {})
            self._store_service(name, config)

    def _store_service(self, name: str, config: JSONObject) -> None:
        """A service's config as Ory stores it: Hydra's durations as Go writes them
        (``duration_paths``), an Ory Permission Language file content-addressed
        (``OPL_LOCATION``)."""
        if name == "oauth2":
            for path in _hydra_durations():
                value = _get(config, path)
                if isinstance(value, str):
                    ory.put(config, path, normalise_duration(value))
        location = _get(config, ory.OPL_LOCATION) if name == "permission" else None
        if isinstance(location, str) and location.startswith("base64://"):
            normaliser = _Normaliser(self.storage_base)
            data = normaliser._decode(location, "namespaces.location")
            ory.put(config, ory.OPL_LOCATION, normaliser.store(data, "txt"))
            self.storage.update(normaliser.files)

    def seed_service(self, name: str, config: JSONObject, project_id: str | None = None) -> None:
        """A test control: the project holds ``config`` as service ``name``'s, as a write of
        it would have left it stored (``_store_service``); ValueError if Ory would refuse it."""
        stored = copy.deepcopy(config)
        with self._lock:
            project = self._project(project_id)
            try:
                self._store_service(name, stored)
            except ApiError as exc:
                raise ValueError(exc.reason) from None
            project["services"][name] = {"config": stored}

    def _keep_extra_withheld(self, project: JSONObject, current: JSONObject) -> None:
        """``add_service``: a withheld key the write did not mention keeps its stored value."""
        for name, withheld in self.extra_services.items():
            config = _get(project, ("services", name, "config"))
            previous = _get(current, ("services", name, "config"))
            for path in withheld:
                old = _get(previous, path)
                if old is not _MISSING and _get(config, path) is _MISSING:
                    parent = _get(config, path[:-1])
                    if isinstance(parent, dict):
                        parent[path[-1]] = old


def _before_renaming(config: JSONObject, renamed: dict[str, tuple[Any, Any]]) -> None:
    """§4: "The Ory API initially stores the schema with the user-provided schema_id, then
    asynchronously transforms it to a hash-based ID"; the PATCH response "may contain the
    user-provided schema_id" (TF @0809792d identityschema/resource.go). So the response shows
    the ids and urls this write sent; the next GET shows the hash ids."""
    identity = config.get("identity")
    if not renamed or not isinstance(identity, dict):
        return
    for schema in identity.get("schemas") or []:
        if isinstance(schema, dict) and schema.get("id") in renamed:
            schema["id"], schema["url"] = renamed[str(schema["id"])]
    default = identity.get("default_schema_id")
    if default in renamed:
        identity["default_schema_id"] = renamed[str(default)][0]


def _page_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 1 <= size <= 500:
        raise ApiError(400, "page_size must be between 1 and 500.")
    return size


def generated_identities(
    schema_counts: Mapping[str, int],
    *,
    totp_every: int = 0,
    code_schemas: Sequence[str] = (),
    traits: Callable[[str, int], JSONObject] | None = None,
) -> list[JSONObject]:
    """Identities shaped as the spec's ``identity`` (``schema_id``, ``traits``,
    ``credentials`` by type with ``identifiers`` and no ``config``, as the list returns them,
    Kratos ``identity/handler.go`` list): ``schema_counts`` of each schema id, each with a
    password credential; those of ``code_schemas`` with an ``email`` trait and a ``code``
    credential on it, the others with a ``username``; every ``totp_every``-th with TOTP."""
    made: list[JSONObject] = []
    for schema_id, number in schema_counts.items():
        for index in range(number):
            identity_id = str(uuid.uuid4())
            coded = schema_id in code_schemas
            name = f"user{index}@example.com" if coded else f"user{index}"
            credentials: JSONObject = {
                "password": {"type": "password", "identifiers": [name], "version": 0},
            }
            if coded:
                credentials["code"] = {"type": "code", "identifiers": [name], "version": 1}
            if totp_every and index % totp_every == 0:
                credentials["totp"] = {"type": "totp", "identifiers": [identity_id]}
            default = {"email": name} if coded else {"username": name}
            made.append(
                {
                    "id": identity_id,
                    "schema_id": schema_id,
                    "state": "active",
                    "traits": traits(schema_id, index) if traits else default,
                    "credentials": credentials,
                }
            )
    return made


def _route_of(path: str) -> str:
    """``/projects/{id}/revision/{rev}`` -> ``/projects/*/revision/*``: one bucket per route."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(p if i % 2 == 0 else "*" for i, p in enumerate(parts))


def _upper(methods: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(m.upper() for m in methods)


def _parse_ops(body: bytes) -> list[Any]:
    try:
        ops = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise ApiError(400, "The request body must be a JSON array of JSON Patch operations.")
    return ops


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Ory's API is Go's net/http, whose listener takes the kernel's backlog (somaxconn, 4096
    # on current Linux; go/src/net/sock_linux.go maxListenerBacklog); socketserver's default
    # of 5 drops the SYNs of a burst of new connections, which the client then resends a
    # second later (plan --all opens one per environment at once).
    request_queue_size = 1024
    ory: OryTestServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _handle(self) -> None:
        ory = self.server.ory
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        path, _, query = self.path.partition("?")
        try:
            response = ory._dispatch(self.command, path, headers, body, query)
        except Exception as exc:  # a bug in this server: answer 500 rather than hang
            response = _json_response(500, error_body(500, reason=repr(exc)))
        try:
            parsed: Any = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            parsed = None
        ory._record(
            RecordedRequest(self.command, path, query, headers, body, parsed, response.status)
        )
        if response.reset:
            self._reset_connection()
            return
        if ory.latency + response.delay > 0:
            time.sleep(ory.latency + response.delay)
        try:
            self._send(response)
        except OSError:  # the client gave up waiting (timeout test): nobody to answer
            self.close_connection = True

    def _send(self, response: _Response) -> None:
        head = [f"{self.protocol_version} {response.status} {HTTPStatus(response.status).phrase}"]
        head += [f"Server: {self.version_string()}", f"Date: {self.date_time_string()}"]
        head += [f"Content-Type: {response.content_type}"]
        head += [f"Content-Length: {len(response.body)}"]
        head += [f"{name}: {value}" for name, value in response.headers]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body
        if response.cut_after is None:
            self.wfile.write(raw)
            return
        self.wfile.write(raw[: response.cut_after])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0: the kernel sends RST, the client sees "connection reset"."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


@pytest.fixture(name="ory_server")
def ory_server() -> Iterator[OryTestServer]:
    """A started ``OryTestServer`` seeded with the fixture project; stopped afterwards."""
    with OryTestServer() as server:
        yield server
