"""Tell whether a desired identity schema is already live, and explain how it differs if not.

Live schemas come back as presets with inline ``base64://`` or as content-addressed storage
URLs whose file name is the SHA-512 of the bytes Ory stored (ory-api.md §1a, transformations 1
and 2). We match by content first: the raw digest, or, when the content itself is at hand,
the digest of its canonical JSON (so the same schema serialised differently still matches,
and a live schema named after the canonical JSON of a desired one matches it by name).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler import blobs
from reconciler.comparing.identity_schemas import canonical_digest
from reconciler.comparing.trait_diff import TraitChange, trait_diff
from reconciler.jsontypes import JSONObject, JSONValue
from reconciler.limits import loads_json

PRESET = "preset://"
UNAVAILABLE = "the live content is not available to compare traits"


@dataclass(frozen=True)
class SchemaContent:
    digests: frozenset[str]  # every digest that identifies this content
    document: JSONValue = None  # the parsed schema, when we have its bytes


def content_of(url: str, known: Mapping[str, str], contents: Mapping[str, bytes]) -> SchemaContent:
    raw = blobs.decode(url)
    digest = blobs.digest_of(url, known)
    if raw is None:
        raw = contents.get(url) or (contents.get(digest) if digest else None)
    digests = {digest} if digest else set()
    document, canonical = _parsed(raw) if raw is not None else (None, None)
    if canonical is not None:
        digests.add(canonical)
    return SchemaContent(frozenset(digests), document)


# The same schema contents come back in every environment of plan --all: parsed and hashed
# once per run. The documents are only read (trait diffs), never changed.
@functools.lru_cache(maxsize=128)
def _parsed(raw: bytes) -> tuple[JSONValue, str | None]:
    document = _parse(raw)
    return document, None if document is None else canonical_digest(document)


# Positions of candidate schemas by id, by URL and by content digest.
_Index = tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]


class ContentIndex:
    """Schema contents by URL, each decoded and parsed once per diff.

    A diff compares every desired schema with every live one; without this, each comparison
    decoded and parsed both documents again (quadratic in their size, not only their number).
    """

    def __init__(self, known: Mapping[str, str], contents: Mapping[str, bytes]) -> None:
        self.known = known
        self.contents = contents
        self._cache: dict[str, SchemaContent] = {}
        # id(list) -> (the list, its index): kept with the list so the id cannot be reused.
        self._indexes: dict[int, tuple[Sequence[JSONObject], _Index]] = {}

    def content(self, url: str) -> SchemaContent:
        if url not in self._cache:
            self._cache[url] = content_of(url, self.known, self.contents)
        return self._cache[url]

    def same(self, desired: JSONObject, live: JSONObject) -> bool:
        desired_url, live_url = str(desired.get("url", "")), str(live.get("url", ""))
        if desired_url.startswith(PRESET):
            # Presets are Ory's; live shows their current content inline, under the same id.
            return desired.get("id") == live.get("id")
        if desired_url and desired_url == live_url:
            return True  # the same reference (an https:// URL Ory fetches itself) is the same
        return bool(self.content(desired_url).digests & self.content(live_url).digests)

    def matching(self, desired: JSONObject, candidates: Sequence[JSONObject]) -> list[JSONObject]:
        """The ``candidates`` that are ``same`` as ``desired``, in order. Indexed once per list
        of candidates (by id, URL and digest), so matching n schemas against n live ones costs
        O(n), not n * n comparisons."""
        by_id, by_url, by_digest = self._candidate_index(candidates)
        desired_url = str(desired.get("url", ""))
        if desired_url.startswith(PRESET):
            found = by_id.get(str(desired.get("id")), [])
        else:
            found = list(by_url.get(desired_url, [])) if desired_url else []
            for digest in self.content(desired_url).digests:
                found += by_digest.get(digest, [])
        return [candidates[index] for index in sorted(set(found))]

    def _candidate_index(self, candidates: Sequence[JSONObject]) -> _Index:
        key = id(candidates)
        cached = self._indexes.get(key)
        if cached is not None and cached[0] is candidates:
            return cached[1]
        index: _Index = ({}, {}, {})
        for position, entry in enumerate(candidates):
            url = str(entry.get("url", ""))
            index[0].setdefault(str(entry.get("id")), []).append(position)
            index[1].setdefault(url, []).append(position)
            for digest in self.content(url).digests:
                index[2].setdefault(digest, []).append(position)
        self._indexes[key] = (candidates, index)
        return index

    def trait_changes(
        self, desired: JSONObject, live: JSONObject
    ) -> tuple[TraitChange, ...] | None:
        """Trait-level differences from live to desired; None when a content is unknown."""
        old = self.content(str(live.get("url", ""))).document
        new = self.content(str(desired.get("url", ""))).document
        if old is None or new is None:
            return None
        return tuple(trait_diff(old, new))

    def compare(
        self, desired: JSONObject, live: JSONObject
    ) -> tuple[tuple[str, ...], tuple[TraitChange, ...]]:
        """Trait-level differences from live to desired: one line each, breaking ones marked
        (or why they are unknown), and the changes themselves (none when unknown)."""
        changes = self.trait_changes(desired, live)
        if changes is None:
            return (UNAVAILABLE, *self._where_to_put(live)), ()
        lines = tuple(change.line() for change in changes) or (
            "no trait changes (only other keywords differ)",
        )
        return lines, changes

    def _where_to_put(self, live: JSONObject) -> tuple[str, ...]:
        live_url = str(live.get("url", ""))
        if self.content(live_url).document is not None:
            return ()
        digest = blobs.digest_of(live_url, self.known)
        if digest is None:
            return ()
        return (
            f"a file of this repository with its content (SHA-512 {digest[:16]}…: under "
            "schemas/, or any environment's file:// schema) is read when storage cannot be",
        )


def _parse(raw: bytes | None) -> JSONValue:
    if raw is None:
        return None
    try:
        parsed: JSONValue = loads_json(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed


def urls_worth_fetching(
    desired: JSONObject, live: JSONObject, known: Mapping[str, str]
) -> list[str]:
    """Live schema URLs whose content would tell us more than their name already does.

    Only when some desired custom schema matches no live schema by digest (the live content
    may still be the same, serialised differently, or explain what changed), or when the
    default schema switches (the trait changes from the old default to the new one).
    """
    wanted = [e for e in _schemas(desired) if not str(e.get("url", "")).startswith(PRESET)]
    present = _schemas(live)
    index = ContentIndex(known, {})
    unmatched = [e for e in wanted if not any(index.same(e, p) for p in present)]
    if not unmatched and not _default_switches(desired, live):
        return []
    return [
        str(p["url"])
        for p in present
        if isinstance(p.get("url"), str)
        and blobs.decode(str(p["url"])) is None
        and blobs.digest_of(str(p["url"])) is not None
    ]


def _default_schema_id(config: JSONObject) -> JSONValue:
    identity = config.get("identity")
    return identity.get("default_schema_id") if isinstance(identity, dict) else None


def _default_switches(desired: JSONObject, live: JSONObject) -> bool:
    wanted = _default_schema_id(desired)
    return wanted is not None and wanted != _default_schema_id(live)


def _schemas(config: JSONObject) -> list[JSONObject]:
    identity = config.get("identity")
    schemas = identity.get("schemas") if isinstance(identity, dict) else None
    return [e for e in schemas if isinstance(e, dict)] if isinstance(schemas, list) else []
