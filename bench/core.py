"""Cold start, diff + plan and peak memory: writes its own section of docs/benchmarks.md.

Run: ``python -m bench.core`` or ``python bench/core.py`` (``python -m bench`` runs it too).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/core.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import diffplan, startup
from bench.common import REPO, load_note, machine, write_section

START, END = "<!-- core:start -->", "<!-- core:end -->"


def section() -> list[str]:
    lines = [START, "## Cold start, diff + plan, memory", ""]
    lines += ["Written by `python -m bench.core` (also run by `python -m bench`).", ""]
    lines += machine()
    lines += ["", "### Cold start", ""]
    lines += [
        "New processes on the example repository, after `compileall`: the commands take "
        f"turns for {startup.ROUNDS} rounds after a warm-up round; min and median of each.",
        "",
    ]
    lines += startup.report(startup.measure(), startup.import_profile(["validate", "dev"]))
    lines += ["", "### Diff + plan on a large config", ""]
    lines += [
        "Desired and live each hold 5 000 allowed return URLs, 50 OIDC providers, 200 web hooks",
        "and 20 identity schemas at 1x (about one value in ten differs); 4x, 16x and 32x multiply",
        "all four. Requests per operation (plan = 1 GET, apply = 1 GET + 1 PATCH) are asserted in",
        "`tests/targets/test_ory_network.py::test_requests_per_operation`.",
        "",
    ]
    lines += diffplan.report(diffplan.measure())
    return [*lines, "", load_note(), END]


def main() -> None:
    lines = section()
    write_section(lines, REPO / "docs" / "benchmarks.md", START, END)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
