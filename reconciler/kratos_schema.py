"""Offline validation against the official Kratos JSON schemas, and the defaults they declare.

The identity config of an Ory Network project is a Kratos config, so Kratos'
``embedx/config.schema.json`` (draft-07) is the best offline check we have (ory-api.md §1c, §2).
Three things keep it honest for Ory Network:

* ``dsn`` is required by the OSS schema but never part of an Ory Network config, so it is
  dropped from the top-level ``required`` list unless the caller asks for it (ory-api.md §1c).
* Ory Network accepts some hook placements the OSS schema rejects (Ory's own docs put
  ``session`` in the flow-level ``registration.after.hooks``; ory-api.md §1c "Flows and hooks",
  §1d-8). Those problems are flagged ``known_network_deviation`` so callers report warnings.
* Ory Network runs ahead of every released OSS schema (ory-api.md §3, fact 11): an unknown key
  is reported as "unknown to the OSS schema, may be Ory Network-only", flagged ``unknown_key``.

Identity schemas are checked against ``ory://identity-meta`` + ``ory://identity-extension``,
exactly the resources Kratos registers itself (SOURCES.md, "$ref resolution map").
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, join_pointer, split_pointer

TRACING_CONFIG_URI = "ory://tracing-config"
IDENTITY_META_URI = "ory://identity-meta"
IDENTITY_EXTENSION_URI = "ory://identity-extension"

_CONFIG = "OSS Kratos config schema"
_META = "OSS Kratos identity-schema vocabulary (ory://identity-meta, ory.sh/kratos)"

# Used when the vendored ory/x tracing schema is not next to the config schema: the tracing
# block is then accepted as any object rather than failing every validation on a missing ref.
_PERMISSIVE_TRACING_STUB: JSONObject = {"$id": TRACING_CONFIG_URI, "type": "object"}

# Flow-level registration after-hooks are typed `selfServiceHooks` (web_hook | b2b_sso) in the
# OSS schema, yet Ory docs patch `session` there (DOCS actions/session.mdx:51-53) and the Kratos
# runtime reads it (K26 registry_default_registration.go:24-36). ory-api.md §1c / §1d-8.
_NETWORK_ACCEPTED_HOOKS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (
        re.compile(r"^/selfservice/flows/registration/after/hooks/\d+$"),
        frozenset({"session", "show_verification_ui"}),
    ),
)

# Kratos defaults as documented in ory-api.md §1c, for callers that have no schema file at hand.
# Keys are pointers into the identity config; values match `default` in K26 config.schema.json.
DOCUMENTED_DEFAULTS: Mapping[Pointer, JSONValue] = {
    "/session/whoami/required_aal": "highest_available",
    "/selfservice/flows/settings/required_aal": "highest_available",
    "/selfservice/flows/settings/privileged_session_max_age": "1h",
    "/selfservice/flows/registration/enabled": True,
    "/selfservice/flows/verification/enabled": False,
    "/selfservice/flows/verification/use": "code",
    "/selfservice/flows/recovery/enabled": False,
    "/selfservice/flows/recovery/use": "code",
    "/selfservice/methods/profile/enabled": True,
    "/selfservice/methods/link/enabled": False,
    "/selfservice/methods/code/enabled": True,
    "/selfservice/methods/code/passwordless_enabled": False,
    "/selfservice/methods/code/mfa_enabled": False,
    "/selfservice/methods/code/config/lifespan": "1h",
    "/selfservice/methods/code/config/max_submissions": 5,
    "/selfservice/methods/password/enabled": True,
    "/selfservice/methods/password/config/haveibeenpwned_enabled": True,
    "/selfservice/methods/password/config/max_breaches": 0,
    "/selfservice/methods/password/config/ignore_network_errors": True,
    "/selfservice/methods/password/config/min_password_length": 8,
    "/selfservice/methods/password/config/identifier_similarity_check_enabled": True,
    "/selfservice/methods/totp/enabled": False,
    "/selfservice/methods/lookup_secret/enabled": False,
    "/selfservice/methods/webauthn/enabled": False,
    "/selfservice/methods/webauthn/config/passwordless": False,
    "/selfservice/methods/passkey/enabled": False,
    "/selfservice/methods/oidc/enabled": False,
    "/identity/default_schema_id": "default",
}


def documented_default(pointer: Pointer) -> tuple[bool, JSONValue]:
    """The Kratos default for ``pointer`` from ory-api.md §1c, ``(False, None)`` if unknown."""
    if pointer in DOCUMENTED_DEFAULTS:
        return True, DOCUMENTED_DEFAULTS[pointer]
    return False, None


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a document does not satisfy an official schema, written for the user.

    ``pointer`` is an RFC 6901 pointer into the validated document. ``known_network_deviation``
    marks problems Ory Network is known to accept (report as warnings). ``unknown_key`` marks a
    key the OSS schema does not know; it may be an Ory Network-only setting (a warning when the
    key came from live rather than from the user's file).
    """

    pointer: Pointer
    message: str
    known_network_deviation: bool = False
    unknown_key: bool = False
    # A required key is absent: expected of a partial document checked on its own.
    missing_required: bool = False


