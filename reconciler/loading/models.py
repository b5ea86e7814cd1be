"""The shape of an environment file and of ``reconciler.yaml``: one JSON Schema each (the one
definition, checked by ``validate`` and written for editors by ``make schemas``), and the typed
view of the envelope the tool reads once a file has passed its schema.

Two kinds of object. Our envelope (``target``, ``lint``, ``secrets``, ``protect``, ``remove``…)
is closed: nobody but us defines it, so an unknown key is an error with a did-you-mean. Inside
``identity_config`` the official Kratos schema (+ the Ory Network overlay) is the one authority
on shape: the objects there are open and type only what the tool itself interprets (methods'
switches, ``required_aal``, hooks, identity schemas), never stricter than that schema
(``tests/loading/test_model_schema_agreement.py`` generates documents from the official schema
for each typed subtree and checks this schema accepts every one). Unknown keys there are reported by
the Kratos schema check (``checks/kratos_schema.py``).

A key typed ``X`` or null may be written empty in YAML (``target:``); it then means "not set".
Rules a plain keyword cannot word (a target has exactly one kind…) carry their message in
``x-message``, keyed by the keyword that enforces them (``schema_check.py`` reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from reconciler.jsontypes import JSONObject, JSONValue
from reconciler.limits import CEILINGS
from reconciler.loading.schema_check import MESSAGE_KEYWORD

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
POINTER_PATTERN = r"^(/[^/]*)+$"
# The workspace key travels to this URL: https, or plain http on loopback only
# (reconciler/targets/endpoints.py applies the full rule: host, allow-list).
API_URL_PATTERN = r"^(https://|http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$))"
# What each pattern means, for error messages.
PATTERN_MEANING = {
    UUID_PATTERN: "a project id (a UUID such as 6f0cae50-182d-8f7a-afdd-f83f3fa1f30c)",
    POINTER_PATTERN: "a JSON pointer such as /selfservice/methods/link/config/base_url",
    API_URL_PATTERN: "an https:// URL (http:// only on 127.0.0.1, [::1] or localhost)",
}


# --- building blocks -----------------------------------------------------------------------


def _closed(
    properties: JSONObject, required: list[JSONValue] | None = None, rules: JSONObject | None = None
) -> JSONObject:
    """An object of ours: only these keys."""
    return {**_open(properties, required, rules), "additionalProperties": False}


def _open(
    properties: JSONObject, required: list[JSONValue] | None = None, rules: JSONObject | None = None
) -> JSONObject:
    """An object inside ``identity_config``: these keys typed, any other passes through.
    ``rules``: keywords about the object as a whole (``oneOf``, ``if``…)."""
    schema: JSONObject = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {**schema, **(rules or {})}


def _optional(schema: JSONObject) -> JSONObject:
    """``schema`` or null (an empty YAML value: not set)."""
    if "enum" in schema:
        enum = schema["enum"]
        assert isinstance(enum, list)
        return {**schema, "enum": [*enum, None]}
    kind = schema["type"]
    return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}


def _optional_fields(**fields: JSONObject) -> JSONObject:
    return {name: _optional(schema) for name, schema in fields.items()}


def _extended(base: JSONObject, **fields: JSONObject) -> JSONObject:
    """An open object with ``base``'s keys and ``fields`` (optional) besides."""
    properties = base["properties"]
    assert isinstance(properties, dict)
    return _open({**properties, **_optional_fields(**fields)})


BOOLEAN: JSONObject = {"type": "boolean"}
TEXT: JSONObject = {"type": "string"}
MAPPING: JSONObject = {"type": "object"}
POINTER: JSONObject = {"type": "string", "pattern": POINTER_PATTERN}
REQUIRED_AAL: JSONObject = {"enum": ["aal1", "highest_available"]}


# --- hooks ---------------------------------------------------------------------------------
# Every hook the schema knows (session, verification, b2b_sso, revoke_active_sessions…, and
# whatever a newer schema or the overlay adds) passes as a named hook; which hook is allowed
# where is the Kratos schema's call. Web hooks are typed because lint reads their config.

WEB_HOOK_CONFIG = _open(
    {
        "url": TEXT,
        "method": TEXT,
        **_optional_fields(
            headers={"type": "object", "additionalProperties": TEXT},
            body=TEXT,
            auth=MAPPING,
            response=_open(_optional_fields(ignore=BOOLEAN, parse=BOOLEAN)),
            can_interrupt=BOOLEAN,
            emit_analytics_event=BOOLEAN,
            id=TEXT,
        ),
    },
    required=["url", "method"],
)

