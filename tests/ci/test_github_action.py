"""The GitHub Action (action.yml) driven step by step, as a runner would, against the local Ory
test server; GitHub's API is a local fake (tests/forge_server.py), and an upload step is
played by listing the folder it names. Paths: plan, apply, protected, weakening approved,
stale after merge (refused, or replanned when asked), a forged plan comment.

The `Run reconciler` step is two lines (``RUN_STEP``). Tests that depend on how GitHub runs
it (`bash`, `python -I`, what reaches the log) run it so (``runner.shell``); the others run its
``python -I -m reconciler.ci`` in this process, with the step's environment, working
directory and captured output: a new interpreter per step spent 0.3 s importing, half of
these tests' time."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.ci import action, drift
from reconciler.ci.forges import digests_line, marker, read_digests
from reconciler.loading.yamlio import load_with_positions

from conftest import REPO_ROOT
from forge_server import BOT, READ_ONLY_TOKEN, REPOSITORY, TOKEN, FakeForge
from github_runner import obeyed
from ory_server import OryTestServer

ACTION: Any = load_with_positions((REPO_ROOT / "action.yml").read_text()).data
BIN = Path(sys.executable).parent
PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
HOOK_KEY = "action-hook-key-7f1e"
HEAD_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MERGE_SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
COMMENTS = f"/repos/{REPOSITORY}/issues/42/comments"
DEPLOYMENTS = f"/repos/{REPOSITORY}/deployments"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
# The `Run reconciler` step of action.yml, which the tests that run it in-process stand for.
RUN_STEP = (
    'if [ -n "$INPUT_API_URL" ]; then export ORY_CONSOLE_API_URL="$INPUT_API_URL"; fi\n'
    "python -I -m reconciler.ci\n"
)


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
    output: pytest.CaptureFixture[str]  # what a step run in this process writes (fd level)
    shell: bool = False  # run the step in a `bash`, as GitHub does
    run_ids: list[int] = field(default_factory=lambda: [100])
    # A pull request from a fork runs as GitHub runs it: no secrets, a read-only token (which a
    # job without `pull-requests: write` has too); Dependabot's get no secrets either.
    fork: str | None = None
    secrets: bool = True
    read_only: bool = False

    def checkout(self, source: Path, name: str) -> Path:
        copy = self.tmp_path / name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".reconciler"))
        return copy

    def _expand(self, text: str, inputs: dict[str, str], token: str = TOKEN) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression == "github.token":
                return token
            if expression == "github.action_path":
                return str(REPO_ROOT)
            assert expression.startswith("inputs."), expression  # nothing else is evaluated
            name = expression[len("inputs.") :]
            given = inputs.get(name, ACTION["inputs"][name].get("default", ""))
            return EXPRESSION.sub(value, str(given))

        return EXPRESSION.sub(value, text)

    def run(self, checkout: Path, merged: bool = False, **inputs: str) -> Result:
        """The action's `Run reconciler` step, in a new job (run id) of the workflow: in a
        `bash` as GitHub runs it when ``shell``, else in this process (see the docstring)."""
        self.run_ids.append(self.run_ids[-1] + 1)
        run_id = self.run_ids[-1]
        job = self.tmp_path / f"job-{run_id}"
        job.mkdir()
        event: dict[str, Any] = {"action": "closed" if merged else "synchronize"}
        event["pull_request"] = {
            "number": 42,
            "merged": merged,
            "merge_commit_sha": MERGE_SHA,
            "head": {"sha": HEAD_SHA, "repo": {"full_name": self.fork or REPOSITORY}},
            "base": {"repo": {"full_name": REPOSITORY}},
        }
        (job / "event.json").write_text(json.dumps(event))
        step = _step("Run reconciler")
        token = READ_ONLY_TOKEN if self.fork is not None or self.read_only else TOKEN
        given = {
            "ORY_WORKSPACE_API_KEY": self.ory.workspace_key,
            "LOGIN_HOOK_KEY": HOOK_KEY,
        }
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.tmp_path),
            **(given if self.secrets and self.fork is None else {}),
            # The workflow sets the API URL itself, unless the api-url input does.
            **({} if "api-url" in inputs else {"ORY_CONSOLE_API_URL": self.ory.base_url}),
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_EVENT_PATH": str(job / "event.json"),
            "GITHUB_OUTPUT": str(job / "output"),
            "GITHUB_STEP_SUMMARY": str(job / "summary.md"),
            **{
                name: self._expand(str(value), inputs, token) for name, value in step["env"].items()
            },
        }
        cwd = checkout / self._expand(step["working-directory"], inputs)
        done = _shell(step, cwd, env) if self.shell else self._in_process(step, cwd, env)
        outputs = dict(
            line.split("=", 1) for line in _read(job / "output").splitlines() if "=" in line
        )
        return Result(done.returncode, done.stdout, done.stderr, outputs, _read(job / "summary.md"))

    def install(self, workspace: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
        """The action's `Install reconciler` step, in the job's workspace (the checkout)."""
        step = _step("Install reconciler")
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.tmp_path),
            "ORY_WORKSPACE_API_KEY": self.ory.workspace_key,  # a workflow-level secret
            **{name: self._expand(str(value), inputs) for name, value in step["env"].items()},
        }
        return _shell(step, workspace, env)

    def uploaded(self, step_name: str, checkout: Path, **inputs: str) -> dict[str, bytes]:
        """What an upload step would keep: the files under its path; nothing when its `if`
        says the step does not run."""
        step = _step(step_name)
        assert step["uses"].startswith("actions/upload-artifact@")
        if not self._runs(step, inputs):
            return {}
        assert step["with"]["include-hidden-files"] is True  # .reconciler/ is a hidden folder
        folder = checkout / self._expand(step["with"]["path"], inputs)
        return {p.name: p.read_bytes() for p in sorted(folder.rglob("*.json"))}

    def _runs(self, step: dict[str, Any], inputs: dict[str, str]) -> bool:
        """The step's `if`, a conjunction of `always()` and `inputs.NAME == 'VALUE'` (any
        other expression fails the test: it would need a real evaluator)."""
        verdict = True
        for term in str(step.get("if", "always()")).split("&&"):
            term = term.strip()
            if term == "always()":
                continue
            match = re.fullmatch(r"inputs\.([\w-]+) == '([^']*)'", term)
            assert match, term
            name, value = match.groups()
            verdict &= inputs.get(name, ACTION["inputs"][name].get("default", "")) == value
        return verdict

    def _in_process(
        self, step: dict[str, Any], cwd: Path, env: dict[str, str]
    ) -> subprocess.CompletedProcess[str]:
        """``RUN_STEP`` in this process: its first line here, its second as ``python -m
        reconciler.ci`` runs it (``action.main``), with exactly ``env`` as the environment."""
        assert step["run"] == RUN_STEP, "action.yml changed: update RUN_STEP and this method"
        if env.get("INPUT_API_URL"):
            env = env | {"ORY_CONSOLE_API_URL": env["INPUT_API_URL"]}
        saved = dict(os.environ)
        self.output.readouterr()
        try:
            os.environ.clear()
            os.environ.update(env)
            with contextlib.chdir(cwd):
                code = action.main()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        out, err = self.output.readouterr()
        return subprocess.CompletedProcess(["action.main"], code, out, err)


def _shell(
    step: dict[str, Any], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A `shell: bash` step, as GitHub runs it: `bash --noprofile --norc -eo pipefail`."""
    assert step["shell"] == "bash"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


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
def runner(
    github: FakeForge, ory_server: OryTestServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> Runner:
    ory_server.add_project(project_id=PROD)
    return Runner(github, ory_server, tmp_path, capfd)


def _matrix(result: Result) -> list[dict[str, str]]:
    include = json.loads(result.outputs["matrix"])["include"]
    assert isinstance(include, list)
    return include


def _plan_pull_request(runner: Runner, repo: Path) -> Path:
    pull_request = runner.checkout(repo, "pull-request")
    planned = runner.run(pull_request, command="plan", environments="dev prod")
    assert planned.code == 0, planned.out
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
    assert first.code == 0, first.out
    assert first.outputs["changes"] == "true"
    (posted,) = github.calls("POST", COMMENTS)
    assert posted.authorized
    body = posted.body["body"]
    plans = {
        name: json.loads(content)
        for name, content in runner.uploaded(
            "Keep the saved plans", pull_request, command="plan"
        ).items()
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
    assert again.code == 0, again.out
    assert len(github.calls("POST", COMMENTS)) == 1
    (updated,) = github.calls("PATCH")
    assert updated.path.endswith(f"/issues/comments/{first.outputs['comment-id']}")
    assert github.comments[0]["body"].startswith("LGTM")  # others untouched
    assert ory_server.writes() == []


def test_the_api_url_input_sets_where_the_key_goes(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    runner.shell = True  # the input reaches the key through the step's `bash`
    pull_request = runner.checkout(example_repo, "pull-request")
    inputs = {"command": "plan", "environments": "dev", "api-url": ory_server.base_url}
    planned = runner.run(pull_request, False, **inputs)
    assert planned.code == 0, planned.err
    assert f"at {ory_server.base_url}" in github.calls("POST")[0].body["body"]


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
    runner.shell = True  # the whole path as GitHub runs each step (bash, python -I), once
    _plan_pull_request(runner, example_repo)
    merge = runner.checkout(example_repo, "merge")
    routed = runner.run(merge, merged=True, command="route", environments="dev prod")
    assert routed.code == 0, routed.out
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
    assert applied.code == 0, applied.out
    assert "refused" not in applied.out + applied.err
    assert "Apply complete: 1 added, 6 changed, 0 reset." in applied.summary
    assert len(ory_server.writes()) == 1
    # The reviewed digest is read back from the comment; nothing the PR's run made is fetched.
    # Besides: the approval environment checked, the rotation record read, the result posted.
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", f"/repos/{REPOSITORY}/environments/dev"),
        ("GET", DEPLOYMENTS),
        ("GET", COMMENTS),
        ("GET", COMMENTS),
        ("POST", COMMENTS),
    ]
    (result,) = [c for c in github.comments if c["body"].startswith(marker("reconciler:apply:dev"))]
    assert "· ✅ Apply complete: 1 added, 6 changed, 0 reset." in result["body"]
    assert runner.uploaded("Keep the backups", job, command="apply") == {}  # not asked for
    kept = {"command": "apply", "keep-backups": "true"}
    backups = runner.uploaded("Keep the backups", job, environments="dev", **kept)
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
    assert applied.code == 0, applied.out
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
    assert "weaken security" in unapproved.out
    assert ory_server.writes() == []
    failed = _apply_result(github, "dev")  # the failure and its cause, on the pull request
    assert "· ❌ failed: Error: apply refused: 1 change(s) weaken security" in failed
    assert failed in unapproved.summary
    approved = runner.run(
        runner.checkout(example_repo, "b"),
        merged=True,
        command="apply",
        environments="dev",
        **{"allow-weaken": entry["allow_weaken"]},
    )
    assert approved.code == 0, approved.out
    assert len(ory_server.writes()) == 1
    assert "· ✅ Apply complete: 1 added, 7 changed, 0 reset." in _apply_result(github, "dev")


def _apply_result(github: FakeForge, name: str) -> str:
    (posted,) = [
        c for c in github.comments if c["body"].startswith(marker(f"reconciler:apply:{name}"))
    ]
    assert posted["user"]["login"] == BOT
    return str(posted["body"]).split("\n", 1)[1]


def _refused_and_posted(result: Result, github: FakeForge, why: str) -> None:
    """The apply job refused, and posted the new plan for review (summary and comment)."""
    assert result.code == 1
    assert why in result.out
    assert "nothing was applied (on-stale: fail)" in result.out
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
    assert applied.code == 0, applied.out
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
    assert planned.code == 0, planned.out
    forged = github.comments.pop()
    github.add_comment(forged["body"], login="octocat")
    refused = runner.run(merge, merged=True, command="apply", environments="dev")
    _refused_and_posted(
        refused, github, "no reviewed plan comment (by the bot) was found on the merged change"
    )
    assert ory_server.writes() == []


# -- what a pull request writes never becomes a workflow command (docs/security.md §9) -----


def test_no_text_from_the_pull_request_becomes_a_workflow_command(
    runner: Runner, github: FakeForge, example_repo: Path
) -> None:
    runner.shell = True  # the log: everything the process writes
    pull_request = runner.checkout(example_repo, "pull-request")
    dev = pull_request / "environments" / "dev.yaml"
    injected = dev.read_text().replace(
        "issuer: Acme (dev)",
        'issuer: "Acme\\n::error::from a value\\n##[add-mask]Acme"\n'
        '        "x\\r\\n::add-mask::from a key": 1',
    )
    dev.write_text(injected)
    prod = pull_request / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("display_name: Acme", 'display_name: "##[error]n"'))
    result = runner.run(pull_request, command="plan", environments="dev prod")
    assert result.code == 1
    assert obeyed(result.out + result.err) == []  # never obeyed ...
    assert "::add-mask::from a key" in result.out  # ... though shown in the log
    assert "##[error]n" in result.out
    assert result.err == ""  # one stream: the runner does not keep two in order
    (posted,) = github.calls("POST")
    assert (
        'the key "x\\r\\n::add-mask::from a key" holds a control character' in (posted.body["body"])
    )


# -- no secret in the comment, summary, log, outputs or artifacts (docs/security.md §5, §10) --

CONSOLE_SECRET = "client-secret-set-in-the-console-41ab"
A_HOOK_NAMED_BY_THE_TOKEN = """
    flows:
      login:
        after:
          hooks:
            - hook: web_hook
              config:
                url: "https://hooks.acme.test/${GITHUB_TOKEN}"
                method: POST
                can_interrupt: false
                body: base64://e30=
"""


def test_no_secret_reaches_the_comment_summary_log_outputs_or_artifacts(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    """The hook URL names the hook in every line of the plan and in a finding; Ory returns the
    OIDC client_secret set in the console, so the backup apply keeps would hold it."""
    runner.shell = True  # the log: everything the process writes
    ory_server.console_edit(
        lambda config: {
            **config,
            "selfservice": {
                **config["selfservice"],
                "methods": {
                    **config["selfservice"]["methods"],
                    "oidc": {
                        "enabled": True,
                        "config": {
                            "providers": [
                                {
                                    "id": "acme-sso",
                                    "provider": "generic",
                                    "client_id": "reconciler",
                                    "client_secret": CONSOLE_SECRET,
                                    "issuer_url": "https://sso.acme.test",
                                    "mapper_url": "base64://e30=",
                                }
                            ]
                        },
                    },
                },
            },
        }
    )
    dev = example_repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + A_HOOK_NAMED_BY_THE_TOKEN)
    pull_request = _plan_pull_request(runner, example_repo)
    results = [runner.run(pull_request, command="plan", environments="dev prod")]
    merge = runner.checkout(example_repo, "merge")
    results.append(runner.run(merge, merged=True, command="route", environments="dev prod"))
    job = runner.checkout(example_repo, "apply-dev")
    results.append(runner.run(job, merged=True, command="apply", environments="dev"))
    assert [result.code for result in results] == [0, 0, 0], results[-1].out
    body = _bot_comment(github)
    assert "hooks[web_hook (sensitive)]" in body
    assert "webhook-can-interrupt-deprecated" in body  # the finding that names the hook
    kept = {"command": "apply", "keep-backups": "true"}
    artifacts = [
        *runner.uploaded("Keep the saved plans", pull_request, command="plan").values(),
        *runner.uploaded("Keep the backups", job, environments="dev", **kept).values(),
    ]
    assert len(artifacts) == 3
    shown = [body] + [r.out + r.err + r.summary + json.dumps(r.outputs) for r in results]
    for text in shown + [artifact.decode() for artifact in artifacts]:
        for secret in (TOKEN, HOOK_KEY, CONSOLE_SECRET, ory_server.workspace_key):
            assert secret not in text


# -- pull requests from forks (docs/security.md §11) -----------------------------------------


def test_a_pull_request_from_a_fork_is_validated_and_says_how_to_get_a_plan(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    pull_request = runner.checkout(example_repo, "fork")
    fork = replace(runner, fork="stranger/identity-config")
    result = fork.run(pull_request, command="plan", environments="dev prod")
    assert result.code == 0, result.out
    assert "HTTP 403" not in result.out + result.err + result.summary
    assert "Resource not accessible" not in result.out + result.err + result.summary
    assert "::warning::reconciler validated only: this pull request comes from the fork" in (
        result.out
    )
    summary = result.summary
    assert summary.startswith(
        "**reconciler** · validate only: this pull request comes from the fork "
        "`stranger/identity-config`: its workflow runs get no secrets and a read-only token, "
        "so no plan was made."
    )
    assert "- `dev`: valid\n- `prod`: valid" in summary
    assert "pushes it to a branch of this repository" in summary
    assert "The comment could not be posted on the pull request" in summary
    assert ory_server.requests == []  # no key, no request
    (refused,) = github.calls("POST")  # the comment was tried, and refused as GitHub does
    assert refused.path.endswith("/issues/42/comments") and github.comments == []
    assert result.outputs["changes"] == "false"

    broken = pull_request / "environments" / "prod.yaml"
    broken.write_text(broken.read_text() + "nonsense: true\n")
    again = fork.run(pull_request, command="plan", environments="dev prod")
    assert again.code == 1
    assert "- `prod`: invalid (the job log says why)" in again.summary


def test_a_run_without_the_key_validates_only_and_a_merged_fork_applies_nothing(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    pull_request = runner.checkout(example_repo, "dependabot")
    dependabot = replace(runner, secrets=False)
    result = dependabot.run(pull_request, command="plan", environments="dev")
    assert result.code == 0, result.out
    assert "ORY_WORKSPACE_API_KEY is not set in this run" in result.summary
    assert "ORY_WORKSPACE_API_KEY is not set (a pull request" not in result.out  # no raw error
    (posted,) = github.comments  # a same-repository token may write: the comment says it too
    assert "validate only" in posted["body"]

    merge = runner.checkout(example_repo, "merge")
    fork = replace(runner, fork="stranger/identity-config")
    routed = fork.run(merge, merged=True, command="route", environments="dev")
    assert routed.code == 0, routed.out
    assert routed.outputs["any"] == "false"
    assert "nothing applied: the merged pull request came from the fork" in routed.summary
    assert ory_server.requests == []


def test_a_plan_whose_comment_cannot_be_posted_says_so_in_the_summary(
    runner: Runner, github: FakeForge, example_repo: Path
) -> None:
    pull_request = runner.checkout(example_repo, "no-permission")
    no_permission = replace(runner, read_only=True)
    result = no_permission.run(pull_request, command="plan", environments="dev")
    assert result.code == 0, result.out
    assert "HTTP 403" not in result.out and "Resource not accessible" not in result.out
    assert "The comment could not be posted on the pull request" in result.summary
    assert "**reconciler plan** · `dev`" in result.summary  # the plan is there all the same
    assert github.comments == [] and result.outputs["comment-id"] == ""


# -- the repository is data, never code (docs/security.md §1) --------------------------------


def test_no_code_in_the_pull_request_runs_in_the_action(
    runner: Runner, ory_server: OryTestServer, example_repo: Path, tmp_path: Path
) -> None:
    """`python -m X` imports X from the working directory first: a pull request adding a
    `pip/` or `reconciler/` folder would run its own code, with the workspace key."""
    runner.shell = True  # `python -I`, as the step runs it
    pull_request = runner.checkout(example_repo, "pull-request")
    stolen = tmp_path / "stolen"
    steal = f"import os, pathlib; pathlib.Path({str(stolen)!r}).write_text(os.environ['PATH'])\n"
    for package in ("pip", "reconciler", "reconciler/ci"):
        (pull_request / package).mkdir()
        (pull_request / package / "__init__.py").write_text(steal)
        (pull_request / package / "__main__.py").write_text(steal)
    installed = runner.install(pull_request, install="pip")  # already there: nothing to fetch
    assert installed.returncode == 0, installed.stderr
    planned = runner.run(pull_request, command="plan", environments="dev")
    assert planned.code == 0, planned.out
    assert not stolen.exists()


def test_a_plan_stopped_by_its_findings_shows_them_and_one_that_can_never_apply_says_so(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    pull_request = runner.checkout(example_repo, "pull-request")
    prod = pull_request / "environments" / "prod.yaml"  # a lint error
    prod.write_text(
        prod.read_text().replace(
            "    methods:\n", "    methods:\n      code: {enabled: true, mfa_enabled: true}\n"
        )
    )
    dev = pull_request / "environments" / "dev.yaml"  # weakens, protected, not allowed
    weakening = "    flows:\n      settings: {required_aal: aal1}\n"
    dev.write_text(dev.read_text() + weakening + "protect: true\n")
    result = runner.run(pull_request, command="plan", environments="dev prod")
    assert result.code == 1  # flagged in the pull request, before anyone merges it
    body = _bot_comment(github)
    dev_section, prod_section = body.split("### `dev`", 1)[1].split("### `prod`", 1)
    assert "❌ error `code-mfa-forces-2fa`" in prod_section
    assert "forced to enter a one-time code" in prod_section  # the message
    assert "Fix: Put the code identifier on a separate OPTIONAL trait" in prod_section
    assert "Saved the plan" not in body and "apply --plan" not in body
    assert "❌ error `protected-weakening` `environments/dev.yaml:14:1: protect`" in dev_section
    assert "can never be applied as written" in dev_section
    assert "set protect_allow_weaken: true" in dev_section
    assert read_digests(body, "reconciler") == {}  # neither is ever applied
    assert ory_server.writes() == []


# -- rotation settles without state on a runner (issue 26 item 3) ---------------------------

ROTATED_SMTP = """  courier:
    smtp:
      connection_uri: "smtps://acme:${{LOGIN_HOOK_KEY}}@mail.acme.test:465"
rotate:
  /courier/smtp/connection_uri: {version}
"""


def _smtp_sent(ory_server: OryTestServer) -> int:
    """How many writes to Ory sent the SMTP URI (the environment's write-only value)."""
    return sum(b"connection_uri" in write.body for write in ory_server.writes())


def test_a_rotate_bump_is_sent_once_and_fresh_checkouts_then_plan_no_change(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    dev = example_repo / "environments" / "dev.yaml"
    declared = dev.read_text()

    def merged(name: str, *, changes: bool, apply: bool = True, forged_state: str = "") -> str:
        """A pull request planned from a fresh checkout, then merged, routed and applied."""
        pull_request = runner.checkout(example_repo, f"pr-{name}")
        if forged_state:  # a record the pull request commits is never read
            (pull_request / ".reconciler" / "state").mkdir(parents=True)
            (pull_request / ".reconciler" / "state" / "dev.json").write_text(forged_state)
        planned = runner.run(pull_request, command="plan", environments="dev")
        assert planned.code == 0, planned.out
        assert planned.outputs["changes"] == str(changes).lower()
        if apply:
            merge = runner.checkout(example_repo, f"merge-{name}")
            routed = runner.run(merge, merged=True, command="route", environments="dev")
            assert routed.outputs["any"] == "true", routed.out
            job = runner.checkout(example_repo, f"apply-{name}")
            applied = runner.run(job, merged=True, command="apply", environments="dev")
            assert applied.code == 0, applied.out
        return _bot_comment(github)

    dev.write_text(declared + ROTATED_SMTP.format(version=1))
    merged("first", changes=True)
    assert _smtp_sent(ory_server) == 1

    dev.write_text(declared + ROTATED_SMTP.format(version=2))
    forged = '{"format": 1, "target": "x", "rotated": {"/courier/smtp/connection_uri": 2}}'
    comment = merged("bump", changes=True, forged_state=forged)
    assert "rotate: 2 (last sent: 1)" in comment
    assert _smtp_sent(ory_server) == 2  # the bump, sent exactly once
    merged("same-commit", changes=False, apply=False)  # a fresh checkout: the forge's record
    dev.write_text(
        declared.replace("Acme (dev)", "Acme (development)") + ROTATED_SMTP.format(version=2)
    )
    later = merged("later", changes=True, apply=False)
    assert "Plan: 0 to add, 1 to change, 0 to reset." in later  # the issuer only
    assert "rotate: 2" not in later

    kept = [d for d in github.deployments if d["task"] == "reconciler:apply"]
    assert [d["environment"] for d in kept] == ["dev", "dev"]
    assert kept[-1]["payload"]["rotations"]["rotated"] == {"/courier/smtp/connection_uri": 2}
    assert kept[-1]["ref"] == MERGE_SHA
    assert [github.statuses[d["id"]][0]["state"] for d in kept] == ["success"] * 2
    assert HOOK_KEY not in json.dumps(github.deployments)  # versions only, never a value


def test_route_and_apply_refuse_an_approval_environment_nobody_has_to_approve(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    del github.environments["dev"]  # GitHub would create it, unprotected, on first use
    github.environments["prod"] = [{"id": 1, "type": "wait_timer", "wait_timer": 5}]
    _plan_pull_request(runner, example_repo)
    merge = runner.checkout(example_repo, "merge")
    routed = runner.run(merge, merged=True, command="route", environments="dev prod")
    assert routed.code == 1
    assert "::error::nothing will be applied: the GitHub Environment `dev` does not exist" in (
        routed.out
    )
    assert "the GitHub Environment `prod` has no required reviewers" in routed.out
    assert "any" not in routed.outputs  # so no apply job runs

    # An apply job run all the same (a hand-written workflow) refuses, and says so on the PR.
    applied = runner.run(merge, merged=True, command="apply", environments="prod")
    assert applied.code == 1
    assert "prod: nothing was applied: the GitHub Environment `prod` has no required" in (
        applied.out
    )
    (posted,) = [
        c for c in github.comments if c["body"].startswith(marker("reconciler:apply:prod"))
    ]
    assert "❌ refused: the GitHub Environment `prod` has no required reviewers" in posted["body"]
    assert "❌ refused" in applied.summary
    assert ory_server.writes() == []

    github.denied.add("actions")  # a job without `actions: read`
    unreadable = runner.run(merge, merged=True, command="route", environments="dev")
    assert unreadable.code == 1
    assert "give the job `actions: read`" in unreadable.out


# -- drift watch (issue 26 item 5) ----------------------------------------------------------


def test_drift_watch_opens_updates_and_closes_one_issue_per_environment(
    runner: Runner, github: FakeForge, ory_server: OryTestServer, example_repo: Path
) -> None:
    issues = f"/repos/{REPOSITORY}/issues"
    github.issues.append(
        {
            "number": 1,
            "state": "open",
            "user": {"login": "octocat"},
            "body": drift.marker("reconciler", "dev") + "\nforged",
        }
    )

    def watch(name: str) -> Result:
        watched = runner.run(
            runner.checkout(example_repo, name), command="drift", environments="dev"
        )
        assert watched.code == 0, watched.out
        assert obeyed(watched.out) == []
        return watched

    first = watch("watch-1")  # live differs, and holds security values nobody declared
    assert first.outputs["drift"] == "true"
    (opened,) = [i for i in github.issues if i["number"] == 2]  # not the octocat's
    assert opened["title"] == "reconciler: drift in dev" and opened["state"] == "open"
    assert opened["body"].startswith(drift.marker("reconciler", "dev") + "\n")
    assert "drift: 7 change(s), 3 undeclared security value(s)" in opened["body"]
    assert '! /session/whoami/required_aal: "aal1" -> "highest_available"' in opened["body"]
    for line in (
        "- `/selfservice/methods/link/enabled`: `true`: a sign-in method switched on",
        "- `/selfservice/methods/password/config/max_breaches`: `1`: weaker than Kratos' "
        "default: allowed password breaches (max_breaches) raised",
        '- `/session/lifespan`: `"72h"`: weaker than Kratos\' default: session lifespan raised',
    ):
        assert line in opened["body"]
    assert "`dev`: drift: 7 change(s), 3 undeclared security value(s) (issue #2 opened)" in (
        first.summary
    )

    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(runner.tmp_path),
        "LOGIN_HOOK_KEY": HOOK_KEY,
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
    }
    applied = subprocess.run(
        [str(BIN / "reconciler"), "apply", "dev", "--yes"],
        cwd=example_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr
    second = watch("watch-2")  # the declared part applied: the undeclared values stay
    assert [r.path for r in github.calls("PATCH", issues)] == [f"{issues}/2"]
    assert "drift: 3 undeclared security value(s)" in opened["body"]
    assert "Plan:" not in opened["body"] and "(issue #2 updated)" in second.summary

    dev = example_repo / "environments" / "dev.yaml"  # declared as they are: nothing to say
    dev.write_text(dev.read_text() + "  session: {lifespan: 72h}\n")
    dev.write_text(
        dev.read_text().replace(
            "    methods:\n",
            "    methods:\n      link: {enabled: true}\n"
            "      password: {config: {max_breaches: 1}}\n",
            1,
        )
    )
    third = watch("watch-3")
    assert third.outputs["drift"] == "false"
    assert opened["state"] == "closed" and opened["state_reason"] == "completed"
    (said,) = [c for c in github.comments if c.get("issue_number") == 2]
    assert said["body"].startswith("No drift any more")
    assert "(issue #2 closed)" in third.summary
    assert github.issues[0]["body"].endswith("forged")  # never touched
    assert len(github.calls("POST", issues)) == 2  # one issue opened, one comment
