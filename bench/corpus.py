"""The corpus tally: runs the round trip of ``tests/corpus_steps.py`` over every config of
``tests/fixtures/corpus`` against the test server and writes the results to
docs/compatibility.md (which step fails for each config, and why, grouped by cause).

Run: ``python -m bench.corpus`` (``--sources`` also rewrites the corpus SOURCES.md).
The CLI runs in-process, as ``tests/usecases/test_corpus.py`` runs it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/corpus.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, write_section
from reconciler.cli import main as cli_main

sys.path.insert(0, str(REPO / "tests"))

import corpus
from corpus_steps import STEPS, Step, round_trip
from ory_server import OryTestServer

START, END = "<!-- corpus:start -->", "<!-- corpus:end -->"
PAGE = REPO / "docs" / "compatibility.md"
_POSITION = re.compile(r"^(exit \d+: )?(environments|deploy)/[^:]+:\d+:\d+: ")
_QUOTED = re.compile(r"'[^']*(?:'|$)|\"[^\"]*(?:\"|$)")  # a long value may be cut off
_FLOW = re.compile(r"flows\.[a-z_]+\.")


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@contextlib.contextmanager
def _environ(extra: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    # The shipped official schemas, as after `pip install` (tests/conftest.py does the same).
    for name in (
        "ORY_WORKSPACE_API_KEY",
        "ORY_CONSOLE_API_URL",
        "NO_COLOR",
        "RECONCILER_KRATOS_SCHEMA",
        "RECONCILER_KRATOS_VERSION",
    ):
        os.environ.pop(name, None)
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(*args: str, env: Mapping[str, str] | None = None, root: Path | None = None) -> Outcome:
    """The CLI in-process, like the ``run`` fixture of tests/conftest.py."""
    out, err = io.StringIO(), io.StringIO()
    with _environ(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["--dir", str(root), "--color", "never", *args])
    return Outcome(code, out.getvalue(), err.getvalue())


def measure() -> dict[str, list[Step]]:
    results: dict[str, list[Step]] = {}
    with OryTestServer() as server, tempfile.TemporaryDirectory() as scratch:
        for entry in corpus.entries():
            workdir = Path(scratch) / entry.name
            results[entry.name] = round_trip(entry, server, run, workdir)
    return results


def _cell(step: Step | None, applies: bool, listed: bool) -> str:
    if not applies:
        return "—"
    if step is None:
        return "·"
    if step.ok:
        return "ok"
    return "listed" if listed else "**FAIL**"


def cause(reason: str) -> str:
    """A reason with what varies between configs (position, values, flow) taken out."""
    text = _POSITION.sub("", reason)
    return _FLOW.sub("flows.*.", _QUOTED.sub("…", text))


def _table(results: dict[str, list[Step]]) -> list[str]:
    header = ["config", "kind", *STEPS, "first failure"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in corpus.entries():
        steps = {step.name: step for step in results[entry.name]}
        file_kind = entry.kratos_file
        listed = entry.expect.step if entry.expect else None
        cells = [
            _cell(steps.get(n), file_kind or not n.startswith("file"), n == listed) for n in STEPS
        ]
        failed = [s for s in results[entry.name] if not s.ok]
        first = f"{failed[0].name}: {failed[0].detail}" if failed else ""
        first = first.replace("|", "\\|")
        kind = entry.kind if entry.service == "identity" else f"{entry.kind} ({entry.service})"
        lines.append(f"| {entry.name} | {kind} | " + " | ".join(cells) + f" | {first} |")
    return lines


def _summary(results: dict[str, list[Step]]) -> list[str]:
    total = len(results)
    clean = sum(all(step.ok for step in steps) for steps in results.values())
    lines = [f"- Configs: {total}; every step passed: {clean}."]
    for chain, last in (("live as desired state", "live-plan"), ("export", "export-plan")):
        passed = sum(any(s.name == last and s.ok for s in steps) for steps in results.values())
        lines.append(f"- {chain} → validate → plan 0: {passed} of {total}.")
    file_total = sum(e.kratos_file for e in corpus.entries())
    passed = sum(any(s.name == "file-replan" and s.ok for s in steps) for steps in results.values())
    lines.append(f"- Kratos file subset → plan → edit → apply → plan 0: {passed} of {file_total}.")
    for step_name, what in (
        ("live-validate", "validate of the live config as desired state"),
        ("file-plan", "plan of a Kratos file (judged by the release its `version:` names)"),
    ):
        ran = [s for steps in results.values() for s in steps if s.name == step_name]
        clean = sum(s.ok and not s.schema_findings for s in ran)
        lines.append(f"- {what}, no schema finding (error or warning): {clean} of {len(ran)}.")
    listed = sum(entry.expect is not None for entry in corpus.entries())
    lines.append(f"- Listed failures (each with its reason below): {listed}.")
    return lines


def _listed() -> list[str]:
    """Every listed failure: the step it fails, and why (``expect`` in corpus.yaml)."""
    lines = ["| config | step | reason |", "|---|---|---|"]
    for entry in corpus.entries():
        if entry.expect is not None:
            reason = entry.expect.reason.replace("|", "\\|")
            lines.append(f"| {entry.name} | {entry.expect.step} | {reason} |")
    return lines


def _causes(results: dict[str, list[Step]]) -> list[str]:
    """Every reason of every failed step, grouped by cause, most configs first."""
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, steps in results.items():
        for step in steps:
            for reason in step.reasons:
                groups[(step.name, cause(reason))].add(name)
    lines = ["| step | cause (values elided) | configs | which |", "|---|---|---|---|"]
    for (step_name, text), names in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        which = ", ".join(sorted(names)) if len(names) <= 6 else f"{len(names)} configs"
        text = text.replace("|", "\\|")
        lines.append(f"| {step_name} | {text} | {len(names)} | {which} |")
    return lines


def section(results: dict[str, list[Step]]) -> list[str]:
    lines = [START, "## Corpus round trip", ""]
    lines += [
        "Written by `python -m bench.corpus`. Every config of `tests/fixtures/corpus` (sources",
        "in its SOURCES.md) goes through the steps of `tests/corpus_steps.py` on the test",
        "server: `ok` passed, `FAIL` failed, `·` not run (an earlier step of its chain",
        "failed), `—` does not apply (the Kratos file steps are for single-file self-hosted",
        "configs), `listed` failed as `corpus.yaml` says it must, for the reason listed below.",
        "`tests/usecases/test_corpus.py` asserts every step passes, and that a listed failure",
        "fails at that step, for that reason, and nowhere else.",
        "",
    ]
    lines += _summary(results)
    lines += ["", *_table(results), "", "### Listed failures, and why", ""]
    lines += _listed()
    lines += ["", "### Failures grouped by cause", ""]
    lines += ["Every line of output that explains a failed step, across the corpus.", ""]
    lines += _causes(results)
    return [*lines, END]


def main() -> None:
    if "--sources" in sys.argv[1:]:
        corpus.SOURCES.write_text(corpus.render_sources(), encoding="utf-8")
    lines = section(measure())
    if not PAGE.exists():
        PAGE.write_text("# Compatibility\n", encoding="utf-8")
    write_section(lines, PAGE, START, END)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
