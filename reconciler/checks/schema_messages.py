"""How a schema problem reads: located by pointer, in plain words, unknown keys with a
did-you-mean, hooks Ory Network refuses where they are placed. Pure: a jsonschema error in
(``describe``, with the resolver of the schema it came from), ``SchemaProblem``s out; the
schema check hands each error over once and gets its problems back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler import suggest
from reconciler.checks import schema_paths
from reconciler.jsontypes import JSONValue, Pointer, join_pointer, pointer_from, split_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


# Flow-level registration after-hooks are typed `selfServiceHooks` (web_hook | b2b_sso) in the
# OSS schema, yet Ory docs patch `session` there (DOCS actions/session.mdx:51-53) and the Kratos
# runtime reads it (K26 registry_default_registration.go:24-36). ory-api.md §1c / §1d-8.
_NETWORK_ACCEPTED_HOOKS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (
        re.compile(r"^/selfservice/flows/registration/after/hooks/\d+$"),
        frozenset({"session", "show_verification_ui"}),
    ),
)


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a document does not satisfy an official schema, written for the user.

    ``pointer`` is an RFC 6901 pointer into the validated document. ``known_network_deviation``
    marks problems Ory Network is known to accept (report as warnings). ``unknown_key`` marks a
    key the schema does not know (none at all when the live project holds it: the live project
    is the authority on which keys exist). ``ignored_key`` marks an unknown key the schema
    accepts because it leaves its object open: the target ignores it (a warning).
    """

    pointer: Pointer
    message: str
    known_network_deviation: bool = False
    unknown_key: bool = False
    # A required key is absent: expected of a partial document checked on its own.
    missing_required: bool = False
    # Which key, when a required one is absent.
    missing_key: str = ""
    # An unknown key of an object the schema leaves open: accepted, and ignored (a warning).
    ignored_key: bool = False
    # One typo away from a key declared in an open object: Ory drops it silently, so no live
    # project ever holds it and it is refused before anything is sent.
    typo: bool = False
    # An unknown key a later Kratos release added, in a config judged by the release its
    # `version:` names (Kratos never reads `version:`, so it may be stale): a warning.
    added_later: bool = False


def describe(
    error: ValidationError, subject: str, resolver: Any, *, hooks: bool
) -> Iterator[SchemaProblem]:
    """The problems ``error`` says, in the user's words. ``subject`` names the schema;
    ``resolver`` follows its ``$ref``s; ``hooks``: hook lists are the schema's (a Kratos config
    schema: a misplaced hook is named as such)."""
    pointer = pointer_of(error)
    if error.validator == "additionalProperties":
        yield from unknown_keys(error, pointer, subject)
    elif error.validator in ("anyOf", "oneOf"):
        yield from _alternatives(error, pointer, subject, resolver, hooks=hooks)
    else:
        missing = error.validator == "required"
        key = missing_key(error) if missing else ""
        yield SchemaProblem(
            pointer, plain_message(error, pointer), missing_required=missing, missing_key=key
        )


def _alternatives(
    error: ValidationError, pointer: Pointer, subject: str, resolver: Any, *, hooks: bool
) -> Iterator[SchemaProblem]:
    # Hooks live in the config schema: an identity schema's alternatives (draft-07's `type`,
    # …) reference its meta-schema, whose hook lists are none of ours.
    hook = hook_name(error.instance) if hooks else None
    allowed = _allowed_hooks(error.validator_value, resolver) if hook is not None else []
    if hook is not None and allowed and hook not in allowed:
        yield hook_placement_problem(pointer, hook, allowed)
        return
    from jsonschema.exceptions import best_match

    deepest = best_match(_errors_of_matching_branch(error, hook, resolver))
    if deepest is None:
        yield SchemaProblem(pointer, f"{at_pointer(pointer)}: {error.message}")
        return
    yield from describe(deepest, subject, resolver, hooks=hooks)


def _allowed_hooks(alternatives: object, resolver: Any) -> list[str]:
    """The ``hook`` names the branches of an ``anyOf`` accept (empty when not a hook list)."""
    if not isinstance(alternatives, list):
        return []
    names: list[str] = []
    for branch in alternatives:
        resolved, _ = schema_paths.deref(branch, resolver)
        names.extend(hook_names_of(resolved))
    return names


