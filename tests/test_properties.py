"""Property-based: whatever is in an environment file, the tool answers with a message, never
a traceback, and never sends a request for a file that does not validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Run
from ory_server import OryTestServer

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

PROJECT = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
FUZZ = "fuzz"
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Words the loader and the models react to, so random documents reach past the first check.
VOCABULARY = (
    "extends",
    "target",
    "ory_network",
    "kratos_file",
    "project",
    "api_url",
    "path",
    "identity_config",
    "remove",
    "selfservice",
    "methods",
    "totp",
    "code",
    "password",
    "enabled",
    "config",
    "issuer",
    "flows",
    "login",
    "settings",
    "required_aal",
    "after",
    "hooks",
    "hook",
    "web_hook",
    "url",
    "body",
    "identity",
    "schemas",
    "id",
    "default_schema_id",
    "session",
    "lint",
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            PROJECT,
            "base.yaml",
            "aal1",
            "aal2",
            "highest_available",
            "/selfservice/methods/totp",
            "file://../hooks/login.jsonnet",
            "file://../../outside",
            "${LOGIN_HOOK_KEY}",
            "${MISSING}",
            "$$",
            "30m",
            "https://acme.test",
            "base64://e30=",
            "",
        ]
    ),
    st.text(max_size=20),
)
KEYS = st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=12))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


# How every unknown-key message reads (checks/schema_messages.py).
_UNKNOWN_KEY = " is unknown to the "


def _env(server: OryTestServer) -> dict[str, str]:
    return {
        **server.cli_env(),
        "LOGIN_HOOK_KEY": "hook-key-for-tests",
    }


def _check(repo: Path, run: Run, server: OryTestServer, text: str) -> None:
    (repo / "environments" / f"{FUZZ}.yaml").write_text(text, encoding="utf-8")
    server.clear_requests()
    validated = run("validate", FUZZ, env=_env(server))
    assert validated.code in (0, 1)
    assert "Traceback" not in validated.err
    assert "Unexpected error" not in validated.err, validated.err
    planned = run("plan", FUZZ, env=_env(server))
    assert planned.code in (0, 1, 2)
    assert "Traceback" not in planned.err
    assert "Unexpected error" not in planned.err, planned.err
    if validated.code == 1:
        assert planned.code == 1
        assert server.writes() == []
        # Refused before any request, unless the only errors are unknown keys: on Ory Network
        # the live project settles those (issue 22), so plan reads it once and writes nothing.
        if server.requests:
            errors = [line for line in validated.err.splitlines() if "Error [" in line]
            assert errors and all(_UNKNOWN_KEY in line for line in errors), validated.err


@BOUNDED
@given(document=DOCUMENTS)
def test_random_documents_never_crash(
    example_repo: Path, run: Run, ory_server: OryTestServer, document: object
) -> None:
    _check(example_repo, run, ory_server, json.dumps(document, allow_nan=True))


@BOUNDED
@given(text=st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"%@`\t\n ,?abc01$")), max_size=80))
def test_random_yaml_text_never_crashes(
    example_repo: Path, run: Run, ory_server: OryTestServer, text: str
) -> None:
    _check(example_repo, run, ory_server, text)


def _mutations(original: str) -> st.SearchStrategy[str]:
    lines = original.splitlines(keepends=True)
    index = st.integers(min_value=0, max_value=len(lines) - 1)
    position = st.integers(min_value=0, max_value=len(original))
    deleted = index.map(lambda i: "".join(lines[:i] + lines[i + 1 :]))
    duplicated = index.map(lambda i: "".join(lines[: i + 1] + lines[i:]))
    dedented = index.map(lambda i: "".join([*lines[:i], lines[i].lstrip(" "), *lines[i + 1 :]]))
    inserted = st.tuples(position, st.sampled_from(list(":-[]{}\t#&*!$'\"\x00\\ \n"))).map(
        lambda p: original[: p[0]] + p[1] + original[p[0] :]
    )
    replaced = st.tuples(index, SCALARS).map(
        lambda p: "".join(
            [
                *lines[: p[0]],
                f"{lines[p[0]].split(':')[0]}: {json.dumps(p[1])}\n",
                *lines[p[0] + 1 :],
            ]
        )
    )
    return st.one_of(deleted, duplicated, dedented, inserted, replaced)


@pytest.mark.parametrize("source", ["dev", "local"])
def test_mutated_valid_environments_never_crash(
    example_repo: Path, run: Run, ory_server: OryTestServer, source: str
) -> None:
    original = (example_repo / "environments" / f"{source}.yaml").read_text(encoding="utf-8")

    @settings(BOUNDED, max_examples=40)  # each valid mutation costs a full plan
    @given(text=_mutations(original))
    def mutated(text: str) -> None:
        _check(example_repo, run, ory_server, text)

    mutated()
