"""The one place ruamel.yaml is configured.

Two readers: ``load_with_positions`` for environment files (plain data plus the line and column
of every key) and ``load_roundtrip``/``dump_roundtrip`` for files we rewrite in place (Kratos
config files), which keeps comments, key order and formatting.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.jsontypes import JSONValue, Pointer, join_pointer

Position = tuple[int, int]  # 1-based line and column


class YamlSyntaxError(Exception):
    """The text is not valid YAML; ``line``/``column`` are 1-based when known."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class PositionedDocument:
    """Plain JSON data plus where each pointer's key (or list item) was written."""

    data: JSONValue
    positions: dict[Pointer, Position] = field(default_factory=dict)
    # Pointers whose value was a YAML scalar tagged ``!secret``.
    tagged_secret: set[Pointer] = field(default_factory=set)


def _roundtrip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.allow_duplicate_keys = False
    return yaml


_DUPLICATE_KEY = re.compile(r'^found duplicate key "(.*?)" with value')


def _syntax_error(exc: YAMLError) -> YamlSyntaxError:
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        duplicate = _DUPLICATE_KEY.match(problem)
        if duplicate:  # ruamel quotes both values, which may be secrets: never show them
            problem, context = f'found duplicate key "{duplicate.group(1)}"', ""
        elif "'\\t'" in problem:
            context = " (YAML does not allow tabs for indentation: use spaces)"
        return YamlSyntaxError(f"{problem}{context}", mark.line + 1, mark.column + 1)
    return YamlSyntaxError(str(exc).splitlines()[0] if str(exc) else "invalid YAML")


def parse_roundtrip(text: str) -> Any:
    """Parse YAML keeping comments and layout; raises ``YamlSyntaxError``."""
    try:
        return _roundtrip_yaml().load(text)
    except YAMLError as exc:
        raise _syntax_error(exc) from None


def dump_roundtrip(document: Any, *, like: str = "") -> str:
    """Dump a round-trip document, indenting sequences the way ``like`` (the original) did."""
    _forget_comments_of_emptied(document)
    yaml = _roundtrip_yaml()
    offset = _sequence_dash_offset(like)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


_KEY_LINE = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")
_DASH_LINE = re.compile(r"^( *)- ")


def _sequence_dash_offset(text: str) -> int:
    """How far a block sequence's dashes sit right of their parent key (0 or 2, usually)."""
    previous_key_indent = None
    for line in text.splitlines():
        dash = _DASH_LINE.match(line)
        if dash and previous_key_indent is not None:
            return max(0, len(dash.group(1)) - previous_key_indent)
        key = _KEY_LINE.match(line)
        previous_key_indent = len(key.group(1)) if key else None
    return 0


def _forget_comments_of_emptied(node: Any, parent: Any = None, key: Any = None) -> None:
    # Comments that introduced keys which are gone would otherwise be printed where the
    # emptied container's ``{}`` goes, which breaks the YAML.
    if isinstance(node, (CommentedMap, CommentedSeq)):
        children = node.values() if isinstance(node, CommentedMap) else node
        if isinstance(node, CommentedMap):
            for child_key in list(node):
                _forget_comments_of_emptied(node[child_key], node, child_key)
        else:
            for index, child in enumerate(children):
                _forget_comments_of_emptied(child, node, index)
        if len(node) == 0:
            node.ca.comment = None
            if parent is not None and key in parent.ca.items:
                del parent.ca.items[key]


def dump_plain(data: JSONValue) -> str:
    """Render plain JSON data as block-style YAML (for ``render`` and ``export``)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def load_with_positions(text: str) -> PositionedDocument:
    """Parse YAML into plain data and a pointer -> (line, column) map."""
    root = parse_roundtrip(text)
    doc = PositionedDocument(data=None)
    doc.data = _to_plain(root, "", doc)
    return doc


def _to_plain(node: Any, pointer: Pointer, doc: PositionedDocument) -> JSONValue:
    if getattr(node, "tag", None) is not None and _tag_of(node) == "!secret":
        doc.tagged_secret.add(pointer)
    if isinstance(node, CommentedMap):
        result: dict[str, JSONValue] = {}
        for key in node:
            line, column = node.lc.key(key)
            name = _unicode_text(str(key), line, column)
            child = join_pointer(pointer, name)
            doc.positions[child] = (line + 1, column + 1)
            result[name] = _unicode(_to_plain(node[key], child, doc), line, column)
        return result
    if isinstance(node, CommentedSeq):
        items: list[JSONValue] = []
        for index, item in enumerate(node):
            child = join_pointer(pointer, index)
            line, column = node.lc.item(index)
            doc.positions[child] = (line + 1, column + 1)
            items.append(_unicode(_to_plain(item, child, doc), line, column))
        return items
    return _scalar(node)


def _unicode(value: JSONValue, line: int, column: int) -> JSONValue:
    return _unicode_text(value, line, column) if isinstance(value, str) else value


def _unicode_text(text: str, line: int, column: int) -> str:
    """JSON-style surrogate pairs (``"\\ud83d\\ude00"``) joined into the character they
    encode; a lone surrogate refused: no UTF-8 file or JSON request can carry it."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise YamlSyntaxError(
            "a \\u escape in this text is half of a surrogate pair (\\ud800-\\udfff), "
            "not a character",
            line + 1,
            column + 1,
        ) from None


def _tag_of(node: Any) -> str | None:
    tag = node.tag
    value = getattr(tag, "value", tag)
    return value if isinstance(value, str) else None


def _scalar(node: Any) -> JSONValue:
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    # Dates, binary and other YAML-only types have no JSON form; keep their text so the
    # validator reports a type error at the right place instead of crashing here.
    return str(node)
