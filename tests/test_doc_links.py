"""Every relative link of the README, the changelog and docs/ names a file that exists (the
changelog and the upgrade notes point at the docs a release ships)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT

DOCUMENTS = [
    REPO_ROOT / "README.md",
    REPO_ROOT / "CHANGELOG.md",
    *sorted(REPO_ROOT.glob("docs/*.md")),
]
_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_names_a_file_that_exists(document: Path) -> None:
    links = [link for link in _LINK.findall(document.read_text()) if "://" not in link]
    missing = [link for link in links if not (document.parent / link).exists()]
    assert missing == [], f"{document.name} links to missing files: {missing}"