HOOK = _open(
    {"hook": TEXT},
    required=["hook"],
    # A web hook (hook: web_hook) needs its typed config; any other hook an optional mapping.
    rules={
        "if": {"properties": {"hook": {"const": "web_hook"}}, "required": ["hook"]},
        "then": {"properties": {"config": WEB_HOOK_CONFIG}, "required": ["config"]},
        "else": {"properties": {"config": _optional(MAPPING)}},
    },
)

# Hook lists sit in every flow and after every method: one definition, referenced.
HOOK_LIST = _open(
    _optional_fields(hooks={"type": "array", "items": {"$ref": "#/definitions/hook"}})
)
METHOD_AFTER = _extended(HOOK_LIST, default_browser_return_url=TEXT)
# ``after.hooks``, ``after.default_browser_return_url`` and the per-method blocks.
_METHODS_WITH_AFTER = ("password", "webauthn", "passkey", "oidc", "code", "totp", "lookup_secret")
AFTER = _extended(
    METHOD_AFTER, **{method: METHOD_AFTER for method in (*_METHODS_WITH_AFTER, "profile")}
)
FLOW = _open(_optional_fields(before=HOOK_LIST, after=AFTER))
SETTINGS_FLOW = _extended(FLOW, required_aal=REQUIRED_AAL)
FLOWS = _open(
    _optional_fields(
        settings=SETTINGS_FLOW,
        logout=FLOW,
        registration=FLOW,
        login=FLOW,
        verification=FLOW,
        recovery=FLOW,
    )
)

# --- methods -------------------------------------------------------------------------------

METHOD = _open(_optional_fields(enabled=BOOLEAN))
CODE_METHOD = _extended(METHOD, passwordless_enabled=BOOLEAN, mfa_enabled=BOOLEAN)
METHODS = _open(
    _optional_fields(
        password=METHOD,
        code=CODE_METHOD,
        totp=METHOD,
        lookup_secret=METHOD,
        webauthn=METHOD,
        passkey=METHOD,
        link=METHOD,
        oidc=METHOD,
        profile=METHOD,
    )
)

# --- identity config -----------------------------------------------------------------------

# An identity schema: a preset id, a ``url`` (file://, base64://, https://), or inline
# (``schema`` is ours: rendering turns it into a ``base64://`` url).
SCHEMA_REF = _open(
    {"id": TEXT, **_optional_fields(url=TEXT, schema=MAPPING, selfservice_selectable=BOOLEAN)},
    required=["id"],
    rules={
        "not": {
            "properties": {"url": TEXT, "schema": MAPPING},
            "required": ["url", "schema"],
        },
        "anyOf": [
            {"properties": {"url": TEXT}, "required": ["url"]},
            {"properties": {"schema": MAPPING}, "required": ["schema"]},
            {"properties": {"id": {"pattern": "^preset://"}}},
        ],
        MESSAGE_KEYWORD: {
            "not": "give an identity schema either a url or an inline schema, not both",
            "anyOf": "an identity schema needs a url (file://, base64://, https://) or schema",
        },
    },
)

IDENTITY_CONFIG = _open(
    _optional_fields(
        selfservice=_open(_optional_fields(methods=METHODS, flows=FLOWS)),
        session=_open(_optional_fields(whoami=_open(_optional_fields(required_aal=REQUIRED_AAL)))),
        identity=_open(
            _optional_fields(
                default_schema_id=TEXT,
                schemas={"type": "array", "minItems": 1, "items": SCHEMA_REF},
            )
        ),
    )
)

# --- the environment file ------------------------------------------------------------------

# One entry per kind of target (``targets/kinds.py``): what its settings look like.
TARGET_KINDS: dict[str, JSONObject] = {
    "ory_network": _closed(
        {
            "project": {"type": "string", "pattern": UUID_PATTERN},
            **_optional_fields(api_url={"type": "string", "pattern": API_URL_PATTERN}),
        },
        required=["project"],
    ),
    "kratos_file": _closed({"path": {"type": "string", "minLength": 1}}, required=["path"]),
}

TARGET = _closed(
    _optional_fields(**TARGET_KINDS),
    rules={
        "oneOf": [{"properties": {kind: MAPPING}, "required": [kind]} for kind in TARGET_KINDS],
        MESSAGE_KEYWORD: {
            "oneOf": f"a target needs exactly one of {' or '.join(TARGET_KINDS)}",
        },
    },
)

ENVIRONMENT_SCHEMA: JSONObject = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "reconciler environment file",
    # ``extends`` is consumed by the loader before the schema sees the document.
    **_closed(
        {
            "target": _optional(TARGET),
            # rule id -> why it is disabled; a reason is required (an empty one is refused).
            "lint": _closed(
                {
                    "disable": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "minLength": 1},
                    }
                }
            ),
            # Extra pointers (relative to identity_config) whose values are write-only secrets.
            "secrets": {"type": "array", "items": POINTER},
            # Production: apply needs --yes and --env-confirm NAME; --allow-weaken the second.
            "protect": BOOLEAN,
            "protect_allow_weaken": BOOLEAN,
            "identity_config": IDENTITY_CONFIG,
            "remove": {"type": "array", "items": POINTER},
            # Write-only value (pointer relative to identity_config) -> a version to bump when
            # it must be sent again (Ory never returns it, so a change cannot be seen):
            # usecases/rotations.py.
            "rotate": {
                "type": "object",
                "propertyNames": POINTER,
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
        }
    ),
    "definitions": {"hook": HOOK},
}

