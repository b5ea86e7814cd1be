"""Issue 22 item 3 as a user meets it: a Kratos file is judged by the release it names, says
which, and ``validate --kratos-version`` lists what the file must change for another release
(usecases/upgrade.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.official import releases

from conftest import FIXTURES, Run

# A real Kratos v0.8 file (`version: v0.8.0-alpha.3`): tests/fixtures/corpus/SOURCES.md.
V08 = FIXTURES / "corpus" / "quickstart-cloud-v0.8.1-alpha.1"
ENVIRONMENT = """
target:
  kratos_file:
    path: ../deploy/kratos.yml
identity_config:
  selfservice:
    methods:
      password:
        enabled: true
"""


@pytest.fixture
def v08_repo(tmp_path: Path, write: Callable[[str, str], Path]) -> Path:
    (tmp_path / "deploy").mkdir()
    shutil.copyfile(V08 / "kratos.yml", tmp_path / "deploy" / "kratos.yml")
    write("environments/local.yaml", ENVIRONMENT)
    return tmp_path


def test_a_v08_file_validates_against_v08_and_says_so(v08_repo: Path, run: Run) -> None:
    result = run("validate", "local")
    assert result.code == 0, result.err
    assert result.out == "local: valid\n"
    assert "judged by the Kratos v0.8.0-alpha.3 config schema (`version:` of " in result.err
    assert "deploy/kratos.yml is v0.8.0-alpha.3)" in result.err
    assert "[schema]" not in result.err
    planned = run("plan", "local", "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err
    assert "[schema]" not in planned.out + planned.err  # the file is valid for its release


def test_the_upgrade_check_lists_what_the_file_must_change(v08_repo: Path, run: Run) -> None:
    result = run("validate", "local", "--kratos-version", "v26.2.0")
    assert result.code == 1
    assert result.out == "local: invalid\n"
    assert "judged by the Kratos v26.2.0 config schema (--kratos-version is v26.2.0)" in result.err
    lines = [line.strip() for line in result.err.splitlines() if "[schema]" in line]
    assert len(lines) == 2, result.err
    assert all(line.startswith("Error [schema] ") for line in lines)
    # In the order of the file.
    assert "deploy/kratos.yml:15:3: selfservice.whitelisted_return_urls: " in lines[0]
    assert "`selfservice.allowed_return_urls`" in lines[0]
    default_schema_url = "deploy/kratos.yml:69:3: identity.default_schema_url: `default_schema_url`"
    assert default_schema_url in lines[1]
    assert "removed in Kratos v0.9.0-alpha.1: list the schema under `identity.schemas:" in lines[1]
    assert "did you mean" not in result.err
    # The same through the variable, and nothing to change for the file's own release.
    assert run("validate", env={"RECONCILER_KRATOS_VERSION": "v26.2.0"}).code == 1
    own = run("validate", "--kratos-version", "v0.8.0-alpha.3")
    assert own.code == 0, own.err
    assert "[schema]" not in own.err


def test_a_mirrored_file_gets_the_migrations_where_the_environment_says_it(
    tmp_path: Path, run: Run, write: Callable[[str, str], Path]
) -> None:
    # The whole v0.8 file as desired state: its `version:` now comes from the environment.
    (tmp_path / "deploy").mkdir()
    shutil.copyfile(V08 / "kratos.yml", tmp_path / "deploy" / "kratos.yml")
    body = (
        (V08 / "kratos.yml")
        .read_text(encoding="utf-8")
        .replace(
            "file:///etc/config/kratos/identity.schema.json", "https://example.com/id.schema.json"
        )
    )
    indented = "".join(f"  {line}" if line.strip() else line for line in body.splitlines(True))
    write("environments/local.yaml", "target:\n  kratos_file:\n    path: ../deploy/kratos.yml\n")
    with (tmp_path / "environments" / "local.yaml").open("a", encoding="utf-8") as file:
        file.write("identity_config:\n" + indented)
    assert run("validate", "local").code == 0
    result = run("validate", "local", "--kratos-version", "v26.2.0")
    assert result.code == 1
    assert "local.yaml:73:5: identity_config.identity.default_schema_url: " in result.err
    assert "removed in Kratos v0.9.0-alpha.1" in result.err
    assert result.err.count("[schema]") == 2  # each problem once, where the environment says it


def test_a_file_without_version_is_judged_by_the_newest_release(
    tmp_path: Path, run: Run, write: Callable[[str, str], Path]
) -> None:
    write("deploy/kratos.yml", "dsn: memory\nidentity: {default_schema_id: a, schemas: []}\n")
    write("environments/local.yaml", ENVIRONMENT)
    result = run("validate")
    assert result.code == 0, result.err
    newest = releases.newest().tag
    assert f"judged by the Kratos {newest} config schema (no `version:` named" in result.err


def test_a_version_in_the_environment_wins_over_the_file(v08_repo: Path, run: Run) -> None:
    environment = v08_repo / "environments" / "local.yaml"
    environment.write_text(
        environment.read_text(encoding="utf-8").replace(
            "identity_config:\n", "identity_config:\n  version: v26.2.0\n"
        ),
        encoding="utf-8",
    )
    result = run("validate", "local")
    assert "judged by the Kratos v26.2.0 config schema (`version:` of " in result.err
    assert "environments/local.yaml is v26.2.0)" in result.err


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--kratos-version", "0.8"], "'0.8' is no Kratos version"),
        (
            ["--kratos-version", "v0.8.0-alpha.3", "--kratos-schema", "x.json"],
            "--kratos-schema and --kratos-version both say which schema to judge by",
        ),
    ],
)
def test_a_wrong_kratos_version_is_a_usage_error(
    v08_repo: Path, run: Run, arguments: list[str], says: str
) -> None:
    result = run("validate", *arguments)
    assert result.code == 64
    assert says in result.err
    assert "Traceback" not in result.err


def test_an_older_kratos_schema_does_not_invent_findings(v08_repo: Path, run: Run) -> None:
    # Issue 22 item 5: with a v0.7 schema required-aal-invalid said "is None" for keys the file
    # never sets (v0.7 has no required_aal), and default-schema-unknown fired on the
    # default_schema_url era.
    old = next(r for r in releases.releases() if r.tag == "v0.7.4-alpha.1")
    result = run("--kratos-schema", str(old.config), "validate", "local")
    assert result.code == 0, result.err
    assert "required-aal-invalid" not in result.err
    assert "default-schema-unknown" not in result.err
    planned = run("--kratos-schema", str(old.config), "plan", "local")
    assert planned.code == 0, planned.out + planned.err
    assert "is None" not in planned.out + planned.err


def test_kratos_version_says_it_does_not_apply_to_an_ory_network_project(
    run: Run, write: Callable[[str, str], Path]
) -> None:
    project = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
    write("environments/net.yaml", f"target: {{ory_network: {{project: {project}}}}}\n")
    result = run("validate", "--kratos-version", "v0.8.0-alpha.3")
    assert result.code == 0, result.err
    assert "--kratos-version is for Kratos files: an Ory Network project is judged by " in (
        result.err
    )
    assert "judged by the Kratos" not in result.err
