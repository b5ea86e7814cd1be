"""The GitHub Action (action.yml) driven step by step, as a runner would: its shell step runs
as written against the local Ory test server, GitHub's API is a local fake
(tests/forge_server.py), and an upload step is played by listing the folder it names.
Paths: plan, apply, protected, weakening approved, stale after merge (refused, or replanned
when asked), a forged plan comment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.ci.forges import digests_line, marker, read_digests
from reconciler.yamlio import load_with_positions

from conftest import REPO_ROOT
from forge_server import BOT, REPOSITORY, TOKEN, FakeForge
from ory_server import OryTestServer

ACTION: Any = load_with_positions((REPO_ROOT / "action.yml").read_text()).data
BIN = Path(sys.executable).parent
PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
HOOK_KEY = "action-hook-key-7f1e"
HEAD_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
COMMENTS = f"/repos/{REPOSITORY}/issues/42/comments"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _step(name: str) -> dict[str, Any]:
    (step,) = [step for step in ACTION["runs"]["steps"] if step.get("name") == name]
    assert isinstance(step, dict)
    return step


@dataclass
class Result:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str


@dataclass
class Runner:
    """One GitHub-hosted job: its checkout, its GITHUB_* files, and the action's inputs."""

    github: FakeForge
    ory: OryTestServer
    tmp_path: Path
    run_ids: list[int] = field(default_factory=lambda: [100])

    def checkout(self, source: Path, name: str) -> Path:
        copy = self.tmp_path / name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".reconciler"))
        return copy

    def _expand(self, text: str, inputs: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression == "github.token":
                return TOKEN
            assert expression.startswith("inputs."), expression  # nothing else is evaluated
            name = expression[len("inputs.") :]
            given = inputs.get(name, ACTION["inputs"][name].get("default", ""))
            return EXPRESSION.sub(value, str(given))

        return EXPRESSION.sub(value, text)

    def run(self, checkout: Path, merged: bool = False, **inputs: str) -> Result:
        """The action's `Run reconciler` step, in a new job (run id) of the workflow."""
        self.run_ids.append(self.run_ids[-1] + 1)
        run_id = self.run_ids[-1]
        job = self.tmp_path / f"job-{run_id}"
        job.mkdir()
        event: dict[str, Any] = {"action": "closed" if merged else "synchronize"}
        event["pull_request"] = {"number": 42, "merged": merged, "head": {"sha": HEAD_SHA}}
        (job / "event.json").write_text(json.dumps(event))
        step = _step("Run reconciler")
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.tmp_path),
            "ORY_WORKSPACE_API_KEY": self.ory.workspace_key,
            "ORY_CONSOLE_API_URL": self.ory.base_url,
            "LOGIN_HOOK_KEY": HOOK_KEY,
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_EVENT_PATH": str(job / "event.json"),
            "GITHUB_OUTPUT": str(job / "output"),
            "GITHUB_STEP_SUMMARY": str(job / "summary.md"),
            **{name: self._expand(str(value), inputs) for name, value in step["env"].items()},
        }
        cwd = checkout / self._expand(step["working-directory"], inputs)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        outputs = dict(
            line.split("=", 1) for line in _read(job / "output").splitlines() if "=" in line
        )
        return Result(done.returncode, done.stdout, done.stderr, outputs, _read(job / "summary.md"))

    def uploaded(self, step_name: str, checkout: Path, **inputs: str) -> dict[str, bytes]:
        """What an upload step would keep: the files under its path."""
        step = _step(step_name)
        assert step["uses"].startswith("actions/upload-artifact@")
        assert step["with"]["include-hidden-files"] is True  # .reconciler/ is a hidden folder
        folder = checkout / self._expand(step["with"]["path"], inputs)
        return {p.name: p.read_bytes() for p in sorted(folder.rglob("*.json"))}


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def github() -> Iterator[FakeForge]:
    fake = FakeForge().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def runner(github: FakeForge, ory_server: OryTestServer, tmp_path: Path) -> Runner:
    ory_server.add_project(project_id=PROD)
    return Runner(github, ory_server, tmp_path)


def _matrix(result: Result) -> list[dict[str, str]]:
    include = json.loads(result.outputs["matrix"])["include"]
    assert isinstance(include, list)
    return include


def _plan_pull_request(runner: Runner, repo: Path) -> Path:
    pull_request = runner.checkout(repo, "pull-request")
    planned = runner.run(pull_request, command="plan", environments="dev prod")
    assert planned.code == 0, planned.err
    return pull_request


def _bot_comment(github: FakeForge) -> str:
    (comment,) = [c for c in github.comments if c["body"].startswith(marker("reconciler") + "\n")]
    assert comment["user"]["login"] == BOT
    body: str = comment["body"]
    return body