def _read_json(path: Path) -> JSONObject:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError([f"cannot read JSON schema {path}: {exc}"]) from exc
    if not isinstance(loaded, dict):
        raise ConfigError([f"JSON schema {path} is not a JSON object"])
    return loaded


def _resource(contents: JSONObject) -> Resource[Any]:
    return Resource.from_contents(contents, default_specification=DRAFT7)


class KratosSchema:
    """The Kratos config schema at one path, with its sibling ``ory://`` resources.

    Build through :func:`load_kratos_schema`, which caches one instance per path.
    """

    def __init__(self, config_schema_path: Path) -> None:
        self.path = config_schema_path
        self.schema_dir = config_schema_path.parent
        self._config = _read_json(config_schema_path)
        self._config_id = str(self._config.get("$id", config_schema_path.as_uri()))
        tracing_path = self.schema_dir.parent / "oryx" / "otelx" / "config.schema.json"
        tracing = _read_json(tracing_path) if tracing_path.is_file() else _PERMISSIVE_TRACING_STUB
        self._registry: Registry[Any] = Registry().with_resources(
            [(self._config_id, _resource(self._config)), (TRACING_CONFIG_URI, _resource(tracing))]
        )
        self._validators: dict[bool, Draft7Validator] = {}
        self._identity_validator: Draft7Validator | None = None

    # -- identity config ------------------------------------------------------------------

    def validate_config(
        self, document: JSONValue, *, require_dsn: bool = False
    ) -> list[SchemaProblem]:
        """Problems of an identity config, sorted by pointer; ``[]`` when it is valid."""
        validator = self._config_validator(require_dsn)
        problems = [
            p for error in validator.iter_errors(document) for p in self._describe(error, _CONFIG)
        ]
        return sorted(set(problems), key=lambda p: (p.pointer, p.message))

    def _config_validator(self, require_dsn: bool) -> Draft7Validator:
        if require_dsn not in self._validators:
            schema = dict(self._config)
            required = schema.get("required")
            if not require_dsn and isinstance(required, list):
                # Ory Network has no `dsn`; the OSS schema requires it (ory-api.md §1c).
                schema["required"] = [key for key in required if key != "dsn"]
            self._validators[require_dsn] = Draft7Validator(schema, registry=self._registry)
        return self._validators[require_dsn]

    # -- identity schemas -----------------------------------------------------------------

    def validate_identity_schema(self, document: JSONValue) -> list[SchemaProblem]:
        """Problems of an identity schema against ``ory://identity-meta``, sorted by pointer."""
        validator = self._identity_schema_validator()
        problems = [
            p for error in validator.iter_errors(document) for p in self._describe(error, _META)
        ]
        return sorted(set(problems), key=lambda p: (p.pointer, p.message))

    def _identity_schema_validator(self) -> Draft7Validator:
        if self._identity_validator is None:
            meta = _read_json(self.schema_dir / "identity_meta.schema.json")
            extension = _read_json(self.schema_dir / "identity_extension.schema.json")
            self._registry = self._registry.with_resources(
                [
                    (IDENTITY_META_URI, _resource(meta)),
                    (IDENTITY_EXTENSION_URI, _resource(extension)),
                ]
            )
            self._identity_validator = Draft7Validator(meta, registry=self._registry)
        return self._identity_validator

    # -- defaults -------------------------------------------------------------------------

    def default_at(self, pointer: Pointer) -> tuple[bool, JSONValue]:
        """``(True, default)`` when the schema declares a default for ``pointer``.

        ``$ref`` is followed, array indices step into ``items``, and object keys are looked up
        in ``properties``, ``patternProperties``, ``allOf``/``anyOf``/``oneOf`` branches and a
        schema-valued ``additionalProperties``, in that order.
        """
        node: JSONValue = self._config
        resolver = self._registry.resolver(base_uri=self._config_id)
        for token in split_pointer(pointer):
            found = self._child_schema(node, token, resolver)
            if found is None:
                return False, None
            node, resolver = found
        return self._default_of(node, resolver)

    def _child_schema(
        self, node: JSONValue, token: str, resolver: Any
    ) -> tuple[JSONValue, Any] | None:
        node, resolver = self._deref(node, resolver)
        if not isinstance(node, dict):
            return None
        direct = _direct_child(node, token)
        if direct is not None:
            return direct, resolver
        for keyword in ("allOf", "anyOf", "oneOf"):
            branches = node.get(keyword)
            for branch in branches if isinstance(branches, list) else []:
                found = self._child_schema(branch, token, resolver)
                if found is not None:
                    return found
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and not token.isdigit():
            return extra, resolver
        return None

    def _deref(self, node: JSONValue, resolver: Any) -> tuple[JSONValue, Any]:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            seen += 1
        return node, resolver

    def _default_of(self, node: JSONValue, resolver: Any) -> tuple[bool, JSONValue]:
        # A default written next to a `$ref` wins over the referenced one (Kratos does this).
        for _ in range(32):
            if not isinstance(node, dict):
                return False, None
            if "default" in node:
                return True, node["default"]
            ref = node.get("$ref")
            if not isinstance(ref, str):
                return False, None
            resolved = resolver.lookup(ref)
            node, resolver = resolved.contents, resolved.resolver
        return False, None

    # -- messages -------------------------------------------------------------------------

    def _describe(self, error: ValidationError, subject: str) -> Iterator[SchemaProblem]:
        pointer = _pointer_of(error)
        if error.validator == "additionalProperties":
            yield from _unknown_keys(error, pointer, subject)
        elif error.validator in ("anyOf", "oneOf"):
            yield from self._describe_alternatives(error, pointer, subject)
        else:
            missing = error.validator == "required"
            yield SchemaProblem(pointer, _plain_message(error, pointer), missing_required=missing)

    def _describe_alternatives(
        self, error: ValidationError, pointer: Pointer, subject: str
    ) -> Iterator[SchemaProblem]:
        hook = _hook_name(error.instance)
        allowed = self._allowed_hooks(error.validator_value)
        if hook is not None and allowed and hook not in allowed:
            yield _hook_placement_problem(pointer, hook, allowed)
            return
        deepest = best_match(_errors_of_matching_branch(error, hook, self))
        if deepest is None:
            yield SchemaProblem(pointer, f"{_at(pointer)}: {error.message}")
            return
        yield from self._describe(deepest, subject)

    def _allowed_hooks(self, alternatives: object) -> list[str]:
        """The ``hook`` names the branches of an ``anyOf`` accept (empty when not a hook list)."""
        if not isinstance(alternatives, list):
            return []
        resolver = self._registry.resolver(base_uri=self._config_id)
        names: list[str] = []
        for branch in alternatives:
            resolved, _ = self._deref(branch, resolver)
            names.extend(_hook_names_of(resolved))
        return names


