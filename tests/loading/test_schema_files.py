"""Issue 25 item 2: the repository's identity schema files, found by the digest Ory names
their content after; never a file outside the repository."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler import blobs
from reconciler.jsontypes import canonical_bytes
from reconciler.limits import DEFAULT_LIMITS
from reconciler.loading.schema_files import declared_contents

from conftest import KRATOS

Write = Callable[[str, str], Path]
QUICKSTART = KRATOS / "contrib/quickstart/kratos/email-password/identity.schema.json"
RAW = QUICKSTART.read_bytes()
CANONICAL = canonical_bytes(json.loads(RAW))


def test_a_file_under_schemas_matches_by_its_bytes_and_its_canonical_json(
    tmp_path: Path, write: Write
) -> None:
    write("schemas/nested/person.json", RAW.decode())
    wanted = [blobs.sha512_hex(RAW), blobs.sha512_hex(CANONICAL), "0" * 128]
    found = declared_contents(tmp_path, wanted)
    assert found == {blobs.sha512_hex(RAW): RAW, blobs.sha512_hex(CANONICAL): CANONICAL}


def test_a_yaml_file_an_environment_references_matches_by_its_canonical_json(
    tmp_path: Path, write: Write
) -> None:
    from reconciler.loading.yamlio import dump_plain

    write("identity/person.yaml", dump_plain(json.loads(RAW)))
    write(
        "environments/prod.yaml",
        "identity_config:\n  identity:\n    schemas:\n"
        "      - {id: person, url: 'file://../identity/person.yaml'}\n",
    )
    digest = blobs.sha512_hex(CANONICAL)
    assert declared_contents(tmp_path, [digest]) == {digest: CANONICAL}


@pytest.mark.hostile
def test_references_leaving_the_repository_and_oversized_files_are_skipped(
    tmp_path: Path,
) -> None:
    repository = tmp_path / "repo"
    (tmp_path / "secret.json").write_bytes(RAW)  # beside the repository, not in it
    (repository / "environments").mkdir(parents=True)
    (repository / "environments" / "dev.yaml").write_text(
        "identity_config: {identity: {schemas: [{id: x, url: 'file://../../secret.json'}]}}\n"
    )
    big = b"{" + b" " * DEFAULT_LIMITS.max_file_bytes + b"}"
    (repository / "schemas").mkdir()
    (repository / "schemas" / "big.json").write_bytes(big)
    wanted = [blobs.sha512_hex(RAW), blobs.sha512_hex(big)]
    assert declared_contents(repository, wanted) == {}


def test_an_unparsable_environment_or_schema_is_no_candidate(tmp_path: Path, write: Write) -> None:
    write("environments/broken.yaml", "identity_config: [unclosed\n")
    write("schemas/broken.yaml", "{: nope")
    assert declared_contents(tmp_path, [blobs.sha512_hex(RAW)]) == {}


@pytest.mark.hostile
def test_an_environment_file_linked_from_outside_is_not_read(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    (repository / "environments").mkdir(parents=True)
    (repository / "legacy").mkdir()
    (repository / "legacy" / "person.json").write_bytes(RAW)
    outside = tmp_path / "outside.yaml"  # names a file inside: read only if it were trusted
    outside.write_text(
        "identity_config: {identity: {schemas: [{url: 'file://../legacy/person.json'}]}}\n"
    )
    (repository / "environments" / "dev.yaml").symlink_to(outside)
    assert declared_contents(repository, [blobs.sha512_hex(RAW)]) == {}
    (repository / "environments" / "dev.yaml").unlink()
    (repository / "environments" / "dev.yaml").write_text(outside.read_text())
    assert declared_contents(repository, [blobs.sha512_hex(RAW)]) == {blobs.sha512_hex(RAW): RAW}


def test_plan_all_resolves_the_repositorys_files_once_not_once_per_environment(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # plan --all looks the candidates up for every environment: resolving every environment
    # file each time made 200 environments cost 40,000 resolutions (8 s of a 10 s run).
    from reconciler.repository import file_refs

    write("schemas/person.json", RAW.decode())
    for index in range(20):
        write(f"environments/env{index}.yaml", "extends: base.yaml\n")
    resolved: list[str] = []
    original = file_refs.resolve

    def counting(*args: object, **kwargs: object) -> Path:
        resolved.append(str(args[2]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(file_refs, "resolve", counting)
    wanted = [blobs.sha512_hex(RAW)]
    assert declared_contents(tmp_path, wanted) == {wanted[0]: RAW}
    first = len(resolved)
    assert first >= 21  # each environment file and the schema, once
    assert declared_contents(tmp_path, wanted) == {wanted[0]: RAW}
    assert len(resolved) == first  # the second environment's lookup resolves nothing again
    write("environments/env20.yaml", "extends: base.yaml\n")  # a new file is seen
    declared_contents(tmp_path, wanted)
    assert len(resolved) > first