def _errors_of_matching_branch(
    error: ValidationError, hook: str | None, resolver: Any
) -> list[ValidationError]:
    """Sub-errors of the ``anyOf`` branch meant for this hook, so a broken ``web_hook`` is
    explained by the web_hook branch rather than by whichever branch failed least."""
    context = list(error.context or ())
    if hook is None or not isinstance(error.validator_value, list):
        return context
    wanted = {
        index
        for index, branch in enumerate(error.validator_value)
        if hook in _allowed_hooks([branch], resolver)
    }
    matching = [
        e for e in context if e.relative_schema_path and e.relative_schema_path[0] in wanted
    ]
    return matching or context


# -- helpers --------------------------------------------------------------------------------


def pointer_of(error: ValidationError) -> Pointer:
    return pointer_from(error.absolute_path)


def at_pointer(pointer: Pointer) -> str:
    return pointer or "the document root"


def unknown_keys(error: ValidationError, pointer: Pointer, subject: str) -> Iterator[SchemaProblem]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties") or {}
    patterns = list((schema.get("patternProperties") or {}).keys())
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in known or any(re.search(p, key) for p in patterns):
            continue
        yield SchemaProblem(
            join_pointer(pointer, key),
            _unknown_key_message(key, pointer, subject, known),
            unknown_key=True,
        )


def lax_key_problem(
    pointer: Pointer, known: Iterable[str], subject: str, drops_unknown: str
) -> SchemaProblem:
    """An unknown key of an object the schema leaves open (``lax_keys``): an error when it is
    one typo away from a key declared there (the user meant that key, and it is not set), a
    warning otherwise. ``drops_unknown``: what the target does with such a key."""
    parent, _, escaped = pointer.rpartition("/")
    key = split_pointer("/" + escaped)[0]
    known = sorted(known)
    typo = suggest.typo_of(key, known)
    where = at_pointer(parent)
    if typo is not None:
        message = (
            f"`{key}` at {where} is unknown to the {subject}; did you mean `{typo}`? "
            f"{drops_unknown}"
        )
        return SchemaProblem(pointer, message, unknown_key=True, typo=True)
    message = f"`{key}` at {where} is unknown to the {subject}; {drops_unknown}"
    return SchemaProblem(pointer, message + _known_here(dict.fromkeys(known)), ignored_key=True)


def _unknown_key_message(
    key: str, pointer: Pointer, subject: str, known: Mapping[str, object]
) -> str:
    close = _closest(key, known)
    where = at_pointer(pointer)
    if close:
        return f"`{key}` at {where} is unknown to the {subject}; did you mean `{close}`?"
    if subject.startswith("Kratos "):  # a Kratos file's schema, of a named release or not
        return (
            f"`{key}` at {where} is unknown to the {subject}, so Kratos would refuse it; "
            f"check its spelling and placement{_known_here(known)}"
        )
    return (
        f"`{key}` at {where} is unknown to the {subject}; it may be an "
        f"Ory Network-only setting, otherwise check its spelling and placement{_known_here(known)}"
    )


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    """The schema's own key (or hook name) that ``word`` most likely misspells."""
    return suggest.closest(word, candidates)


def _known_here(known: Mapping[str, object]) -> str:
    return f" (known here: {', '.join(sorted(known))})" if 0 < len(known) <= 12 else ""


def missing_key(error: ValidationError) -> str:
    """The property a ``required`` error names (jsonschema says it in its message)."""
    return error.message.split("'")[1] if "'" in error.message else error.message


def plain_message(error: ValidationError, pointer: Pointer) -> str:
    where = at_pointer(pointer)
    if error.validator == "type":
        return (
            f"{where} must be of type {_expected_types(error.validator_value)}, "
            f"but is {_json_type(error.instance)} {json.dumps(error.instance)}"
        )
    if error.validator == "enum":
        options = ", ".join(json.dumps(v) for v in _as_list(error.validator_value))
        return f"{where} is {json.dumps(error.instance)}; allowed values are {options}"
    if error.validator == "required":
        return f"{where} is missing the required key `{missing_key(error)}`"
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


def hook_name(instance: object) -> str | None:
    if isinstance(instance, dict) and isinstance(instance.get("hook"), str):
        return str(instance["hook"])
    return None


def hook_names_of(branch: JSONValue) -> list[str]:
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


def hook_placement_problem(pointer: Pointer, hook: str, allowed: list[str]) -> SchemaProblem:
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
