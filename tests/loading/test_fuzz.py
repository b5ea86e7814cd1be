"""Structure-aware fuzzing of the two readers that take input from a pull request: the
environment loader (YAML with anchors, aliases, merge keys, tags and deep nesting) and the
saved-plan reader (a real saved plan, mutated and re-sealed so the mutation gets past the
integrity check into the parser).

Each example must end in a value or in the tool's own error (one message for the user), never
in another exception, within a deadline and a memory bound. Bounded by example counts so CI
time stays fixed. Inputs found here are kept as regression cases in tests/bad_inputs/.
"""

from __future__ import annotations

import json
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import ConfigError
from reconciler.loading import loader
from reconciler.loading.validate import validate
from reconciler.plan import planfile, planfile_reader
from reconciler.plan.planfile import PlanFileError

from conftest import Run
from ory_server import OryTestServer

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

PROJECT = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
MEMORY_BYTES = 64 * 1024 * 1024
FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANCHORS = [f"a{i}" for i in range(4)]
WORDS = [
    "identity_config",
    "selfservice",
    "methods",
    "totp",
    "enabled",
    "config",
    "flows",
    "login",
    "after",
    "hooks",
    "hook",
    "web_hook",
    "url",
    "headers",
    "identity",
    "schemas",
    "id",
    "extends",
    "remove",
    "<<",
]
SCALARS = st.one_of(
    st.sampled_from(["true", "1", "-2", "3.5", "null", "~", "''", '"x"', "abc", "2024-01-01"]),
    st.sampled_from([f"*{a}" for a in ANCHORS]),  # defined or not: both must be handled
    st.sampled_from(["!secret abc", "!!binary aGk=", "!!str 1", "!unknown x", "file://x.json"]),
    st.text(alphabet="abc:#&*![]{}\\'\" ", max_size=6).map(json.dumps),
)


def _anchored(fragment: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(["", *[f"&{a} " for a in ANCHORS]]), fragment).map(
        lambda parts: parts[0] + parts[1]
    )


def _collections(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    item = _anchored(children)
    sequence = st.lists(item, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    entry = st.tuples(st.sampled_from(WORDS), item).map(lambda kv: f"{kv[0]}: {kv[1]}")
    mapping = st.lists(entry, max_size=4).map(lambda items: "{" + ", ".join(items) + "}")
    deep = st.tuples(st.integers(0, 260), children).map(
        lambda pair: "[" * pair[0] + pair[1] + "]" * pair[0]
    )
    return st.one_of(sequence, mapping, deep)


FRAGMENTS = st.recursive(SCALARS, _collections, max_leaves=30)
DOCUMENTS = st.tuples(
    st.lists(_anchored(FRAGMENTS), max_size=3), _anchored(FRAGMENTS), st.booleans()
).map(
    lambda parts: (
        "".join(f"x{i}: {value}\n" for i, value in enumerate(parts[0]))
        + ("extends: base.yaml\n" if parts[2] else "")
        + f"identity_config: {parts[1]}\n"
    )
)


def _bounded(check: Any) -> None:
    tracemalloc.start()
    try:
        check()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_BYTES, f"{peak / 2**20:.0f} MB"


@FUZZ
@given(text=DOCUMENTS)
def test_the_loader_answers_every_document_with_data_or_one_located_message(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / "environments").mkdir(exist_ok=True)
    (tmp_path / "environments" / "base.yaml").write_text("identity_config: {}\n")
    (tmp_path / "environments" / "fuzz.yaml").write_text(text, encoding="utf-8")

    def load() -> None:
        try:
            validate(loader.load_environment(tmp_path, "fuzz", {}))
        except ConfigError as error:
            assert error.problems, text
            assert all(problem.strip() for problem in error.problems)

    _bounded(load)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return document


_DELETE = object()
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=8),
        st.sampled_from(["add", "replace", "remove", "/selfservice", "sha256:00", "1"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


def _nested_lists(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


# Deeper than the reader allows, within what json.dumps itself can write (a 50,000-level
# plan is a case of its own in test_hostile.py).
NESTED = st.integers(90, 600).map(_nested_lists)


def test_the_saved_plan_reader_answers_every_mutation_with_a_plan_or_one_message(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.add_project(project_id=PROJECT)
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text(
        f"target: {{ory_network: {{project: {PROJECT}}}}}\n"
        "identity_config:\n  selfservice:\n    methods: {totp: {enabled: true}}\n"
        "    flows: {login: {lifespan: 2h}}\n"
    )
    env = ory_server.cli_env()
    saved = tmp_path / "plan.json"
    assert run("plan", "dev", "--out", str(saved), env=env).code == 0
    original = saved.read_text()
    paths = _paths(json.loads(original))

    @settings(FUZZ, max_examples=300)
    @given(
        path=st.sampled_from(paths),
        new=st.one_of(JSON_VALUES, NESTED, st.just(_DELETE)),
        seal=st.booleans(),
    )
    def mutated(path: tuple[Any, ...], new: Any, seal: bool) -> None:
        if not path and new is _DELETE:
            return
        body = _replace(json.loads(original), path, new)
        if seal and isinstance(body, dict):
            body["integrity"] = planfile.integrity(body)
        text = json.dumps(body)  # compact: the C encoder writes deep values planfile.dumps can't

        def read() -> None:
            try:
                planfile_reader.parse(text, "plan.json")
            except PlanFileError as error:
                assert str(error).startswith("plan.json ")

        _bounded(read)

    mutated()