def _errors_of_matching_branch(
    error: ValidationError, hook: str | None, schema: KratosSchema
) -> list[ValidationError]:
    """Sub-errors of the ``anyOf`` branch meant for this hook, so a broken ``web_hook`` is
    explained by the web_hook branch rather than by whichever branch failed least."""
    context = list(error.context or ())
    if hook is None or not isinstance(error.validator_value, list):
        return context
    wanted = {
        index
        for index, branch in enumerate(error.validator_value)
        if hook in schema._allowed_hooks([branch])
    }
    matching = [
        e for e in context if e.relative_schema_path and e.relative_schema_path[0] in wanted
    ]
    return matching or context


@lru_cache(maxsize=8)
def _load_resolved(path: Path) -> KratosSchema:
    return KratosSchema(path)


def load_kratos_schema(config_schema_path: str | Path) -> KratosSchema:
    """The compiled Kratos schema at ``config_schema_path`` (``.../embedx/config.schema.json``).

    Cached per resolved path. Raises ``ConfigError`` when the file is missing or not JSON.
    """
    return _load_resolved(Path(config_schema_path).resolve())


def validate_config(
    document: JSONValue, config_schema_path: str | Path, *, require_dsn: bool = False
) -> list[SchemaProblem]:
    """Validate an identity config; see :meth:`KratosSchema.validate_config`."""
    return load_kratos_schema(config_schema_path).validate_config(document, require_dsn=require_dsn)


