"""Run every benchmark and write docs/benchmarks.md."""

from __future__ import annotations

from bench import diffplan, startup
from bench.common import REPO, machine


def main() -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (`make bench`); do not edit by hand.",
        "",
    ]
    lines += machine()
    lines += ["", "## Cold start", ""]
    lines += startup.report(startup.measure(), startup.import_profile())
    lines += ["", "## Diff + plan on a large config", ""]
    lines += [
        "Desired and live each hold 5 000 allowed return URLs, 50 OIDC providers, 200 web hooks",
        "and 20 identity schemas at 1x (about one value in ten differs); 4x and 16x multiply all",
        "four. Requests per operation (plan = 1 GET, apply = 1 GET + 1 PATCH) are asserted in",
        "`tests/test_ory_network.py::test_requests_per_operation`.",
        "",
    ]
    lines += diffplan.report(diffplan.measure())
    target = REPO / "docs" / "benchmarks.md"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(target.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
