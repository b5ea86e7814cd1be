"""The libyaml reader (``reconciler/yamlio/libyaml.py``) must read every file exactly as ruamel's
round-trip reader does: the same data, the same position for every key and list item, the
same ``!secret`` marks, and for anything it does not cover (errors included) the round-trip
reader's answer. Checked on every real YAML file the repository holds and on generated
documents: block and flow style, tricky scalars, comments, tags, anchors, merge keys."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.limits import DEFAULT_LIMITS, Limits
from reconciler.loading import yamlio
from reconciler.loading.yamlio import libyaml

from conftest import Run
from test_fuzz import DOCUMENTS

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

ROOT = Path(__file__).resolve().parents[2]
REAL_FILES = sorted(
    path
    for folder in ("environments", "examples", "tests/fixtures", "tests/bad_inputs")
    for path in (ROOT / folder).rglob("*")
    if path.suffix in (".yaml", ".yml")
)
EXAMPLES = sorted((ROOT / "environments").glob("*.yaml"))
# Where pyproject.toml makes the C extension a dependency.
_CLIB_REQUIRED = platform.python_implementation() == "CPython" and sys.version_info < (3, 15)


def _answer(read: Any, text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, ...]:
    try:
        document = read(text, limits)
    except yamlio.YamlSyntaxError as error:
        return (type(error).__name__, str(error), error.line, error.column)
    return (document.data, document.positions, document.tagged_secret)


def _assert_same(text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    expected = _answer(yamlio.load_with_positions_roundtrip, text, limits)
    assert _answer(yamlio.load_with_positions, text, limits) == expected, text


def test_the_repository_has_real_files_to_compare() -> None:
    assert len(REAL_FILES) > 40


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_every_real_file_reads_as_the_round_trip_reader_reads_it(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    _assert_same(text)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_the_example_environments_never_need_the_round_trip_reader(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _CLIB_REQUIRED:
        pytest.skip("ruamel.yaml.clib is a dependency on CPython before 3.15 only")
    assert libyaml.AVAILABLE, "ruamel.yaml.clib (libyaml) is a dependency on CPython"

    def refuse(*_: object) -> None:
        raise AssertionError("the round-trip reader was used")

    monkeypatch.setattr(yamlio, "parse_roundtrip", refuse)
    document = yamlio.load_with_positions(path.read_text(encoding="utf-8"))
    assert document.positions


def test_without_libyaml_every_file_takes_the_round_trip_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (ROOT / "environments" / "prod.yaml").read_text(encoding="utf-8")
    expected = _answer(yamlio.load_with_positions, text)
    monkeypatch.setattr(libyaml, "CParser", None)
    with pytest.raises(libyaml.NotCoveredError):
        libyaml.load(text, DEFAULT_LIMITS)
    assert _answer(yamlio.load_with_positions, text) == expected


# Written by hand where the two readers could part: documents, directives, BOM, block
# scalars, escapes, YAML 1.1-only forms (sexagesimal, octal), number spellings, tabs.
EDGE_CASES = [
    "---\na: 1\n...\n",
    "\ufeffa: 1\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: 1\n---\nb: 2\n",
    "",
    "# only a comment\n",
    "a:\n- 1\n- b: 1\n  c: 2\n",
    "a: 'multi\n  line'\nb: plain\n  continued\n",
    'a: "\\x41\\N\\_"\n',
    "a: 0777\nb: 12:30:00\nc: 190:20:30.15\n",
    "a: 1e3\nb: -.5\nc: 1.\nd: .5\ne: 685.230_15e+03\nf: -.inf\ng: .NaN\n",
    "a: 0b1\nb: 0x_1F\nc: 1__2\nd: 00\ne: -0\nf: 9999999999999999999999\n",
    "a: 2024-01-01T10:00:00Z\nb: 1:2\nc: ~x\nd: tRue\n",
    "? a\n: b\n",
    "a: [1, 2,]\nb: {c: }\nc: -\n",
    "a: |+\n  x\n\nb: >\n  x\n\n  y\n",
    "a:\t1\n",
    "a: '\t'\n",
    "a: b\u2028c\n",
    "1.5: a\n",
    # Found by random text: a bare carriage return, a byte order mark inside, a block scalar
    # at the root, a comment glued to a block header, a blank first line in a block scalar.
    "- nulla #\r\ufeff#? x\r",
    "a: 1\n\ufeffb: 2\n",
    ">+\n#''0x1",
    "k: |#x\n  y\n",
    "k: >-\n  \n   # \n",
    # A tagged list (ruamel keeps no positions for its items; the round-trip reader crashed).
    "k: !secret \n- ",
    "k: !secret [a, b]\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_read_as_the_round_trip_reader_reads_them(text: str) -> None:
    _assert_same(text)


SCALARS = [
    "abc",
    "yes",
    "no",
    "on",
    "true",
    "False",
    "TRUE",
    "null",
    "Null",
    "~",
    "",
    "0",
    "012",
    "-7",
    "+3",
    "1_000",
    "0x1F",
    "0o17",
    "0b101",
    "3.5",
    "-1e3",
    ".inf",
    "-.Inf",
    ".nan",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c",
    "https://example.org/a?b=c#d",
    "file://schemas/x.json",
    "${LOGIN_HOOK_KEY}",
    "'single ''quoted'''",
    '"double \\"quoted\\" \\u00e9 \\t"',
    '"\\ud83d\\ude00"',
    "!secret hunter2",
    "!secret",
    "!secret ''",
    "|\n  literal\n   block\n",
    ">-\n  folded\n  text\n",
    "plain # with a comment",
    "multi\n  line plain",
    "[a, 1, {b: c}]",
    "{}",
    "[]",
]
# What the fast reader hands back to the round-trip reader (tags, anchors, non-text keys…).
OTHER_SCALARS = ["!!str 12", "!unknown x", "&anchor shared", "*anchor", "&a {b: 1}", "*a"]
KEYS = ["identity_config", "hooks", "a b", '"quoted"', "'single'", "yes", "on", '"1"']
OTHER_KEYS = ["1", "true", "~", "<<", "? [a]", "&k key", "!secret key"]


def _block(value: Any, indent: int) -> str:
    """``value`` written in block style at ``indent`` spaces (scalars are YAML text already)."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, child in value.items():
            if isinstance(child, str):
                scalar = child.replace("\n", "\n" + pad)
                lines.append(f"{pad}{key}: {scalar}\n")
            else:
                lines.append(f"{pad}{key}:\n{_block(child, indent + 2)}")
        return "".join(lines) or f"{pad}{{}}\n"
    if isinstance(value, list):
        lines = []
        for child in value:
            if isinstance(child, str):
                lines.append(f"{pad}- {child.replace(chr(10), chr(10) + pad + '  ')}\n")
            else:
                nested = _block(child, indent + 2)
                lines.append(f"{pad}- {nested.lstrip(' ')}")
        return "".join(lines) or f"{pad}[]\n"
    return f"{pad}{value}\n"