def validate_identity_schema(
    document: JSONValue, config_schema_path: str | Path
) -> list[SchemaProblem]:
    """Validate an identity schema; see :meth:`KratosSchema.validate_identity_schema`."""
    return load_kratos_schema(config_schema_path).validate_identity_schema(document)


def default_at(pointer: Pointer, config_schema_path: str | Path) -> tuple[bool, JSONValue]:
    """The schema default at ``pointer``; see :meth:`KratosSchema.default_at`."""
    return load_kratos_schema(config_schema_path).default_at(pointer)


# -- helpers --------------------------------------------------------------------------------


def _direct_child(node: JSONObject, token: str) -> JSONValue | None:
    properties = node.get("properties")
    if isinstance(properties, dict) and token in properties:
        return properties[token]
    items = node.get("items")
    if token.isdigit() and isinstance(items, dict):
        return items
    if token.isdigit() and isinstance(items, list) and int(token) < len(items):
        return items[int(token)]
    patterns = node.get("patternProperties")
    for pattern, sub in patterns.items() if isinstance(patterns, dict) else []:
        if re.search(pattern, token):
            return sub
    return None


def _pointer_of(error: ValidationError) -> Pointer:
    pointer = ""
    for token in error.absolute_path:
        pointer = join_pointer(pointer, token)
    return pointer


def _at(pointer: Pointer) -> str:
    return pointer or "the document root"


def _unknown_keys(
    error: ValidationError, pointer: Pointer, subject: str
) -> Iterator[SchemaProblem]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties") or {}
    patterns = list((schema.get("patternProperties") or {}).keys())
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in known or any(re.search(p, key) for p in patterns):
            continue
        close = _closest(key, known)
        advice = (
            f"did you mean `{close}`?"
            if close
            else "it may be an Ory Network-only setting, otherwise check its spelling and "
            f"placement{_known_here(known)}"
        )
        yield SchemaProblem(
            join_pointer(pointer, key),
            f"`{key}` at {_at(pointer)} is unknown to the {subject}; {advice}",
            unknown_key=True,
        )


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    """The schema's own key (or hook name) that ``word`` most likely misspells."""
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def _known_here(known: Mapping[str, object]) -> str:
    return f" (known here: {', '.join(sorted(known))})" if 0 < len(known) <= 12 else ""


def _plain_message(error: ValidationError, pointer: Pointer) -> str:
    where = _at(pointer)
    if error.validator == "type":
        return (
            f"{where} must be of type {_expected_types(error.validator_value)}, "
            f"but is {_json_type(error.instance)} {json.dumps(error.instance)}"
        )
    if error.validator == "enum":
        options = ", ".join(json.dumps(v) for v in _as_list(error.validator_value))
        return f"{where} is {json.dumps(error.instance)}; allowed values are {options}"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where} is missing the required key `{missing}`"
    if error.validator == "not":
        return f"{where}: this combination of settings is not allowed by the OSS Kratos schema"
    return f"{where}: {error.message}"


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _expected_types(expected: object) -> str:
    return " or ".join(expected) if isinstance(expected, list) else str(expected)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names = {str: "string", list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _hook_name(instance: object) -> str | None:
    if isinstance(instance, dict) and isinstance(instance.get("hook"), str):
        return str(instance["hook"])
    return None


def _hook_names_of(branch: JSONValue) -> list[str]:
    if not isinstance(branch, dict):
        return []
    properties = branch.get("properties")
    hook = properties.get("hook") if isinstance(properties, dict) else None
    if not isinstance(hook, dict):
        return []
    if isinstance(hook.get("const"), str):
        return [str(hook["const"])]
    enum = hook.get("enum")
    return [str(v) for v in enum] if isinstance(enum, list) else []


def _hook_placement_problem(pointer: Pointer, hook: str, allowed: list[str]) -> SchemaProblem:
    deviation = any(
        pattern.match(pointer) and hook in hooks for pattern, hooks in _NETWORK_ACCEPTED_HOOKS
    )
    message = (
        f"hook `{hook}` is not allowed at {pointer} by the OSS Kratos schema "
        f"(allowed here: {', '.join(sorted(set(allowed)))})"
    )
    close = _closest(hook, set(allowed))
    if close:
        message += f"; did you mean `{close}`?"
    if deviation:
        message += "; Ory Network is known to accept it here (ory-api.md §1c), so this is a warning"
    return SchemaProblem(pointer, message, known_network_deviation=deviation)
