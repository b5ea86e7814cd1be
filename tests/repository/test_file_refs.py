"""repository/file_refs.py: one rule for every ``file://`` reference, read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError, Location
from reconciler.repository import file_refs
from reconciler.targets.kratos_file import KratosFile

WHERE = Location("environments/dev.yaml", 3, 7, "identity_config.a")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "environments").mkdir()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "person.json").write_text("{}", encoding="utf-8")
    (tmp_path.parent / "outside.json").write_text("{}", encoding="utf-8")
    return tmp_path


def test_a_reference_names_a_file_relative_to_the_folder_of_the_file_that_writes_it(
    repo: Path,
) -> None:
    folder = repo / "environments"
    found = file_refs.resolve(repo, folder, "file://../schemas/person.json", WHERE)
    assert found == (repo / "schemas" / "person.json").resolve()
    assert file_refs.reference(found, folder) == "file://../schemas/person.json"
    assert file_refs.reference("./schemas/person.json") == "file://./schemas/person.json"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("file://../../outside.json", "points outside the repository"),
        ("file://../schemas", "is a directory, not a file"),
        ("file://../schemas/missing.json", "no such file"),
    ],
)
def test_a_reference_outside_the_repository_or_to_no_file_is_refused_where_it_was_written(
    repo: Path, written: str, says: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        file_refs.resolve(repo, repo / "environments", written, WHERE)
    assert str(refused.value).startswith("environments/dev.yaml:3:7: identity_config.a: ")
    assert says in str(refused.value)


def test_a_link_that_leaves_the_repository_is_refused(repo: Path) -> None:
    (repo / "schemas" / "linked.json").symlink_to(repo.parent / "outside.json")
    with pytest.raises(ConfigError, match="points outside the repository"):
        file_refs.resolve(repo, repo / "schemas", "file://linked.json", None)


def test_a_kratos_file_reads_its_own_references_by_the_same_rule(repo: Path) -> None:
    kratos = KratosFile(repo / "environments" / "kratos.yml", repo)
    assert kratos.linked_file("file://../schemas/person.json") is not None
    assert kratos.linked_file("file://../../outside.json") is None  # never read, no error
    assert kratos.linked_file("https://example.com/person.json") is None