def _block_documents(scalars: list[str], keys: list[str]) -> st.SearchStrategy[str]:
    values = st.recursive(
        st.sampled_from(scalars),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.sampled_from(keys), children, max_size=4),
        ),
        max_leaves=16,
    )
    top = st.dictionaries(st.sampled_from(keys), values, min_size=1, max_size=4)
    return top.map(lambda value: _block(value, 0))


BLOCK_DOCUMENTS = _block_documents(SCALARS, KEYS)
MIXED_DOCUMENTS = _block_documents(SCALARS + OTHER_SCALARS, KEYS + OTHER_KEYS)
COMPARE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMPARE
@given(text=BLOCK_DOCUMENTS)
def test_generated_block_documents_read_as_the_round_trip_reader_reads_them(text: str) -> None:
    _assert_same(text)


@COMPARE
@given(text=MIXED_DOCUMENTS)
def test_generated_documents_with_tags_anchors_and_odd_keys_read_the_same(text: str) -> None:
    _assert_same(text)


@COMPARE
@given(text=DOCUMENTS)
def test_generated_flow_documents_read_as_the_round_trip_reader_reads_them(text: str) -> None:
    _assert_same(text)


@COMPARE
@given(text=BLOCK_DOCUMENTS, depth=st.integers(1, 6), nodes=st.integers(1, 40))
def test_low_limits_give_the_round_trip_readers_refusal(text: str, depth: int, nodes: int) -> None:
    _assert_same(text, Limits(max_depth=depth, max_nodes=nodes))


# Random text from YAML's significant pieces: how the tabs, carriage returns, byte order marks
# and block-scalar headers above were found.
PIECES = [
    *["a", "1", "0x1", "true", "null", ".5", "~", "é", "<<", "=", "@", "`", "%", "\\"],
    *[":", ": ", "-", "- ", "? ", " ", "  ", "\n", "\n  ", "\n- ", "\r\n", "\r", "\t"],
    *["[", "]", "{", "}", ",", "#", " #", "'", '"', "''", '\\"', "|", ">", "|-", ">+", "|2"],
    *["!secret ", "!", "!!", "&a ", "*a", "---", "...", "\ufeff", "\x7f"],
]
RANDOM_TEXT = st.tuples(
    st.sampled_from(["k: ", "- ", "k:\n  ", "k:\n- ", "{", "[", "k: |\n  ", "k: >-\n  "]),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=24),
).map(lambda parts: parts[0] + "".join(parts[1]))


