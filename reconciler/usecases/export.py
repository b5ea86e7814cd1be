"""Turn a live identity config into a minimal environment document plus its side files. Pure.

The other services of a project (``services/``) are exported the same way, each by its own
rules (its schema's defaults, what Ory sets itself, its secrets); the identity config's own
rules (Ory's fill-ins, the project's domain) are the identity config's alone.

What ``export`` leaves out, so that the file holds only what someone actually decided:

* keys the target manages itself (``serve.*``, ``cookies.path`` … on Ory Network;
  ory-api.md §1a "Server-side transformations" 5);
* values equal to the Kratos default (``default_at``: the official config schema, or the
  defaults ory-api.md §1c documents), compared by meaning (``30m`` equals ``30m0s``);
* on Ory Network, the values the platform fills in for every project (``ORY_NETWORK_FILL_INS``:
  the Account Experience ``/ui/...`` URLs, ``/ui/welcome``, the project's own URL as the only
  allowed return URL, an empty link ``base_url``);
* on Ory Network, values that name a project's own domain (``project_specific``): Account
  Experience URLs ``https://<slug>.projects.oryapis.com/ui/...``, a link ``base_url``,
  webauthn/passkey ``rp`` ids and origins on an Ory project domain. Each project has its own,
  so a file copied to another environment must not carry them; the file's header lists them.
  The ``rp`` of an enabled webauthn or passkey method is kept (listed to edit in a copy): the
  method does not work without it, and ``validate`` refuses the file (``webauthn-rp-missing``);
* keys the target's shape does not know (``ExportRules.unknown_keys``; the live project holds
  them, so plan accepts them, but ``validate`` checks a file offline and would refuse them):
  the file's header lists them, so that the file validates as it is written;
* empty mappings and lists, unless the default is not empty (then ``[]`` is a decision).

And what it rewrites, so that the file is reviewable and holds no secret:

* identity schemas whose content is at hand (inline ``base64://``, or read by the caller) go
  to ``schemas/<id>.schema.json``, other blobs (Jsonnet bodies, OIDC mappers) to
  ``hooks/<where>.jsonnet``; both are referenced with ``file://`` and written byte for byte,
  so their SHA-512 still matches live. Content-addressed URLs whose content is not at hand
  stay URLs (they plan as equal: the file name is the digest);
* every secret (the identity config's ``SecretPaths.is_secret_path``, what the environment
  marks secret, credentials in headers, Kratos ``dsn`` and ``secrets``, redacted values)
  becomes a ``${NAME}`` placeholder;
  for URIs only the password does. Literal ``$`` is written as ``$$``;
* Go durations are shortened (``30m0s`` -> ``30m``).

Keys are sorted and names derived from pointers, so the same live config always gives the same
bytes. ``overlay_on`` keeps only what an existing base layer does not already say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.comparing.diff import Change
from reconciler.comparing.project_domain import PUBLIC_BASE_URL, project_specific
from reconciler.comparing.values import DefaultLookup, same_string
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    copy_json,
    get_at,
    is_within,
    join_pointer,
    remove_at,
    set_at,
    split_pointer,
)
from reconciler.secrets import SecretPaths
from reconciler.services import registry

SCHEMAS: Pointer = "/identity/schemas"
# Pointers Ory Network fills in for every project, with the value it fills in. A value that
# differs from these was set by someone and is exported.
ORY_NETWORK_FILL_INS: Mapping[Pointer, JSONValue] = {
    "/selfservice/default_browser_return_url": "/ui/welcome",
    "/selfservice/flows/error/ui_url": "/ui/error",
    "/selfservice/flows/login/ui_url": "/ui/login",
    "/selfservice/flows/registration/ui_url": "/ui/registration",
    "/selfservice/flows/settings/ui_url": "/ui/settings",
    "/selfservice/flows/recovery/ui_url": "/ui/recovery",
    "/selfservice/flows/verification/ui_url": "/ui/verification",
    "/selfservice/methods/link/config/base_url": "",
}
ALLOWED_RETURN_URLS: Pointer = "/selfservice/allowed_return_urls"

# Secrets besides SecretPaths.is_secret_path: a self-hosted Kratos file holds its database DSN and
# cookie/cipher secrets; web hook headers often carry credentials.
_MORE_SECRETS = (
    re.compile(r"^/dsn$"),
    re.compile(r"^/secrets/"),
    re.compile(r"/headers/[^/]*(?i:authorization|key|token|secret|cookie)[^/]*$"),
)
_REDACTED = re.compile(r"^\*{3,}$")
# The sign-in methods whose relying-party values may name the project's own domain.
_RELYING_PARTY_METHODS = ("webauthn", "passkey")


@dataclass(frozen=True)
class ExportRules:
    """What the export must know besides the live config."""

    default_at: DefaultLookup
    server_managed: tuple[Pointer, ...] = ()
    network_fill_ins: bool = False
    # URL -> content, for blobs the caller could read (``file://`` next to a Kratos file).
    contents: Mapping[str, bytes] = field(default_factory=dict)
    # How a ``file://`` reference reaches the repository root from the environment file.
    root_from_environment: str = "../"
    # Pointers the environment (or its base) marks secret: ``${VAR}``, ``!secret``, ``secrets:``.
    sensitive: frozenset[Pointer] = frozenset()
    # The keys of a config that the target's shape does not know (its schema check, offline).
    unknown_keys: Callable[[JSONObject], Sequence[Pointer]] = lambda config: ()
    # Where the service's config holds secrets (the identity config's by default).
    secret_paths: SecretPaths = registry.IDENTITY.secrets
    # Keys that belong to this project alone (``Service.per_project``): left out, listed.
    per_project: tuple[Pointer, ...] = ()


def minimal_config(live: JSONObject, rules: ExportRules) -> JSONObject:
    """Live values that are neither server-managed, filled in by Ory, nor Kratos defaults,
    nor keys the target's shape does not know."""
    return _minimal(live, rules)[0]


