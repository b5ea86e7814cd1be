"""Identity schemas of an identity config: their content where it can be known offline, and
what their traits mean to Kratos (the ``ory.sh/kratos`` vocabulary, ory-api.md §1e).

Content comes from ``base64://`` URLs (what the CLI and this tool send), from the Ory Network
presets (described below from ory-api.md §1c), or from caller-supplied bytes keyed by URL or by
SHA-512 digest (custom schemas come back from Ory Network as
``https://storage.googleapis.com/<bucket>/<sha512>.json``, ory-api.md §1a transformation 1-2).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler import blobs
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    canonical_bytes,
    get_at,
    join_pointer,
)
from reconciler.limits import loads_json

KRATOS_EXTENSION = "ory.sh/kratos"
PRESET_SCHEME = "preset://"
IDENTIFIER_ANNOTATIONS = (
    "credentials.password.identifier",
    "credentials.webauthn.identifier",
    "credentials.code.identifier",
)


def _preset(trait: str, trait_schema: JSONObject) -> JSONObject:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Person",
        "type": "object",
        "properties": {
            "traits": {
                "type": "object",
                "properties": {trait: trait_schema},
                "required": [trait],
                "additionalProperties": False,
            }
        },
    }


# Our own description of the two presets whose traits ory-api.md §1c documents (decoded from the
# CLI fixture). Only the semantics matter to lint rules: which trait is required and what
# `ory.sh/kratos` says about it. preset://sms, basic and blank are not described there, so they
# stay unresolved rather than guessed.
PRESETS: Mapping[str, JSONObject] = {
    "preset://email": _preset(
        "email",
        {
            "type": "string",
            "format": "email",
            "title": "E-Mail",
            KRATOS_EXTENSION: {
                "credentials": {
                    "password": {"identifier": True},
                    "webauthn": {"identifier": True},
                    "totp": {"account_name": True},
                    "code": {"identifier": True, "via": "email"},
                },
                "recovery": {"via": "email"},
                "verification": {"via": "email"},
            },
        },
    ),
    "preset://username": _preset(
        "username",
        {
            "type": "string",
            "title": "Username",
            KRATOS_EXTENSION: {
                "credentials": {
                    "password": {"identifier": True},
                    "webauthn": {"identifier": True},
                    "totp": {"account_name": True},
                }
            },
        },
    ),
}

Source = Literal["base64", "preset", "contents", "unresolved"]


def canonical_digest(document: JSONValue) -> str:
    """The SHA-512 hex Ory would name ``document`` after if it were sent as canonical JSON
    (as YAML and inline schemas are, and every custom schema was before)."""
    return blobs.sha512_hex(canonical_bytes(document))


@dataclass(frozen=True)
class ResolvedSchema:
    """One ``identity.schemas[]`` entry and, when known offline, its JSON content.

    ``digest`` is the SHA-512 hex of the content bytes (``None`` for presets, whose exact bytes
    Ory owns, and when nothing is known). ``problem`` says why content could not be used.
    """

    id: str
    url: str
    selectable: bool
    content: JSONObject | None
    digest: str | None
    source: Source
    problem: str | None = None

    @functools.cached_property
    def digests(self) -> frozenset[str]:
        """Every name Ory may store this content under: the digest of its bytes and, when
        the content is known, of its canonical JSON (the same schema, serialised our way)."""
        names = {self.digest} if self.digest else set()
        if self.digest and self.content is not None:
            names.add(canonical_digest(self.content))
        return frozenset(names)


def _lookup(url: str, contents: Mapping[str, bytes] | None) -> bytes | None:
    if not contents:
        return None
    if url in contents:
        return contents[url]
    digest = blobs.digest_of(url)
    return contents.get(digest) if digest else None


def _parse(raw: bytes) -> tuple[JSONObject | None, str | None]:
    try:
        parsed = loads_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"identity schema is not valid JSON: {exc}"
    if not isinstance(parsed, dict):
        return None, "identity schema is not a JSON object"
    return parsed, None


def is_preset(entry: JSONValue) -> bool:
    """An Ory preset (``preset://email|username|sms|basic|blank``), by id or url: Ory owns its
    content, so it is neither checked against the meta-schema nor compared by content."""
    item = entry if isinstance(entry, dict) else {}
    return any(str(item.get(key, "")).startswith(PRESET_SCHEME) for key in ("id", "url"))


def resolve_entry(entry: JSONValue, contents: Mapping[str, bytes] | None = None) -> ResolvedSchema:
    """Resolve one ``{id, url, selfservice_selectable}`` entry of ``identity.schemas``."""
    item = entry if isinstance(entry, dict) else {}
    schema_id, url = str(item.get("id", "")), str(item.get("url", ""))
    selectable = item.get("selfservice_selectable") is True
    raw = blobs.decode(url)
    source: Source = "base64"
    if raw is None:
        raw, source = _lookup(url, contents), "contents"
    if raw is not None:
        content, problem = _parse(raw)
        return ResolvedSchema(
            schema_id, url, selectable, content, blobs.sha512_hex(raw), source, problem
        )
    preset = PRESETS.get(url) or PRESETS.get(schema_id)
    if preset is not None:
        return ResolvedSchema(schema_id, url, selectable, preset, None, "preset")
    return ResolvedSchema(schema_id, url, selectable, None, blobs.digest_of(url), "unresolved")


def resolve_schemas(
    identity_config: JSONValue, contents: Mapping[str, bytes] | None = None
) -> list[ResolvedSchema]:
    """Every entry of ``/identity/schemas`` in an identity config, in order."""
    _, entries = get_at(identity_config, "/identity/schemas")
    return [resolve_entry(e, contents) for e in entries] if isinstance(entries, list) else []


# -- traits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trait:
    """One trait of an identity schema.

    ``name`` is the dotted path below ``traits`` (``email``, ``name.first``); ``pointer`` points
    at its schema inside the identity schema; ``required`` is true only when every level up to
    ``traits`` lists it in ``required``; ``annotations`` flattens ``ory.sh/kratos`` into dotted
    keys such as ``credentials.code.identifier`` -> ``True``. ``required_in_parent``: its
    parent object lists it in ``required`` (an identity that has the parent must have it);
    ``schema``: its own schema, local ``$ref`` followed.
    """

    name: str
    pointer: Pointer
    required: bool
    annotations: Mapping[str, JSONValue] = field(default_factory=dict)
    required_in_parent: bool = False
    schema: JSONObject = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_code_identifier(self) -> bool:
        return self.annotations.get("credentials.code.identifier") is True

    @property
    def code_via(self) -> str | None:
        via = self.annotations.get("credentials.code.via")
        return via if isinstance(via, str) else None

    @property
    def identifiers(self) -> tuple[str, ...]:
        """The credential types this trait identifies the user for (password, webauthn, code)."""
        return tuple(
            key.split(".")[1] for key in IDENTIFIER_ANNOTATIONS if self.annotations.get(key) is True
        )


def flatten_annotations(extension: JSONValue, prefix: str = "") -> dict[str, JSONValue]:
    """``{"credentials": {"code": {"via": "sms"}}}`` -> ``{"credentials.code.via": "sms"}``."""
    if not isinstance(extension, dict):
        return {prefix: extension} if prefix else {}
    flat: dict[str, JSONValue] = {}
    for key, value in extension.items():
        flat.update(flatten_annotations(value, f"{prefix}.{key}" if prefix else key))
    return flat


def _deref_local(schema: JSONValue, node: JSONValue) -> JSONValue:
    # Identity schemas may point traits at `#/definitions/...`; remote refs are left alone.
    for _ in range(16):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node
        _, node = get_at(schema, ref[1:])
    return node


def _walk(
    schema: JSONValue, node: JSONValue, pointer: Pointer, prefix: str, required: bool
) -> Iterator[Trait]:
    node = _deref_local(schema, node)
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    listed = node.get("required")
    required_names = set(listed) if isinstance(listed, list) else set()
    for name, sub in properties.items() if isinstance(properties, dict) else []:
        sub_pointer = join_pointer(join_pointer(pointer, "properties"), name)
        sub_node = _deref_local(schema, sub)
        own = sub_node if isinstance(sub_node, dict) else {}
        is_required = required and name in required_names
        dotted = f"{prefix}.{name}" if prefix else name
        extension = own.get(KRATOS_EXTENSION)
        annotations = flatten_annotations(extension or {})
        yield Trait(dotted, sub_pointer, is_required, annotations, name in required_names, own)
        yield from _walk(schema, sub_node, sub_pointer, dotted, is_required)


def traits(identity_schema: JSONValue) -> list[Trait]:
    """Every trait (nested ones included) of an identity schema, in document order."""
    _, root = get_at(identity_schema, "/properties/traits")
    return list(_walk(identity_schema, root, "/properties/traits", "", True))


def code_identifiers(identity_schema: JSONValue) -> list[Trait]:
    """Traits whose value becomes a one-time-code address (ory-api.md §1d-1, §1e)."""
    return [t for t in traits(identity_schema) if t.is_code_identifier]


def required_code_identifiers(identity_schema: JSONValue) -> list[Trait]:
    """Code identifiers every identity has: with ``code.mfa_enabled`` they force 2FA."""
    return [t for t in code_identifiers(identity_schema) if t.required]


def channels_used(identity_schema: JSONValue) -> dict[str, list[tuple[Trait, str]]]:
    """``{"email": [(trait, "credentials.code.via"), ...], "sms": [...]}`` for every ``via``."""
    used: dict[str, list[tuple[Trait, str]]] = {}
    for trait in traits(identity_schema):
        for key, value in trait.annotations.items():
            if key.endswith(".via") and isinstance(value, str):
                used.setdefault(value, []).append((trait, key))
    return used