@settings(COMPARE, max_examples=300)
@given(text=RANDOM_TEXT)
def test_random_text_reads_as_the_round_trip_reader_reads_it(text: str) -> None:
    _assert_same(text)


def test_a_tagged_list_places_its_items_at_the_list() -> None:
    # Found by the random text above: `k: !secret` over a block list raised a TypeError.
    document = yamlio.load_with_positions("k: !secret\n- a\n- b\n")
    assert document.data == {"k": ["a", "b"]}
    assert document.tagged_secret == {"/k"}
    assert document.positions["/k/1"] == (1, 4)


def test_text_that_trips_ruamel_gets_a_message_not_a_crash() -> None:
    # Found by the random text above: ruamel's round-trip reader failed an assertion.
    with pytest.raises(yamlio.YamlSyntaxError, match="could not follow"):
        yamlio.load_with_positions("#''@  '!!@,\r|1 #%:[---")


@pytest.mark.parametrize("text", ["? [a]:\n  - abc\n", "x: {[a]: 1}\n", "? {a: 1}\n: x\n"])
def test_a_list_or_mapping_as_a_key_is_refused_where_it_was_written(
    text: str, write: Any, run: Run
) -> None:
    # Found by the generated documents above: ruamel crashed on an unhashable key.
    write("environments/dev.yaml", text)
    result = run("validate", "dev")
    assert result.code == 1
    assert "Unexpected error" not in result.err and "Traceback" not in result.err
    assert "environments/dev.yaml:1:" in result.err
    assert "a key must be text, not a list or mapping" in result.err


# Every tag ruamel knows, and the spellings that ruamel turned into Python objects, crashes or
# other values (issue 21): read as JSON, or refused at the key they were written under, by
# both readers alike.
TAGGED = [
    ("k: !!str 12", {"k": "12"}),
    ("k: !!int '12'", {"k": 12}),
    ("k: !!float 1.5", {"k": 1.5}),
    ("k: !!bool true", {"k": True}),
    ("k: !!null ''", {"k": None}),
    ("k: !!map {a: 1}", {"k": {"a": 1}}),
    ("k: !!seq [1]", {"k": [1]}),
    ("k: ! text", {"k": "text"}),
    ("k: 2001-12-14t21:59:43.10-05:00", {"k": "2001-12-14t21:59:43.10-05:00"}),
    ("k: 2024-01-01", {"k": "2024-01-01"}),
    ("k: " + "9" * 100, {"k": int("9" * 100)}),
    ("k: !!binary aGVsbG8=", "k: the YAML tag !!binary has no JSON value: write the base64"),
    ("k: !!set {a, b}", "k: the YAML tag !!set has no JSON value: write a list"),
    ("k: !!omap [a: 1]", "k: the YAML tag !!omap has no JSON value: write a mapping"),
    ("!!omap k: 1", "k: the YAML tag !!omap has no JSON value: write a mapping"),
    ("k: !!pairs [a: 1]", "k: the YAML tag !!pairs has no JSON value: write a mapping"),
    ("k: !!timestamp 2024-01-01", "k: the YAML tag !!timestamp has no JSON value"),
    ("k: !!int abc", "k: the tag !!int does not fit this value"),
    ("k: !!float 1", "k: the tag !!float does not fit this value"),
    ("k: !!bool yes", "k: the tag !!bool does not fit this value"),
    ("k: !!null x", "k: the tag !!null does not fit this value"),
    ("k: !!str [a]", "k: the tag !!str does not fit this value"),
    ("k: !!seq {a: 1}", "k: the tag !!seq does not fit this value"),
    ("k: !!python/tuple [1]", "k: unknown YAML tag !!python/tuple"),
    ("k: [!Secret x]", "k[0]: unknown YAML tag !Secret (the only tag reconciler reads is !secret)"),
    ("k: .nan", "k: not a finite number"),
    ("k: {a: -.inf}", "k.a: not a finite number"),
    ("k: 1e400", "k: not a finite number"),
    ("k: " + "9" * 5000, "k: an integer written with 5000 digits; a config number has at most"),
    ("k: 0x" + "f" * 101, "k: an integer written with 101 digits"),
]


@pytest.mark.parametrize(("text", "expected"), TAGGED, ids=[text[:30] for text, _ in TAGGED])
def test_every_tag_reads_as_json_or_is_refused_at_its_key(text: str, expected: Any) -> None:
    _assert_same(text + "\n")
    if isinstance(expected, str):
        with pytest.raises(yamlio.YamlValueError) as refused:
            yamlio.load_with_positions(text + "\n")
        assert str(refused.value).startswith(expected)
        assert refused.value.line == 1 and refused.value.prefix == ""
    else:
        assert yamlio.load_with_positions(text + "\n").data == expected