def test_plan_posts_one_comment_with_each_plans_digest_updates_it_and_keeps_the_plans(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    github.add_comment("LGTM <!-- reconciler-plan:other-workflow -->")
    pull_request = runner.checkout(example_repo, "pull-request")
    first = runner.run(pull_request, command="plan", environments="dev prod")
    assert first.code == 0, first.err
    assert first.outputs["changes"] == "true"
    (posted,) = github.calls("POST", COMMENTS)
    assert posted.authorized
    body = posted.body["body"]
    plans = {
        name: json.loads(content)
        for name, content in runner.uploaded("Keep the saved plans", pull_request).items()
    }
    digests = {
        name.removesuffix(".json"): plan["operations_digest"] for name, plan in plans.items()
    }
    assert set(digests) == {"dev", "prod"}
    # The marker, then each environment's operations digest (no secret: secrets by reference).
    assert body.startswith(
        f"{marker('reconciler')}\n{digests_line(digests)}\n**reconciler plan** · 2 environments"
    )
    assert read_digests(body, "reconciler") == digests
    assert "### `dev` · Plan: 1 to add, 6 to change" in body
    assert "### `prod` · Plan: 1 to add, 11 to change" in body
    assert HOOK_KEY not in body
    assert "`dev`" in first.summary and "`prod`" in first.summary  # the job summary

    again = runner.run(pull_request, command="plan", environments="dev prod")  # a new push
    assert again.code == 0, again.err
    assert len(github.calls("POST", COMMENTS)) == 1
    (updated,) = github.calls("PATCH")
    assert updated.path.endswith(f"/issues/comments/{first.outputs['comment-id']}")
    assert github.comments[0]["body"].startswith("LGTM")  # others untouched
    assert ory_server.writes() == []


def test_a_failing_plan_is_in_the_comment_and_fails_the_job(
    runner: Runner, github: FakeForge, example_repo: Path
) -> None:
    pull_request = runner.checkout(example_repo, "pull-request")
    (pull_request / "environments" / "dev.yaml").write_text("identity_config: {selfservice: 3}\n")
    result = runner.run(pull_request, command="plan", environments="dev prod")
    assert result.code == 1
    (posted,) = github.calls("POST")
    assert "### `dev` · ❌ failed" in posted.body["body"]
    assert "must be a mapping" in posted.body["body"]
    assert set(read_digests(posted.body["body"], "reconciler") or {}) == {"prod"}


def test_merge_routes_plans_again_and_applies_the_reviewed_change_and_keeps_the_backup(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    _plan_pull_request(runner, example_repo)
    merge = runner.checkout(example_repo, "merge")
    routed = runner.run(merge, merged=True, command="route", environments="dev prod")
    assert routed.code == 0, routed.err
    assert routed.outputs["any"] == "true"
    assert _matrix(routed) == [
        {"environment": "dev", "github_environment": "dev", "allow_weaken": "false"},
        {"environment": "prod", "github_environment": "prod", "allow_weaken": "false"},
    ]
    assert ory_server.writes() == []

    before = ory_server.revision()
    job = runner.checkout(example_repo, "apply-dev")
    github.requests.clear()
    applied = runner.run(job, merged=True, command="apply", environments="dev")
    assert applied.code == 0, applied.err
    assert "refused" not in applied.out + applied.err
    assert "Apply complete: 1 added, 6 changed, 0 reset." in applied.summary
    assert len(ory_server.writes()) == 1
    # The reviewed digest is read back from the comment; nothing the PR's run made is fetched.
    assert [(r.method, r.path) for r in github.requests] == [("GET", COMMENTS)]
    backups = runner.uploaded("Keep the backups", job, environments="dev")
    assert list(backups) == [f"{before}.json"]
    assert json.loads(backups[f"{before}.json"])["revision"] == before


def test_a_protected_environment_applies_in_its_github_environment(
    runner: Runner, ory_server: OryTestServer, example_repo: Path
) -> None:
    prod = example_repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + "protect: true\n")
    _plan_pull_request(runner, example_repo)
    job = runner.checkout(example_repo, "apply-prod")
    applied = runner.run(job, merged=True, command="apply", environments="prod")
    assert applied.code == 0, applied.err
    assert ory_server.stored_identity_config(PROD)["selfservice"]["methods"]["webauthn"]["enabled"]


def test_a_weakening_change_routes_to_its_approval_environment(
    runner: Runner, ory_server: OryTestServer, example_repo: Path, github: FakeForge
) -> None:
    dev = example_repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "    flows:\n      settings: {required_aal: aal1}\n")
    _plan_pull_request(runner, example_repo)
    assert "[!CAUTION]" in _bot_comment(github)
    merge = runner.checkout(example_repo, "merge")
    routed = runner.run(merge, merged=True, command="route", environments="dev")
    (entry,) = _matrix(routed)
    assert entry == {
        "environment": "dev",
        "github_environment": "dev-allow-weaken",
        "allow_weaken": "true",
    }

    unapproved = runner.run(
        runner.checkout(example_repo, "a"), merged=True, command="apply", environments="dev"
    )
    assert unapproved.code == 1
    assert "weaken security" in unapproved.err
    assert ory_server.writes() == []
    approved = runner.run(
        runner.checkout(example_repo, "b"),
        merged=True,
        command="apply",
        environments="dev",
        **{"allow-weaken": entry["allow_weaken"]},
    )
    assert approved.code == 0, approved.err
    assert len(ory_server.writes()) == 1


