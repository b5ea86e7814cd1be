"""The fast reader of environment files: libyaml's C parser (``ruamel.yaml.clib``) for the
events, turned straight into plain data and the position of every key and list item.

ruamel's round-trip reader is pure Python; for the files ``validate`` and ``plan`` read it is
the largest cost per environment. This module covers the shape real environment files have
(mappings, lists, scalars with string keys, ``!secret``) and answers everything else with
``NotCoveredError``: anchors and aliases, merge keys, other tags, directives, several documents,
duplicate keys, tabs, limits reached and every syntax error. ``yamlio`` then reads the text
with the round-trip reader, so messages and edge cases stay exactly as that reader has them.
Scalars resolve with ruamel's own YAML 1.2 resolver and constructor, as the round-trip reader
does. Without the C extension (``AVAILABLE`` false) ``yamlio`` reads everything the slow way.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.main import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from reconciler.jsontypes import JSONValue, Pointer, join_pointer
from reconciler.limits import Limits

try:  # the C extension is optional: without it every file takes the round-trip reader
    from _ruamel_yaml import CParser
except ImportError:  # pragma: no cover - depends on the installed wheels
    CParser = None

AVAILABLE = CParser is not None
SECRET_TAG = "!secret"
# No value Ory takes is wider than 64 bits (19 digits); past 100 digits an integer is a
# mistake, refused before Python's 4300-digit limit on turning numbers into text is reached.
MAX_INTEGER_DIGITS = 100
_STR, _NULL, _BOOL, _INT, _TIMESTAMP = (
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "null", "bool", "int", "timestamp")
)
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_BOOLEANS["FALSE"] = False
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
# Characters the two readers treat differently: line breaks in YAML 1.1 (libyaml) but not in
# YAML 1.2 (the round-trip reader), a carriage return alone, a byte order mark after the
# start, and tabs, which libyaml takes as separating space where the round-trip reader
# refuses them ("a:<tab>1").
_READ_DIFFERENTLY = re.compile("[\t\x85\u2028\u2029]|\r(?!\n)|(?<!^)\ufeff")
# Block scalars the round-trip reader refuses and libyaml reads: a comment glued to the header
# ("|#"), and a blank first line ("|", "  ", "   text": it wants no line more indented).
_ODD_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]{0,2}(?:#|[ ]*(?:#.*)?\r?\n[ ]*\r?\n)")
_RESOLVER = VersionedResolver()  # YAML 1.2, as the round-trip reader resolves
# It fills its table of patterns on first use; filled here, before threads share it.
_RESOLVER.resolve(ScalarNode, "", (True, False))
_END = object()  # a collection's end event, in place of a value

Positions = dict[Pointer, tuple[int, int]]


class NotCoveredError(Exception):
    """Outside what this reader covers: read the text with the round-trip reader instead."""


class TooManyValuesError(Exception):
    """The document has more values than ``max_nodes``; ``line``/``column`` (1-based) are
    where the first value over the limit starts, as the round-trip reader counts them. Said
    here rather than left to that reader: it would hold every node of a huge file first."""

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.line = mark.line + 1
        self.column = mark.column + 1


def load(text: str, limits: Limits) -> tuple[JSONValue, Positions, set[Pointer]]:
    """Plain data, 1-based (line, column) per pointer, pointers tagged ``!secret``."""
    if CParser is None or _READ_DIFFERENTLY.search(text) or _ODD_BLOCK_SCALAR.search(text):
        raise NotCoveredError
    parser = CParser(text)
    try:
        return _Builder(parser, limits).document()
    except (YAMLError, UnicodeError) as exc:
        raise NotCoveredError from exc
    finally:
        parser.dispose()


class _Builder:
    """Walks the event stream once; nothing of ruamel's node graph is built."""

    def __init__(self, parser: Any, limits: Limits) -> None:
        self._parser = parser
        self._limits = limits
        self._depth = 0
        self._values = 0
        self._constructor: Any = None  # ruamel's, made on the first scalar that needs it
        self.positions: Positions = {}
        self.tagged_secret: set[Pointer] = set()

    def document(self) -> tuple[JSONValue, Positions, set[Pointer]]:
        self._expect(StreamStartEvent)
        start = self._expect(DocumentStartEvent)
        if start.version is not None or start.tags:
            raise NotCoveredError  # %YAML / %TAG directives
        first = self._parser.get_event()
        if isinstance(first, ScalarEvent):
            raise NotCoveredError  # not an environment; a block scalar at column 0 reads apart
        root = self._value(first, "")
        self._expect(DocumentEndEvent)
        self._expect(StreamEndEvent)
        return root, self.positions, self.tagged_secret

    def _expect(self, kind: type) -> Any:
        event = self._parser.get_event()
        if not isinstance(event, kind):
            raise NotCoveredError  # no document, or more than one
        return event

    def _value(self, event: Any, pointer: Pointer) -> Any:
        if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            return _END
        if getattr(event, "anchor", None) is not None:
            raise NotCoveredError  # anchors and aliases (aliases carry their anchor's name)
        self._count(event)
        if isinstance(event, ScalarEvent):
            return self._scalar(event, pointer)
        if event.tag is not None:
            raise NotCoveredError  # a tagged mapping or list
        if isinstance(event, MappingStartEvent):
            return self._nested(self._mapping, pointer)
        if isinstance(event, SequenceStartEvent):
            return self._nested(self._sequence, pointer)
        raise NotCoveredError

    def _nested(self, read: Any, pointer: Pointer) -> Any:
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise NotCoveredError
        value = read(pointer)
        self._depth -= 1
        return value

    def _mapping(self, pointer: Pointer) -> dict[str, JSONValue]:
        result: dict[str, JSONValue] = {}
        while True:
            event = self._parser.get_event()
            if isinstance(event, MappingEndEvent):
                return result
            name = self._key(event)
            if name in result or name == "<<":
                raise NotCoveredError  # duplicate key (the round-trip reader's message), merge key
            child = join_pointer(pointer, name)
            self.positions[child] = (event.start_mark.line + 1, event.start_mark.column + 1)
            result[name] = self._value(self._parser.get_event(), child)

    def _sequence(self, pointer: Pointer) -> list[JSONValue]:
        items: list[JSONValue] = []
        while True:
            event = self._parser.get_event()
            child = join_pointer(pointer, len(items))
            item = self._value(event, child)
            if item is _END:
                return items
            self.positions[child] = (event.start_mark.line + 1, event.start_mark.column + 1)
            items.append(item)

    def _key(self, event: Any) -> str:
        if not isinstance(event, ScalarEvent) or event.anchor is not None or event.tag:
            raise NotCoveredError  # complex, anchored or tagged keys
        if _resolved_tag(event) != _STR:
            raise NotCoveredError  # ``1:``, ``true:``: the round-trip reader names them its way
        self._count(event)
        _require_encodable(event.value)
        return str(event.value)

    def _count(self, event: Any) -> None:
        self._values += 1
        if self._values > self._limits.max_nodes:
            if isinstance(event, ScalarEvent) and event.value == "" and not event.style:
                # An empty value: libyaml marks it where the token before it ends, the
                # round-trip reader where the next one starts. That reader says where.
                raise NotCoveredError
            raise TooManyValuesError(event.start_mark)

    def _scalar(self, event: Any, pointer: Pointer) -> JSONValue:
        if event.tag == SECRET_TAG:
            self.tagged_secret.add(pointer)
            _require_encodable(event.value)
            return str(event.value)
        if event.tag is not None:
            raise NotCoveredError
        tag = _resolved_tag(event)
        value = str(event.value)
        if tag == _STR:
            _require_encodable(value)
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL and value in _BOOLEANS:
            return _BOOLEANS[value]
        if tag == _INT and len(value) > MAX_INTEGER_DIGITS:
            raise NotCoveredError  # the round-trip reader refuses it, at its key
        if tag == _INT and _DECIMAL.match(value):
            return int(value)
        if tag == _TIMESTAMP:
            return value  # YAML 1.2 has no dates: the text, as the round-trip reader reads it
        return self._constructed(tag, event)

    def _constructed(self, tag: str, event: Any) -> JSONValue:
        """Floats, hexadecimal…: exactly as the round-trip reader builds them."""
        if self._constructor is None:
            self._constructor = YAML(typ="rt").constructor
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        value = self._constructor.construct_object(node, deep=True)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise NotCoveredError  # .inf, .nan, 1e400: the round-trip reader refuses them
        if isinstance(value, float):
            return float(value)
        return str(value)


def _resolved_tag(event: Any) -> str:
    return str(_RESOLVER.resolve(ScalarNode, event.value, event.implicit))


def _require_encodable(text: str) -> None:
    """A surrogate (a ``\\ud83d`` escape) is joined or refused by the round-trip path."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotCoveredError from None
