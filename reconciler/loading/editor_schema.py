"""The JSON Schema editors use to complete and check environment files.

Generated from the environment file's model (``models.environment_model``: the envelope and
one key per service), written to ``schemas/environment.schema.json`` by ``make schemas``; a
test fails when the file is out of date. Environment files point at it with a first line
``# yaml-language-server: $schema=../schemas/environment.schema.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reconciler.jsontypes import JSONObject, readable_json
from reconciler.loading.models import environment_model
from reconciler.services.shape import json_schema_of

SCHEMA_PATH = Path("schemas") / "environment.schema.json"
MODELINE = "# yaml-language-server: $schema=../schemas/environment.schema.json"
# Draft-07, which every editor's JSON Schema support reads: definitions, not $defs.
_DEFINITIONS = "#/definitions/{model}"


def environment_schema() -> JSONObject:
    """The environment file's schema, plus ``extends`` (the loader consumes it before the
    model sees the document)."""
    schema: JSONObject = json_schema_of(environment_model(), _DEFINITIONS)
    properties = schema["properties"]
    assert isinstance(properties, dict)
    extends: JSONObject = {
        "description": "Layers this file extends: a path or a list of paths, relative to it.",
        "anyOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "items": {"type": "string", "minLength": 1}},
        ],
    }
    definitions = schema.pop("$defs", {})
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "reconciler environment file",
        **schema,
        "properties": {**properties, "extends": extends},
        "definitions": definitions,
    }


def environment_schema_text() -> str:
    return readable_json(environment_schema())


def main(argv: list[str] | None = None) -> int:
    """Write the schema under the repository root given as the only argument (default ``.``)."""
    arguments = sys.argv[1:] if argv is None else argv
    root = Path(arguments[0]) if arguments else Path()
    (root / SCHEMA_PATH).write_text(environment_schema_text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