def _refused_and_posted(result: Result, github: FakeForge, why: str) -> None:
    """The apply job refused, and posted the new plan for review (summary and comment)."""
    assert result.code == 1
    assert why in result.err
    assert "nothing was applied (on-stale: fail)" in result.err
    assert f"refused: {why}" in result.summary
    assert "**reconciler plan** · `dev`" in result.summary  # the new plan, for review
    (posted,) = [
        c for c in github.comments if c["body"].startswith(marker("reconciler:apply:dev") + "\n")
    ]
    assert posted["user"]["login"] == BOT
    assert f"refused: {why}" in posted["body"]
    assert "**reconciler plan** · `dev`" in posted["body"]
    assert read_digests(posted["body"], "reconciler") is None  # never taken for a review


def test_a_console_hotfix_since_review_is_refused_by_default_and_posted_for_review(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    _plan_pull_request(runner, example_repo)
    reviewed = _bot_comment(github)
    # A console hotfix of a value dev declares: applying now would revert it unreviewed.
    ory_server.console_edit(
        lambda config: config["selfservice"]["flows"]["login"].update(lifespan="2h")
    )
    refused = runner.run(
        runner.checkout(example_repo, "strict"), merged=True, command="apply", environments="dev"
    )
    _refused_and_posted(refused, github, "the plan on the merge commit is not the one reviewed")
    assert ory_server.writes() == []
    assert _bot_comment(github) == reviewed  # the reviewed digests stay what was reviewed
    again = runner.run(
        runner.checkout(example_repo, "rerun"), merged=True, command="apply", environments="dev"
    )
    assert again.code == 1  # a re-run does not make it reviewed
    assert ory_server.writes() == []

    applied = runner.run(
        runner.checkout(example_repo, "replan"),
        merged=True,
        command="apply",
        environments="dev",
        **{"on-stale": "replan"},
    )
    assert applied.code == 0, applied.err
    assert "::warning::dev: the plan on the merge commit is not the one reviewed" in applied.out
    assert "which was not reviewed (on-stale: replan)" in applied.summary
    assert len(ory_server.writes()) == 1


def test_an_unrelated_console_edit_moves_the_revision_but_the_reviewed_change_applies(
    runner: Runner, ory_server: OryTestServer, example_repo: Path
) -> None:
    _plan_pull_request(runner, example_repo)
    moved = ory_server.console_edit(lambda c: {**c, "feature_flags": {"new_ui": True}})
    applied = runner.run(
        runner.checkout(example_repo, "apply"), merged=True, command="apply", environments="dev"
    )
    assert applied.code == 0, applied.err
    (write,) = ory_server.writes()
    assert write.path.endswith(f"/revision/{moved}")  # pinned to the revision it planned on


def test_another_merge_first_makes_the_reviewed_plan_stale(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    _plan_pull_request(runner, example_repo)
    merge = runner.checkout(example_repo, "merge")
    dev = merge / "environments" / "dev.yaml"  # another pull request merged first
    dev.write_text(dev.read_text().replace("Acme (dev)", "Acme (development)"))
    refused = runner.run(merge, merged=True, command="apply", environments="dev")
    _refused_and_posted(refused, github, "the plan on the merge commit is not the one reviewed")
    assert ory_server.writes() == []


def test_a_plan_comment_by_anyone_but_the_bot_is_not_read(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    # Nobody reviewed a plan (no plan job ran); the pull request's author writes a comment
    # that looks like the bot's, with the digest of exactly what the merge commit plans.
    merge = runner.checkout(example_repo, "merge")
    planned = runner.run(merge, command="plan", environments="dev")
    assert planned.code == 0, planned.err
    forged = github.comments.pop()
    github.add_comment(forged["body"], login="octocat")
    refused = runner.run(merge, merged=True, command="apply", environments="dev")
    _refused_and_posted(
        refused, github, "no reviewed plan comment (by the bot) was found on the merged change"
    )
    assert ory_server.writes() == []