POSITIVE: JSONObject = {"type": "integer", "minimum": 1}

REPOSITORY_SCHEMA: JSONObject = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "reconciler.yaml",
    **_closed(
        {
            # How much input one environment may be: lower than the defaults, never higher
            # (a pull request may edit this file; reconciler/limits.py).
            "limits": _closed(
                _optional_fields(
                    **{name: {**POSITIVE, "maximum": ceiling} for name, ceiling in CEILINGS.items()}
                )
            ),
            # When set, any target project outside this list is refused (plan and apply).
            "allowed_project_ids": _optional(
                {"type": "array", "items": {"type": "string", "pattern": UUID_PATTERN}}
            ),
        }
    ),
}


# --- the typed view of a valid file --------------------------------------------------------
# NamedTuples, not frozen dataclasses: equally immutable, and every command builds these
# classes at start-up, where a frozen dataclass costs about 0.85 ms to create on Python 3.11
# and a NamedTuple 0.10 ms (docs/benchmarks.md, cold start).


class Target(NamedTuple):
    """The target an environment names: its kind (exactly one, the schema's ``oneOf``) and
    its settings as written (the kind's module reads them when it opens the target)."""

    kind: str
    settings: Mapping[str, Any]


class LintSettings(NamedTuple):
    # rule id -> why it is disabled
    disable: Mapping[str, str] = MappingProxyType({})


class Environment(NamedTuple):
    """The envelope of a merged environment file that passed ``ENVIRONMENT_SCHEMA``
    (``identity_config`` stays raw: the document is its source of truth)."""

    target: Target | None = None
    lint: LintSettings = LintSettings()
    secrets: tuple[str, ...] = ()
    protect: bool = False
    protect_allow_weaken: bool = False
    remove: tuple[str, ...] = ()
    rotate: Mapping[str, int] = MappingProxyType({})

    @classmethod
    def from_document(cls, data: JSONObject) -> Environment:
        target = data.get("target")
        lint = data.get("lint") or {}
        assert isinstance(lint, dict)
        return cls(
            target=_target(target) if isinstance(target, dict) else None,
            lint=LintSettings(disable=MappingProxyType(_strings(lint.get("disable") or {}))),
            secrets=_texts(data.get("secrets") or []),
            protect=data.get("protect") is True,
            protect_allow_weaken=data.get("protect_allow_weaken") is True,
            remove=_texts(data.get("remove") or []),
            rotate=MappingProxyType(
                {str(k): _whole(v) for k, v in _mapping(data.get("rotate") or {}).items()}
            ),
        )


def _target(data: JSONObject) -> Target:
    kind, settings = next((k, v) for k, v in data.items() if isinstance(v, dict))
    return Target(kind=kind, settings=MappingProxyType(dict(settings)))


class InputLimits(NamedTuple):
    """``limits:`` in ``reconciler.yaml``: how much input one environment may be (at most the
    defaults: ``limits.CEILINGS``)."""

    max_file_bytes: int | None = None
    max_nodes: int | None = None
    max_depth: int | None = None
    max_aliases: int | None = None
    max_plan_bytes: int | None = None

    def chosen(self) -> dict[str, int]:
        """The bounds the file sets."""
        return {name: value for name, value in self._asdict().items() if value is not None}


class RepositorySettings(NamedTuple):
    """``reconciler.yaml`` at the repository root: rules for every environment."""

    limits: InputLimits = InputLimits()
    allowed_project_ids: tuple[str, ...] | None = None

    @classmethod
    def from_document(cls, data: JSONObject) -> RepositorySettings:
        limits = _mapping(data.get("limits") or {})
        allowed = data.get("allowed_project_ids")
        return cls(
            limits=InputLimits(**{k: _whole(v) for k, v in limits.items() if v is not None}),
            allowed_project_ids=_texts(allowed) if isinstance(allowed, list) else None,
        )


def _mapping(value: JSONValue) -> Mapping[str, Any]:
    assert isinstance(value, dict)
    return value


def _whole(value: object) -> int:
    assert isinstance(value, int)
    return value


def _strings(value: JSONValue) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value).items()}


def _texts(value: JSONValue) -> tuple[str, ...]:
    assert isinstance(value, list)
    return tuple(str(item) for item in value)
