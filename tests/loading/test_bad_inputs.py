"""A corpus of broken environment files (tests/bad_inputs/): each one fails with exactly one
located, readable message and exit 1, and nothing is sent to the Ory API.

Every file in tests/bad_inputs/environments/ (except base.yaml, the valid layer they extend)
has its exact message in tests/bad_inputs/expected-messages.txt. Two cases are generated at
test time instead of committed:
a huge environment file and a huge identity schema (over the loader's 5 MiB limit).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.loading.loader import MAX_FILE_BYTES

from conftest import Run
from ory_server import OryTestServer

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"


def _expected_messages() -> dict[str, str]:
    """name -> message lines, from bad_inputs/expected-messages.txt (format described there)."""
    expected: dict[str, list[str]] = {}
    for line in (CORPUS / "expected-messages.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("  "):
            expected[list(expected)[-1]].append(line[2:])
        elif line and not line.startswith("#"):
            expected[line] = []
    return {name: "\n".join(lines) for name, lines in expected.items()}


EXPECTED = _expected_messages()
SECRETS_IN_CORPUS = ("first-secret", "second-secret")


def _message(name: str, root: Path) -> str:
    return EXPECTED[name].replace("<root>", str(root)).replace("<max_bytes>", str(MAX_FILE_BYTES))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus plus the generated huge files, shared by the module's tests."""
    root = tmp_path_factory.mktemp("bad_inputs").resolve()
    shutil.copytree(CORPUS, root, dirs_exist_ok=True)
    padding = "#" * MAX_FILE_BYTES
    (root / "environments" / "huge-file.yaml").write_text(f"identity_config: {{}}\n{padding}\n")
    (root / "schemas" / "huge.schema.json").write_text(f'{{"title": "{padding}"}}')
    (root / "environments" / "huge-schema.yaml").write_text(
        "extends: base.yaml\nidentity_config:\n  identity:\n    default_schema_id: huge\n"
        "    schemas:\n      - id: huge\n        url: file://../schemas/huge.schema.json\n"
    )
    return root


def test_the_corpus_is_large_and_every_file_has_an_expectation(corpus: Path) -> None:
    names = {p.stem for p in (corpus / "environments").glob("*.yaml")} - {"base"}
    assert names == set(EXPECTED)
    assert len(names) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_gives_the_exact_message(
    corpus: Path, run: Run, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(corpus)  # messages show paths relative to the working directory
    result = run("validate", name, root=corpus)
    assert result.code == 1
    lines = (result.out + result.err).splitlines()
    assert lines[0] == f"{name}: invalid"
    assert "\n".join(line.removeprefix("  ") for line in lines[1:]) == _message(name, corpus)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_plan_refuses_without_sending_a_request(
    corpus: Path, run: Run, monkeypatch: pytest.MonkeyPatch, ory_server: OryTestServer, name: str
) -> None:
    monkeypatch.chdir(corpus)
    env = {"ORY_WORKSPACE_API_KEY": ory_server.workspace_key}
    result = run("plan", name, env={**env, "ORY_CONSOLE_API_URL": ory_server.base_url}, root=corpus)
    assert result.code == 1
    assert ory_server.requests == []
    first_line = _message(name, corpus).splitlines()[0]
    assert first_line in result.err
    assert "Traceback" not in result.err and "Unexpected error" not in result.err
    for secret in (*SECRETS_IN_CORPUS, ory_server.workspace_key):
        assert secret not in result.out + result.err
