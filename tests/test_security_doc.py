"""docs/security.md lists every attack with the tests that stop it: each test it names exists
(a renamed or deleted test would leave the table promising what nothing checks)."""

from __future__ import annotations

import re

from conftest import REPO_ROOT

SECURITY = REPO_ROOT / "docs" / "security.md"
TEST_REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def test_every_test_the_attack_table_names_exists() -> None:
    table = SECURITY.read_text(encoding="utf-8").split("## Attacks and the tests that stop them")[1]
    references = TEST_REFERENCE.findall(table)
    assert references, "the attack table names no test"
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not re.search(rf"^def {name}\(", (REPO_ROOT / path).read_text(), flags=re.MULTILINE)
    ]
    assert missing == []
