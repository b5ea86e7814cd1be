"""What Ory Network does to a project config, beyond plain storage, for ``ory_server.py``.

Every behaviour cites ``shared/docs/ory-network-behaviour.md`` (section) and the source that
section cites. ``OryTestServer`` turns each on or off with a constructor switch.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

JSONObject = dict[str, Any]
_MISSING: Final = object()


# --------------------------------------------------------------------------- JSON Patch


class PatchError(ValueError):
    """A JSON Patch the server refuses (answered 400)."""


#: §1.2: Ory's shared patch helper accepts only these (X ``jsonx/patch.go:17-27``,
#: ``opAllowList``; ``test`` removed in X 291c96e, #572); anything else is
#: ``unsupported operation: <op>``.
ALLOWED_OPS: Final = frozenset({"add", "remove", "replace"})


def apply_patch(document: JSONObject, ops: list[Any]) -> JSONObject:
    """Apply ``ops`` to a copy of ``document`` the way X ``jsonx.ApplyJSONPatch`` does (§1.2):
    ``replace`` on a missing object member adds it (X ``patch.go:75-79``, 8213fdb #697), and
    ``add`` creates missing parent objects (``EnsurePathExistsOnAdd = true``, ``:88``,
    f870e03 #692). Raises PatchError."""
    result = copy.deepcopy(document)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError("every operation must be a JSON object")
        name, path = op.get("op"), op.get("path")
        if name not in ALLOWED_OPS:
            raise PatchError(f"unsupported operation: {name}")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise PatchError(f"invalid path {path!r}")
        if name != "remove" and "value" not in op:
            raise PatchError(f"{name} {path}: missing value")
        _apply_one(result, str(name), _tokens(path), op.get("value"))
    return result


def _tokens(path: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]] if path else []


def _apply_one(document: JSONObject, name: str, tokens: list[str], value: Any) -> None:
    if not tokens:
        raise PatchError("the whole document cannot be replaced")
    parent = _walk(document, tokens[:-1], create=name != "remove")
    key = tokens[-1]
    if isinstance(parent, list):
        _apply_in_list(parent, name, key, value)
    elif isinstance(parent, dict):
        if name == "remove":
            if key not in parent:
                raise PatchError(f"remove: /{'/'.join(tokens)} does not exist")
            del parent[key]
        else:  # add, and replace of a missing member (which X turns into add)
            parent[key] = copy.deepcopy(value)
    else:
        raise PatchError(f"/{'/'.join(tokens[:-1])} is not a container")


def _walk(document: Any, tokens: list[str], *, create: bool) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                if not create:
                    raise PatchError(f"path segment {token!r} does not exist")
                node[token] = {}
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PatchError(f"path segment {token!r} does not exist")
    return node


def _apply_in_list(items: list[Any], name: str, key: str, value: Any) -> None:
    if key == "-" and name == "add":
        items.append(copy.deepcopy(value))
        return
    if not key.isdigit():
        raise PatchError(f"invalid array index {key!r}")
    index = int(key)
    limit = len(items) if name == "add" else len(items) - 1
    if index > limit:
        raise PatchError(f"array index {index} out of range")
    if name == "add":
        items.insert(index, copy.deepcopy(value))
    elif name == "remove":
        del items[index]
    else:
        items[index] = copy.deepcopy(value)


# --------------------------------------------------------------------------- reads


#: §2: "the SMTP connection URI is already absent from project-config responses"
#: (terraform-provider-ory PR #269); §5: ``courier.smtp.*`` is only reported once
#: ``connection_uri`` is set (TF docs ``project_config.md`` @03e938ef).
SMTP: Final = ("courier", "smtp")
SMTP_URI: Final = ("courier", "smtp", "connection_uri")

#: §5: accepted but never returned (TF docs ``project_config.md`` @03e938ef); §2: the
#: Turnstile secret is "write only and the value will not be returned" (SPEC 1818, 1826).
NEVER_RETURNED: Final[tuple[tuple[str, ...], ...]] = (
    ("session", "earliest_possible_extend"),
    ("selfservice", "methods", "webauthn", "config", "rp", "icon"),
    ("selfservice", "methods", "captcha", "config", "byo"),
    ("selfservice", "methods", "captcha", "config", "cf_turnstile", "secret"),
)

#: §2: OIDC ``client_secret`` is "returned in full" (PR #269, 2026-06-24); issue #279 says
#: secrets "come back masked or empty". ``apple_private_key`` is unverified: same treatment.
OIDC_SECRET_KEYS: Final = ("client_secret", "apple_private_key")

#: Everything else is returned as stored, ``${VAR}``-sourced values included: §2 lists what
#: Ory withholds, and a web hook's ``url`` is not among them. A web hook's
#: ``auth.config.value`` "may not" be returned (TF ``action/resource.go``, §2); here it is, as
#: stored, which is the case where a console edit of it can be seen (reconciler treats its
#: absence as unknown either way: ``secrets.is_withheld``).


@dataclass(frozen=True)
class ReadRules:
    """How GET (and the PATCH response) shows a stored identity config."""

    hide_smtp_uri: bool = True  # §2 (PR #269); False: returned as stored
    hide_never_returned: bool = True  # §5; False: returned as stored
    oidc_secrets_returned: bool = True  # §2 (PR #269); False: left out (issue #279)

    def view(self, config: JSONObject) -> JSONObject:
        out = copy.deepcopy(config)
        if self.hide_smtp_uri:
            smtp = get(out, SMTP)
            if isinstance(smtp, dict) and smtp.pop("connection_uri", None) in (None, ""):
                out["courier"].pop("smtp")  # conditional reporting (§5)
        if self.hide_never_returned:
            for path in NEVER_RETURNED:
                delete(out, path)
        if not self.oidc_secrets_returned:
            for provider in oidc_providers(out):
                for key in OIDC_SECRET_KEYS:
                    provider.pop(key, None)
        return out


def oidc_providers(config: Any) -> list[JSONObject]:
    providers = get(config, ("selfservice", "methods", "oidc", "config", "providers"))
    return [p for p in providers if isinstance(p, dict)] if isinstance(providers, list) else []


# --------------------------------------------------------------------------- writes


#: §3: the only server-managed identity keys (ory/cli#179); ``serve`` as a whole.
SERVER_MANAGED_KEYS: Final[tuple[tuple[str, ...], ...]] = (
    ("serve",),
    ("cookies", "path"),
    ("cookies", "domain"),
    ("session", "cookie", "domain"),
    ("session", "cookie", "name"),
)

#: §3: the warnings ory/cli#179 shows after a write that touched none of these keys (the
#: server re-imports the whole stored config on every write, inferred there). ``code`` is
#: unpublished (CLI and TF never read it): 0 here (choice).
IGNORED_KEY_WARNINGS: Final = tuple(
    {"code": 0, "message": f"Configuration key `{key}` can not be set and will be ignored."}
    for key in (
        "serve.*",
        "cookies.path",
        "cookies.domain",
        "session.cookie.domain",
        "session.cookie.name",
    )
)

#: §3 and §7 #9: unsupported flow/method pairs are silently discarded: "`login.after.profile`
#: returns HTTP 200 and the key is dropped" (terraform-provider-ory PR #330, issues #241 and
#: #328). The same PR verified that "`settings.after.profile` accepts and persists a
#: `web_hook`", and real Network documents return it (the ``ory-network`` corpus entries).
DEFAULT_DROPPED_PATHS: Final = (("selfservice", "flows", "login", "after", "profile"),)


def revert_server_managed(config: JSONObject, previous: JSONObject) -> None:
    """Writes to server-managed keys are ignored: the stored values stay (§3)."""
    for path in SERVER_MANAGED_KEYS:
        old = get(previous, path)
        if old is _MISSING:
            delete(config, path)
        else:
            put(config, path, old)


def keep_withheld(config: JSONObject, previous: JSONObject, rules: ReadRules) -> None:
    """A write is made against what GET showed: keys GET left out were not in it, and a write
    that does not mention them keeps them (§2: "An empty value does not clear the salt: the
    API keeps the stored one", TF docs; what Ory does otherwise is unverified)."""
    shown = rules.view(previous)
    withheld: list[tuple[str, ...]] = (
        [SMTP, *NEVER_RETURNED] if rules.hide_never_returned else [SMTP]
    )
    if rules.hide_smtp_uri:
        withheld.append(SMTP_URI)
    for path in withheld:
        _keep(config, path, get(previous, path), hidden=get(shown, path) is _MISSING)
    if not rules.oidc_secrets_returned:
        by_id = {p.get("id"): p for p in oidc_providers(previous)}
        for provider in oidc_providers(config):
            old_provider = by_id.get(provider.get("id"), {})
            for key in OIDC_SECRET_KEYS:
                if key not in provider and key in old_provider:
                    provider[key] = old_provider[key]


def _keep(config: JSONObject, path: tuple[str, ...], old: Any, *, hidden: bool) -> None:
    if old is _MISSING or not hidden:
        return
    sent = get(config, path)
    if sent is _MISSING and get(config, path[:-1]) is not _MISSING:
        put(config, path, old)
    elif isinstance(sent, dict) and isinstance(old, dict):
        for key, value in old.items():  # e.g. a URI added to a hidden smtp section
            sent.setdefault(key, copy.deepcopy(value))


# --------------------------------------------------------------------------- Network-only keys


def _obj(properties: JSONObject) -> JSONObject:
    return {"type": "object", "additionalProperties": False, "properties": properties}


_BOOL: Final = {"type": "boolean"}
_STRINGS: Final = {"type": "array", "items": {"type": "string"}}

#: §5: identity-config keys SPEC ``normalizedProjectRevision`` governs that the OSS Kratos
#: schema lacks (``kratos_selfservice_methods_captcha_*``, ``…_saml_*``, ``…_deviceauthn_*``,
#: ``…_oidc_enable_auto_link_policy``, ``…_code_passwordless_login_fallback_enabled``; the
#: two feature flags from the TF docs). Added to the schema the server validates against.
#: Also what real Network documents return (``ory get identity-config`` / ``ory get project``
#: output: the support case and the ``ory-network`` entries of tests/fixtures/corpus, their
#: sources in its SOURCES.md): ``captcha.config.provider`` (``cf-turnstile``) and
#: ``saml.config.providers``. A SAML provider holds what the terraform provider sends as one
#: (TF @fec05332 ``internal/resources/samlprovider/resource.go``, ``buildProviderConfig``:
#: id, label, mapper_url, raw_idp_metadata_xml, organization_id, audience_override_base_url,
#: proxy_saml_audience_override); what Ory does with other keys there is unverified, so the
#: provider object is left open (kept as sent).
NETWORK_ONLY_METHODS: Final[JSONObject] = {
    "captcha": _obj(
        {
            "enabled": _BOOL,
            "config": _obj(
                {
                    "allowed_domains": _STRINGS,
                    "byo": _BOOL,
                    "legacy_inject_node": _BOOL,
                    "provider": {"type": "string"},
                    "cf_turnstile": _obj(
                        {"secret": {"type": "string"}, "sitekey": {"type": "string"}}
                    ),
                }
            ),
        }
    ),
    "saml": _obj(
        {
            "enabled": _BOOL,
            "config": _obj(
                {"providers": {"type": "array", "items": {"type": "object", "required": ["id"]}}}
            ),
        }
    ),
    "deviceauthn": _obj(
        {
            "enabled": _BOOL,
            "config": _obj(
                {
                    "android_app_ids": _STRINGS,
                    "ios_app_ids": _STRINGS,
                    "first_factor": _BOOL,
                    "ios_biometric_first_factor": _BOOL,
                    "insecure_allow_relaxed_attestation": _BOOL,
                    "pin_max_attempts": {"type": "integer"},
                }
            ),
        }
    ),
}
NETWORK_ONLY_FLAGS: Final = ("enforce_identity_schema_guards", "webhook_response_directives")

#: Real Network documents return a ``saml`` hook container next to ``oidc`` in the ``after``
#: of these flows (every ``ory-network`` corpus entry since 2025, the support case too):
#: the definition each flow's ``after`` refers to, in the Kratos schema.
SAML_HOOK_FLOWS: Final = (
    "selfServiceAfterLogin",
    "selfServiceAfterRegistration",
    "selfServiceAfterSettings",
)


def add_network_only_keys(schema: JSONObject) -> None:
    """Extend the OSS Kratos config schema with the Network-only keys (§5), in place."""
    methods = schema["properties"]["selfservice"]["properties"]["methods"]["properties"]
    methods.update(copy.deepcopy(NETWORK_ONLY_METHODS))
    for method, key in (
        ("oidc", "enable_auto_link_policy"),
        ("code", "passwordless_login_fallback_enabled"),
    ):
        methods[method].setdefault("properties", {})[key] = dict(_BOOL)
    flags = schema["properties"].setdefault("feature_flags", {"type": "object", "properties": {}})
    for flag in NETWORK_ONLY_FLAGS:
        flags.setdefault("properties", {})[flag] = dict(_BOOL)
    for definition in SAML_HOOK_FLOWS:
        after = schema["definitions"][definition]["properties"]
        after["saml"] = copy.deepcopy(after["oidc"])


def drop_unknown_keys(
    obj: JSONObject, subschema: JSONObject, dropped: list[str] | None = None
) -> None:
    """Remove keys a closed (``additionalProperties: false``) schema object does not name.
    §3/§5: unknown or misplaced keys are accepted with 200 and dropped (TF #241, PR #330; the
    config maps onto typed columns and keys without one are lost, inferred in §5)."""
    if subschema.get("additionalProperties") is not False:
        return
    import re

    named = subschema.get("properties", {})
    patterns = list(subschema.get("patternProperties", {}))
    for key in list(obj):
        if key not in named and not any(re.search(p, key) for p in patterns):
            del obj[key]
            if dropped is not None:
                dropped.append(key)


# --------------------------------------------------------------------------- rate limits


@dataclass
class _Bucket:
    limit: int
    window: float
    started: float = -math.inf
    used: int = 0

    def roll(self, now: float) -> None:
        if now - self.started >= self.window:
            self.started, self.used = now, 0

    def reset_in(self, now: float) -> int:
        # Whole seconds left beyond the current one: the burst bucket reports 0 (§6, TF
        # ratelimit.go: "reports x-ratelimit-reset: 0 on the sub-second buckets").
        return max(0, math.ceil(self.started + self.window - now) - 1)


@dataclass
class RateMeter:
    """§6: "Ory meters each route with a one-second burst bucket and a sixty-second sustained
    bucket" (TF @0061f2dd ``ratelimit.go``; limits as in the docs' example header ``10, 10;w=1,
    300;w=60``). Bounded: two counters per route, whatever the traffic. ``clock`` is
    injectable so a test can let time pass without sleeping. Only requests let through are
    counted: whether Ory counts refusals is not documented (§6); token buckets do not."""

    burst: int = 10
    sustained: int = 300
    clock: Callable[[], float] = time.monotonic
    _routes: dict[str, tuple[_Bucket, _Bucket]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, route: str) -> tuple[bool, list[tuple[str, str]]]:
        """Count one request on ``route``: whether it may pass, and the headers to send (one
        value per bucket, each bucket its own header line, §6)."""
        with self._lock:
            if route not in self._routes and len(self._routes) < 64:
                self._routes[route] = (_Bucket(self.burst, 1.0), _Bucket(self.sustained, 60.0))
            buckets = self._routes.get(route) or (
                _Bucket(self.burst, 1.0),
                _Bucket(self.sustained, 60.0),
            )
            now = self.clock()
            for bucket in buckets:
                bucket.roll(now)
            allowed = all(b.used < b.limit for b in buckets)
            if allowed:
                for bucket in buckets:
                    bucket.used += 1
            headers = [
                ("x-ratelimit-limit", f"{self.burst}, {self.burst};w=1, {self.sustained};w=60")
            ]
            headers += [("x-ratelimit-remaining", str(b.limit - b.used)) for b in buckets]
            headers += [("x-ratelimit-reset", str(b.reset_in(now))) for b in buckets]
            return allowed, headers


def rate_limit_headers(reset: str = "0") -> list[tuple[str, str]]:
    """The headers of a 429 from the burst bucket (§6): reset 0, multi-bucket values."""
    return [
        ("x-ratelimit-limit", "10, 10;w=1, 300;w=60"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-remaining", "290"),
        ("x-ratelimit-reset", reset),
        ("x-ratelimit-reset", "0"),
    ]


# --------------------------------------------------------------------------- dict paths


def get(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return _MISSING
        doc = doc[key]
    return doc


def put(doc: JSONObject, path: tuple[str, ...], value: Any) -> None:
    """Set ``path``, creating parent objects; gives up where a parent is not an object."""
    for key in path[:-1]:
        child = doc.setdefault(key, {})
        if not isinstance(child, dict):
            return
        doc = child
    doc[path[-1]] = copy.deepcopy(value)


def delete(doc: Any, path: tuple[str, ...]) -> None:
    parent = get(doc, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


MISSING: Final = _MISSING

#: What reads show unless a test asks for another rule set.
DEFAULT_READ_RULES: Final = ReadRules()


# --------------------------------------------------------------------------- the other services

#: What a read leaves out of each config service beside the identity config, and a write that
#: does not mention keeps (issue 24). The GET of a real project (the CLI fixture,
#: ory/cli cmd/cloudx/project/fixtures/update/json/config.json) holds no ``secrets`` in
#: ``services.oauth2.config`` nor in ``services.permission.config``, although the spec's
#: columns say both services have them (``hydra_secrets_system``, ``hydra_secrets_cookie``,
#: ``hydra_secrets_pagination``, ``keto_secrets_pagination``); the pairwise salt Ory "redacts
#: ... from project revision responses" (TF docs project_config.md @03e938ef, ory-network-
#: behaviour.md §2), under Hydra's name for it and the spec column's.
SALT_PATHS: Final = (
    ("oidc", "subject_identifiers", "pairwise", "salt"),
    ("oidc", "subject_identifiers", "pairwise_salt"),
)
SERVICE_WITHHELD: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "oauth2": (("secrets",), *SALT_PATHS),
    "permission": (("secrets",),),
}


def withhold(service: str, config: Any) -> None:
    """``config`` of ``service`` as a read shows it (``SERVICE_WITHHELD``)."""
    for path in SERVICE_WITHHELD.get(service, ()):
        delete(config, path)


def keep_service_withheld(service: str, config: JSONObject, previous: JSONObject) -> None:
    """A withheld key a write does not mention keeps its stored value; for the salt, "An
    empty value does not clear the salt: the API keeps the stored one" (TF docs, §2)."""
    for path in SERVICE_WITHHELD.get(service, ()):
        old = get(previous, path)
        if old is _MISSING:
            continue
        sent = get(config, path)
        empty_salt = path in SALT_PATHS and sent == ""
        if sent is _MISSING or empty_salt:
            parent = get(config, path[:-1])
            if isinstance(parent, dict):
                parent[path[-1]] = copy.deepcopy(old)
            elif parent is _MISSING:
                put(config, path, copy.deepcopy(old))
        elif isinstance(sent, dict) and isinstance(old, dict):
            for key, value in old.items():  # e.g. one secret list sent, the others kept
                sent.setdefault(key, copy.deepcopy(value))


def duration_paths(schema: JSONObject) -> tuple[tuple[str, ...], ...]:
    """Every place ``schema`` types as a duration (Hydra's ``#/definitions/duration``): Ory
    stores durations as Go writes them, ``1h`` as ``1h0m0s`` (ory-api.md §1a "Server-side
    transformations" 3; the CLI fixture's ``ttl.access_token: "1h0m0s"``)."""
    found: list[tuple[str, ...]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        refs = [node, *(node.get("allOf") or []), *(node.get("oneOf") or [])]
        if any(isinstance(r, dict) and r.get("$ref") == "#/definitions/duration" for r in refs):
            found.append(path)
        for key, child in (node.get("properties") or {}).items():
            walk(child, (*path, key))

    walk(schema, ())
    return tuple(found)


#: Where an Ory Permission Language file goes: sent ``base64://``, stored at a content-
#: addressed URL with the ``.txt`` extension (ory-network-behaviour.md §4: TF @57257e24
#: storage_url_content_test.go; the column ``keto_namespace_configuration`` "is a URL pointing
#: to an OPL file", SPEC normalizedProjectRevision).
OPL_LOCATION: Final = ("namespaces", "location")