def unknown_to_shape(live: JSONObject, rules: ExportRules) -> list[tuple[Pointer, JSONValue]]:
    """What ``minimal_config`` leaves out because the target's shape does not know it."""
    return _minimal(live, rules)[1]


def _minimal(
    live: JSONObject, rules: ExportRules
) -> tuple[JSONObject, list[tuple[Pointer, JSONValue]]]:
    config = _without_platform_values(live, rules)
    for pointer, _ in left_out(live, rules):
        remove_at(config, pointer)
    pruned = _prune(config, "", rules.default_at)
    minimal = pruned if isinstance(pruned, dict) else {}
    unknown = [(pointer, get_at(minimal, pointer)[1]) for pointer in rules.unknown_keys(minimal)]
    if not unknown:
        return minimal, []
    for pointer, _ in unknown:
        remove_at(minimal, pointer)
    pruned = _prune(minimal, "", rules.default_at)
    return (pruned if isinstance(pruned, dict) else {}), unknown


def overlay_on(
    base: JSONObject, live: JSONObject, minimal: JSONObject, base_changes: Iterable[Change]
) -> JSONObject:
    """What an environment extending ``base`` must say so that it plans as ``live``.

    ``minimal`` is ``minimal_config(live)``; ``base_changes`` is the diff of the base's
    desired state against live (where the base disagrees with live).
    """
    # A base's remove: cannot be overridden (a pointer may not be both set and removed).
    disagreements = [
        _settable(change.pointer, live) for change in base_changes if change.action != "reset"
    ]
    overlay: JSONObject = {}
    for pointer, value in _leaves(minimal, ""):
        declared, _ = get_at(base, pointer)
        if not declared or any(_related(pointer, d) for d in disagreements):
            set_at(overlay, pointer, value, create=True)
    for pointer in sorted(set(disagreements)):
        found, value = get_at(live, pointer)
        if found and not get_at(overlay, pointer)[0]:
            set_at(overlay, pointer, copy_json(value), create=True)
    return overlay


def is_exported_secret(
    pointer: Pointer,
    value: JSONValue,
    marked: frozenset[Pointer] = frozenset(),
    secret_paths: SecretPaths = registry.IDENTITY.secrets,
) -> bool:
    if not isinstance(value, str) or value == "":
        return False
    return (
        secret_paths.is_sensitive(pointer, marked)
        or any(pattern.search(pointer) for pattern in _MORE_SECRETS)
        or _REDACTED.match(value) is not None
    )


# -- minimal ------------------------------------------------------------------------------


def _drop_fill_ins(config: JSONObject, live: JSONObject) -> None:
    for pointer, filled in ORY_NETWORK_FILL_INS.items():
        found, value = get_at(config, pointer)
        if found and value == filled:
            remove_at(config, pointer)
    _, base_url = get_at(live, PUBLIC_BASE_URL)
    _, allowed = get_at(config, ALLOWED_RETURN_URLS)
    if isinstance(base_url, str) and allowed == [base_url.rstrip("/")]:
        remove_at(config, ALLOWED_RETURN_URLS)


