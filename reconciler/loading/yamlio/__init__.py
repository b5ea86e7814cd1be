"""The one place ruamel.yaml is configured (this package: here and ``libyaml.py``).

Two readers: ``load_with_positions`` for environment files (plain data plus the line and column
of every key; libyaml's C parser where it covers the text, see ``libyaml.py``) and
``parse_roundtrip``/``dump_roundtrip`` for files we rewrite in place (Kratos config files),
which keeps comments, key order and formatting.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler import suggest
from reconciler.jsontypes import JSONValue, Pointer, dotted_key, join_pointer
from reconciler.limits import DEFAULT_LIMITS, Limits, too_many_values
from reconciler.loading.yamlio import libyaml
from reconciler.loading.yamlio.libyaml import MAX_INTEGER_DIGITS, SECRET_TAG

Position = tuple[int, int]  # 1-based line and column


class YamlSyntaxError(Exception):
    """The text is not valid YAML; ``line``/``column`` are 1-based when known."""

    prefix = "invalid YAML: "  # how a message about the text starts

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class YamlLimitError(YamlSyntaxError):
    """Valid YAML, but nested too deeply or too large once its aliases are expanded."""

    prefix = ""


class YamlValueError(YamlSyntaxError):
    """Valid YAML, but a value JSON cannot carry: a tag with no JSON form (``!!binary``,
    ``!!set``…), a tag that does not fit its text, a number out of range. The message starts
    with the key it was written under."""

    prefix = ""


@dataclass
class PositionedDocument:
    """Plain JSON data plus where each pointer's key (or list item) was written."""

    data: JSONValue
    positions: dict[Pointer, Position] = field(default_factory=dict)
    # Pointers whose value was a YAML scalar tagged ``!secret``.
    tagged_secret: set[Pointer] = field(default_factory=set)


def _bounded_composer(limits: Limits) -> type[Composer]:
    """A composer that refuses deep nesting, alias bombs and documents of too many values
    while the document is composed, before anything expands: ruamel composes recursively
    (deep nesting would end in a RecursionError), aliases cost nothing until the document is
    copied into plain data, and a node costs far more memory than the value it becomes
    (``_Tally``)."""

    class BoundedComposer(Composer):
        def __init__(self, loader: Any = None) -> None:
            super().__init__(loader)
            self.warn_double_anchors = False  # legal YAML (the later anchor wins); not ours to warn
            self._nesting = 0
            self._tally = _Tally(limits)
            self._path: list[str] = []  # the keys and indexes down to the node being composed

        def compose_node(self, parent: Any, index: Any) -> Any:
            # Only mappings and sequences nest; a key or scalar adds no level.
            event = self.parser.peek_event()
            _refuse_alias_inside_itself(event, self.anchors)
            self._tally.count(event, self.anchors)
            level = isinstance(event, CollectionStartEvent)
            self._nesting += level
            self._path.append(_path_segment(parent, index, event))
            try:
                if self._nesting > limits.max_depth:
                    raise _limit_error(
                        f"nested deeper than {limits.max_depth} levels", event.start_mark
                    )
                node = super().compose_node(parent, index)
                if not isinstance(event, AliasEvent):  # an alias's node was checked already
                    _refuse_non_json(event, node, self.resolver, self._path)
            finally:
                self._nesting -= level
                self._path.pop()
            _refuse_collection_keys(node)
            self._tally.composed(node)
            return node

    return BoundedComposer


