"""The editor schema is ``models.ENVIRONMENT_SCHEMA``, up to date, and the environments use it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.loading.editor_schema import MODELINE, SCHEMA_PATH, environment_schema_text, main
from reconciler.loading.yamlio import load_with_positions

from conftest import REPO_ROOT

ENVIRONMENTS = sorted((REPO_ROOT / "environments").glob("*.yaml"))


def test_the_committed_schema_is_up_to_date() -> None:
    committed = (REPO_ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == environment_schema_text(), (
        "schemas/environment.schema.json is out of date with reconciler/models.py: "
        "run `make schemas`"
    )


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=lambda p: p.name)
def test_each_environment_names_the_schema_and_passes_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    schema = json.loads((REPO_ROOT / SCHEMA_PATH).read_text())
    jsonschema.Draft7Validator(schema).validate(load_with_positions(text).data)


def test_the_schema_rejects_what_validate_rejects() -> None:
    schema = json.loads(environment_schema_text())
    validator = jsonschema.Draft7Validator(schema)
    assert not validator.is_valid({"identity_config": {}, "targt": {}})
    assert not validator.is_valid({"extends": 3})
    assert validator.is_valid({"extends": ["base.yaml"], "identity_config": {"courier": {}}})


def test_main_writes_the_schema(tmp_path: Path) -> None:
    root = tmp_path
    (root / "schemas").mkdir()
    assert main([str(root)]) == 0
    assert (root / SCHEMA_PATH).read_text() == environment_schema_text()