def left_out(live: JSONObject, rules: ExportRules) -> list[tuple[Pointer, JSONValue]]:
    """What ``minimal_config`` leaves out because it names the project's own domain (or,
    in another service, belongs to this project alone)."""
    if rules.per_project:
        config = _without_platform_values(live, rules)
        found = [(pointer, get_at(config, pointer)) for pointer in rules.per_project]
        return [(pointer, value) for pointer, (there, value) in found if there]
    if not rules.network_fill_ins:
        return []
    specific, _ = project_specific(_without_platform_values(live, rules), live)
    return [(pointer, value) for pointer, value in specific if not _needed(pointer, live)]


def to_review(live: JSONObject, rules: ExportRules) -> list[tuple[Pointer, JSONValue]]:
    """What is kept although it names the project's own domain: lists that mix it with other
    values, and what an enabled method needs."""
    if not rules.network_fill_ins:
        return []
    specific, mixed = project_specific(_without_platform_values(live, rules), live)
    needed = [(pointer, value) for pointer, value in specific if _needed(pointer, live)]
    return sorted(mixed + needed, key=lambda found: found[0])


def _needed(pointer: Pointer, live: JSONObject) -> bool:
    """The relying party of an enabled WebAuthn or passkey method: browsers cannot create or
    use credentials without it (lint ``webauthn-rp-missing``)."""
    for method in _RELYING_PARTY_METHODS:
        if is_within(pointer, f"/selfservice/methods/{method}/config/rp"):
            return get_at(live, f"/selfservice/methods/{method}/enabled")[1] is True
    return False


def _without_platform_values(live: JSONObject, rules: ExportRules) -> JSONObject:
    config = copy_json(live)
    for pointer in rules.server_managed:
        remove_at(config, pointer)
    if rules.network_fill_ins:
        _drop_fill_ins(config, live)
    return config


def _prune(value: JSONValue, pointer: Pointer, default_at: DefaultLookup) -> JSONValue | None:
    """``value`` without default-valued keys and empty containers; None when nothing is left.

    Lists are kept whole (they are compared whole), except that an empty one is dropped
    unless its default is not empty.
    """
    if pointer and pointer != SCHEMAS and _is_default(value, pointer, default_at):
        return None
    if isinstance(value, dict):
        kept: JSONObject = {}
        for key in sorted(value):
            child = _prune(value[key], join_pointer(pointer, key), default_at)
            if child is not None:
                kept[key] = child
        return kept or _empty_unless_default_differs(kept, pointer, default_at)
    if isinstance(value, list) and not value:
        return _empty_unless_default_differs([], pointer, default_at)
    if pointer == SCHEMAS and isinstance(value, list):
        # Schemas are matched entry by entry on the keys we write, so defaults can go.
        return [
            _prune_entry(entry, join_pointer(pointer, i), default_at)
            for i, entry in enumerate(value)
        ]
    return value


def _prune_entry(entry: JSONValue, pointer: Pointer, default_at: DefaultLookup) -> JSONValue:
    if not isinstance(entry, dict):
        return entry
    return {
        key: entry[key]
        for key in sorted(entry)
        if not _is_default(entry[key], join_pointer(pointer, key), default_at)
    }


def _is_default(value: JSONValue, pointer: Pointer, default_at: DefaultLookup) -> bool:
    found, default = default_at(pointer)
    if not found:
        return False
    if isinstance(value, str) and isinstance(default, str):
        return same_string(value, default, {})
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    return value == default


def _empty_unless_default_differs(
    empty: JSONValue, pointer: Pointer, default_at: DefaultLookup
) -> JSONValue | None:
    found, default = default_at(pointer) if pointer else (False, None)
    return empty if found and default not in ({}, [], None) else None


# -- overlay ------------------------------------------------------------------------------


def _settable(pointer: Pointer, live: JSONValue) -> Pointer:
    """The pointer an environment can set for a change at ``pointer``: lists are set whole."""
    settable, node = "", live
    for token in split_pointer(pointer):
        if not isinstance(node, dict):
            return settable
        settable = join_pointer(settable, token)
        node = node.get(token)
    return settable


def _related(pointer: Pointer, other: Pointer) -> bool:
    return is_within(pointer, other) or is_within(other, pointer)


def _leaves(value: JSONValue, pointer: Pointer) -> list[tuple[Pointer, JSONValue]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, join_pointer(pointer, k))]
    return [(pointer, value)]
