"""The release's version, agreed by its three homes: ``reconciler/__init__.py`` (the one the
package and pyproject.toml read), CHANGELOG.md's newest entry and, in the release workflow,
the pushed tag ``vX.Y.Z``.

``python -m scripts.release_version [--tag vX.Y.Z]`` prints the version, or says which home
disagrees and exits 1. tests/scripts/test_release_version.py holds the repository to it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from reconciler import __version__

CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"
# "## [1.2.3] - 2026-12-05": a released entry (Keep a Changelog); "## [Unreleased]" is not one.
_RELEASE_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+[^\]]*)\] - \d{4}-\d{2}-\d{2}\s*$", re.M)


def newest_changelog_version(text: str) -> str | None:
    """The version of the first released entry, or None when there is none."""
    found = _RELEASE_HEADING.search(text)
    return found.group(1) if found else None


def disagreements(changelog_text: str, tag: str | None) -> list[str]:
    problems = []
    newest = newest_changelog_version(changelog_text)
    if newest != __version__:
        problems.append(
            f"CHANGELOG.md's newest entry is {newest or 'missing'}, "
            f"reconciler/__init__.py says {__version__}"
        )
    if tag is not None and tag != f"v{__version__}":
        problems.append(f"the tag {tag} is not v{__version__} (reconciler/__init__.py)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tag", help="the release tag, vX.Y.Z")
    args = parser.parse_args(argv)
    problems = disagreements(CHANGELOG.read_text(encoding="utf-8"), args.tag)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(__version__)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