class _Tally:
    """Values and aliases of one document, counted as it is composed: an alias counts as all
    the values it stands for, and the first value over the limit stops the reader, so a 5 MiB
    list is refused after ``max_nodes`` items, not after all of them are held as nodes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.values = 0  # in the document so far, aliases expanded
        self.aliases = 0
        self.expanded: dict[int, int] = {}  # id(node) -> values once aliases expand

    def count(self, event: Any, anchors: dict[str, Node]) -> None:
        """Count the node ``event`` starts, or refuse it."""
        limits = self.limits
        if isinstance(event, AliasEvent):
            self.aliases += 1
            if self.aliases > limits.max_aliases:
                raise _limit_error(f"more than {limits.max_aliases} YAML aliases", event.start_mark)
            target = anchors.get(event.anchor)
            self.values += 1 if target is None else self.expanded.get(id(target), 1)
        else:
            self.values += 1
        if self.values > limits.max_nodes:
            raise _limit_error(too_many_values(limits.max_nodes), event.start_mark)

    def composed(self, node: Node) -> None:
        """Remember the expanded size of ``node``: what an alias to it will count."""
        if id(node) in self.expanded:
            return
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self.expanded.get(id(child), 1) for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(
                self.expanded.get(id(key), 1) + self.expanded.get(id(value), 1)
                for key, value in node.value
            )
        self.expanded[id(node)] = size


_TOKEN_START = frozenset(" \t\n[{,:-")
_FLOW_SIGNIFICANT = re.compile(r"[\n'\"#\[\]{}\\]")


def _check_flow_nesting(text: str, max_depth: int) -> None:
    """Refuse ``[[[[…`` / ``{{{{…`` nested deeper than ``max_depth`` in one linear pass.

    ruamel's scanner costs time proportional to the flow nesting level for every token, so
    5,000 brackets take seconds and 50,000 take minutes before the composer's own depth check
    is reached. Quoted text and comments are skipped; a bracket inside a plain scalar may be
    counted, which only matters for text with over ``max_depth`` unclosed brackets.
    """
    depth, quote, skip_to = 0, "", 0
    for match in _FLOW_SIGNIFICANT.finditer(text):
        index, char = match.start(), match.group()
        if index < skip_to:
            continue
        if quote or char not in "[]{}":
            quote, skip_to = _skip_quoted_or_comment(text, index, quote)
            continue
        depth = depth + 1 if char in "[{" else max(0, depth - 1)
        if depth > max_depth:
            line = text.count("\n", 0, index) + 1
            column = index - text.rfind("\n", 0, index)
            raise YamlLimitError(f"nested deeper than {max_depth} levels", line, column)


def _skip_quoted_or_comment(text: str, index: int, quote: str) -> tuple[str, int]:
    """The quote still open after ``text[index]``, and where scanning resumes."""
    char = text[index]
    previous = text[index - 1] if index else "\n"
    if quote:
        if char == "\\" and quote == '"':
            return quote, index + 2
        return ("" if char == quote else quote), index + 1
    if char in "'\"" and previous in _TOKEN_START:
        return char, index + 1
    if char == "#" and previous in " \t\n":
        newline = text.find("\n", index)
        return "", len(text) if newline < 0 else newline
    return "", index + 1


def _refuse_alias_inside_itself(event: Any, anchors: dict[str, Node]) -> None:
    """ruamel crashes on a value that merges or contains itself (``&a {<<: *a}``). It
    registers a collection's anchor before its items and sets its end mark after them, so an
    alias to a collection without an end mark is inside that collection."""
    if not isinstance(event, AliasEvent):
        return
    target = anchors.get(event.anchor)
    if isinstance(target, (MappingNode, SequenceNode)) and target.end_mark is None:
        mark = event.start_mark
        raise YamlSyntaxError(
            f"the alias *{event.anchor} refers to a value it is inside of",
            mark.line + 1,
            mark.column + 1,
        )


_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
# The tags JSON has a value for: a scalar one must fit its text, a collection one its kind.
_SCALAR_TAGS = frozenset(_CORE + kind for kind in ("str", "int", "float", "bool", "null"))
_COLLECTION_TAGS = {_CORE + "map": MappingNode, _CORE + "seq": SequenceNode}
# YAML types with no JSON value, and what to write instead.
_INSTEAD = {
    "binary": "write the base64 text as a plain string",
    "set": "write a list",
    "omap": "write a mapping",
    "pairs": "write a mapping",
    "timestamp": "write the date without the tag (it is text)",
}
_BASE_PREFIX = re.compile(r"0[xob]", re.IGNORECASE)


def _path_segment(parent: Any, index: Any, event: Any) -> str:
    """The key (a mapping value's key node), list index, or the text of a key being composed
    (``index`` is None for a key, and for the document root)."""
    if isinstance(index, ScalarNode):
        return str(index.value)
    if isinstance(index, int):
        return str(index)
    return str(event.value) if parent is not None and isinstance(event, ScalarEvent) else ""


def _refuse_non_json(event: Any, node: Node, resolver: Any, path: list[str]) -> None:
    """Refuse, where it was written, a value that has no JSON form: ruamel would build a Python
    object (bytes, a set, a datetime), crash (``!!int abc``, a 5000-digit integer) or turn it
    into something else (``!!null x``, ``.inf``)."""
    problem = _explicit_tag_problem(event, node, resolver) or _number_problem(node)
    if problem is None:
        return
    key = dotted_key("".join(join_pointer("", segment) for segment in path if segment))
    mark = node.start_mark
    raise YamlValueError(f"{key}: {problem}" if key else problem, mark.line + 1, mark.column + 1)


def _explicit_tag_problem(event: Any, node: Node, resolver: Any) -> str | None:
    tag = getattr(event, "tag", None)
    if tag in (None, "!", SECRET_TAG):  # none, YAML's non-specific tag, ours
        return None
    tag = str(tag)
    shown = "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag
    if tag in _COLLECTION_TAGS or tag in _SCALAR_TAGS:
        if _tag_fits(tag, node, resolver):
            return None
        return f"the tag {shown} does not fit this value; write the value without the tag"
    instead = _INSTEAD.get(tag.removeprefix(_CORE)) if tag.startswith(_CORE) else None
    if instead is not None:
        return f"the YAML tag {shown} has no JSON value: {instead}"
    close = suggest.closest(tag, [SECRET_TAG])
    hint = f"; did you mean {SECRET_TAG}?" if close else ""
    return f"unknown YAML tag {shown} (the only tag reconciler reads is {SECRET_TAG}){hint}"


def _tag_fits(tag: str, node: Node, resolver: Any) -> bool:
    """A JSON tag may only say what the value already is (``!!str`` makes any scalar text)."""
    if tag in _COLLECTION_TAGS:
        return isinstance(node, _COLLECTION_TAGS[tag])
    if not isinstance(node, ScalarNode):
        return False
    return tag == _STR or str(resolver.resolve(ScalarNode, node.value, (True, False))) == tag


def _number_problem(node: Node) -> str | None:
    if not isinstance(node, ScalarNode):
        return None
    tag = _tag_of(node)
    if tag == _CORE + "int":
        digits = _BASE_PREFIX.sub("", str(node.value).lstrip("+-").replace("_", ""), count=1)
        if len(digits) > MAX_INTEGER_DIGITS:
            return (
                f"an integer written with {len(digits)} digits; a config number has at most "
                f"{MAX_INTEGER_DIGITS}"
            )
    if tag == _CORE + "float" and not _finite(str(node.value)):
        return "not a finite number (.inf, .nan, or beyond ±1.8e308): JSON has no such number"
    return None


def _finite(text: str) -> bool:
    """Whether a YAML 1.2 float is finite: without underscores its text is Python's float
    syntax, apart from ``.inf`` and ``.nan``."""
    plain = text.replace("_", "").lower()
    if plain.lstrip("+-") in (".inf", ".nan"):
        return False
    try:
        return math.isfinite(float(plain))
    except ValueError:
        return True  # not a number ruamel would read as a float: not ours to judge


def _refuse_collection_keys(node: Node) -> None:
    """A list or mapping as a key (``? [a]: b``) has no JSON form, and ruamel crashes on some
    (an unhashable key): refuse it where it was written."""
    if not isinstance(node, MappingNode):
        return
    for key, _ in node.value:
        if isinstance(key, (MappingNode, SequenceNode)):
            mark = key.start_mark
            raise YamlSyntaxError(
                "a key must be text, not a list or mapping", mark.line + 1, mark.column + 1
            )


def _limit_error(problem: str, mark: Any) -> YamlLimitError:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return YamlLimitError(problem, line, column)


class _PlainConstructor(RoundTripConstructor):
    """The round-trip constructor for reading plain data: YAML 1.2 has no timestamps (ruamel
    still resolves ``2024-01-01`` as one), so a date is the text written, not a datetime."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        return str(node.value)


_PlainConstructor.add_constructor(_CORE + "timestamp", _PlainConstructor.construct_yaml_timestamp)


def _roundtrip_yaml(limits: Limits = DEFAULT_LIMITS, *, plain: bool = False) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Composer = _bounded_composer(limits)
    if plain:
        yaml.Constructor = _PlainConstructor
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


def parse_roundtrip(text: str, limits: Limits = DEFAULT_LIMITS, *, plain: bool = False) -> Any:
    """Parse YAML keeping comments and layout; raises ``YamlSyntaxError`` (``YamlLimitError``
    when the document is nested too deeply or too large once aliases are expanded,
    ``YamlValueError`` for a value JSON cannot carry). ``plain``: dates stay text."""
    _check_flow_nesting(text, limits.max_depth)
    try:
        return _roundtrip_yaml(limits, plain=plain).load(text)
    except YAMLError as exc:
        raise _syntax_error(exc) from None
    except AssertionError:  # ruamel's comment bookkeeping trips on some broken text
        raise YamlSyntaxError("invalid YAML: the reader could not follow this text") from None


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


def load_with_positions(text: str, limits: Limits = DEFAULT_LIMITS) -> PositionedDocument:
    """Parse YAML into plain data and a pointer -> (line, column) map: libyaml reads what it
    covers (``yamlio/libyaml.py``), the round-trip reader everything else, errors included."""
    _check_flow_nesting(text, limits.max_depth)
    try:
        data, positions, tagged_secret = libyaml.load(text, limits)
    except libyaml.NotCoveredError:
        return load_with_positions_roundtrip(text, limits)
    except libyaml.TooManyValuesError as exc:  # where the round-trip reader would stop too
        raise YamlLimitError(too_many_values(limits.max_nodes), exc.line, exc.column) from None
    return PositionedDocument(data, positions, tagged_secret)


def load_with_positions_roundtrip(text: str, limits: Limits = DEFAULT_LIMITS) -> PositionedDocument:
    """``load_with_positions`` on ruamel's round-trip reader alone: the reference that
    ``libyaml`` must agree with."""
    root = parse_roundtrip(text, limits, plain=True)
    doc = PositionedDocument(data=None)
    doc.data = _to_plain(root, "", doc)
    return doc


def _to_plain(node: Any, pointer: Pointer, doc: PositionedDocument) -> JSONValue:
    if getattr(node, "tag", None) is not None and _tag_of(node) == "!secret":
        doc.tagged_secret.add(pointer)
    if isinstance(node, CommentedMap):
        result: dict[str, JSONValue] = {}
        for key in node:
            line, column = _key_position(node, key)
            name = _unicode_text(str(key), line, column)
            child = join_pointer(pointer, name)
            doc.positions[child] = (line + 1, column + 1)
            result[name] = _unicode(_to_plain(node[key], child, doc), line, column)
        return result
    if isinstance(node, CommentedSeq):
        items: list[JSONValue] = []
        for index, item in enumerate(node):
            child = join_pointer(pointer, index)
            line, column = _item_position(node, index)
            doc.positions[child] = (line + 1, column + 1)
            items.append(_unicode(_to_plain(item, child, doc), line, column))
        return items
    return _scalar(node)


def _key_position(node: CommentedMap, key: Any) -> tuple[int, int]:
    """Where ``key`` was written; a key merged in with ``<<`` has no position of its own in
    ruamel's map, so it gets its mapping's."""
    try:
        position = node.lc.key(key)
    except KeyError:
        position = None
    if position is None:
        return int(node.lc.line or 0), int(node.lc.col or 0)
    return int(position[0]), int(position[1])


def _item_position(node: CommentedSeq, index: int) -> tuple[int, int]:
    """Where item ``index`` was written; ruamel keeps no item positions in a tagged list
    (``k: !secret [a]``), so its items get the list's."""
    position = (node.lc.data or {}).get(index)
    if position is None:
        return int(node.lc.line or 0), int(node.lc.col or 0)
    return int(position[0]), int(position[1])


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
    # Text, and a ``!secret`` scalar (ruamel's TaggedScalar): what is not JSON was refused
    # while the document was composed (``_refuse_non_json``).
    return str(node)
