"""docs/architecture.md names where things live: each file it names exists (a moved module
would leave the map pointing at nothing)."""

from __future__ import annotations

import re

from conftest import REPO_ROOT

ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
FILE = re.compile(r"`((?:[a-z_]+/)+[a-z_]+\.(?:py|md))`")


def test_every_file_the_architecture_page_names_exists() -> None:
    named = FILE.findall(ARCHITECTURE.read_text(encoding="utf-8"))
    assert len(named) > 10, named
    missing = [
        path
        for path in named
        if not (REPO_ROOT / path).is_file() and not (REPO_ROOT / "reconciler" / path).is_file()
    ]
    assert missing == []
