"""One run of the CI pipeline: its inputs (``INPUT_*`` variables, see ``action.yml``), the
forge it talks to, and the ``reconciler`` command line it runs as a user would."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import cli
from reconciler.ci.forges import GITHUB_ACTIONS_BOT, Forge
from reconciler.ci.job_output import JobOutput
from reconciler.errors import ReconcilerError
from reconciler.plan import planfile_reader
from reconciler.plan.planfile import SavedPlan
from reconciler.repository import workdir


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Inputs:
    command: str
    environments: tuple[str, ...]
    allow_weaken: bool = False
    on_stale: str = "fail"
    weaken_suffix: str = "-allow-weaken"
    comment_key: str = "reconciler"
    comment_author: str = GITHUB_ACTIONS_BOT
    platform: str = "github"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Inputs:
        def value(name: str, default: str) -> str:
            return environ.get(f"INPUT_{name}", "").strip() or default

        inputs = cls(
            command=value("COMMAND", ""),
            environments=tuple(value("ENVIRONMENTS", "").replace(",", " ").split()),
            allow_weaken=value("ALLOW_WEAKEN", "false").lower() == "true",
            on_stale=value("ON_STALE", "fail"),
            weaken_suffix=value("WEAKEN_SUFFIX", "-allow-weaken"),
            comment_key=value("COMMENT_KEY", "reconciler"),
            comment_author=value("COMMENT_AUTHOR", GITHUB_ACTIONS_BOT),
            platform=value("PLATFORM", "github"),
        )
        inputs.check()
        return inputs

    def check(self) -> None:
        if self.command not in ("plan", "route", "apply", "drift"):
            raise ReconcilerError(
                f"command must be plan, route, apply or drift, not {self.command!r}"
            )
        if not self.environments:
            raise ReconcilerError("name the environments (input environments)")
        if self.command == "apply" and len(self.environments) != 1:
            raise ReconcilerError("apply takes one environment (run one job per environment)")
        if self.on_stale not in ("fail", "replan"):
            raise ReconcilerError(f"on-stale must be fail or replan, not {self.on_stale!r}")
        if self.platform not in ("github", "gitlab"):
            raise ReconcilerError(f"platform must be github or gitlab, not {self.platform!r}")


@dataclass(frozen=True)
class Pipeline:
    inputs: Inputs
    forge: Forge
    environ: Mapping[str, str]
    root: Path
    log: JobOutput

    def reconciler(self, *arguments: str) -> Ran:
        """Run the command line (its ``main``, as the console script does, without paying
        for a new interpreter each time); its output is shown in the job log, never obeyed
        as workflow commands."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(arguments))
        self.log.echo(out.getvalue())
        self.log.echo(err.getvalue())
        return Ran(code, out.getvalue(), err.getvalue())

    def output(self, name: str, value: str) -> None:
        self.log.output(name, value)

    def summary(self, text: str) -> None:
        self.log.summary(text)

    def saved_plan(self, name: str, path: Path) -> tuple[Ran, SavedPlan | None]:
        """``reconciler plan NAME --detailed-exitcode --out PATH``, and the plan it saved there
        (None when it saved none: a file found there is this run's)."""
        path.unlink(missing_ok=True)
        ran = self.reconciler("plan", name, "--detailed-exitcode", "--out", str(path))
        if not path.is_file():
            return ran, None
        return ran, planfile_reader.read(path, self.environ.get("RECONCILER_PLAN_KEY"))

    def fresh_plan(self, name: str, folder: str) -> tuple[Path, dict[str, Any]]:
        path = workdir.make_folder(workdir.path(self.root, folder)) / f"{name}.json"
        if self.reconciler("plan", name, "--out", str(path)).returncode != 0:
            raise ReconcilerError(f"{name}: plan failed on this commit (see above)")
        return path, _document(path)


def _document(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document
