"""The pipelines docs/ci.md shows: the GitHub workflow is the one `reconciler init` writes and
uses the action's real inputs (the action itself: test_github_action.py); the GitLab template
runs as written (its shell lines, not the CI service) against the local Ory test server and a
local GitLab API, through the plan, apply, protected, weakening-approved and stale paths (the
stale one refused by default, and a note by anyone but the token's user never read).

Each `script` line is `NAME=value ... python -I -m reconciler.ci`. The tests that depend on
how GitLab runs it (bash, `python -I`, what reaches the job log) run it so (``gitlab.shell``);
the others run ``python -m reconciler.ci`` in this process with the line's variables
(``_in_process``): a new interpreter per job spent 0.3 s importing, half of these tests' time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler import DISTRIBUTION
from reconciler.ci import action
from reconciler.ci.forges import marker, read_digests
from reconciler.loading.yamlio import load_with_positions
from reconciler.usecases import scaffold

from conftest import REPO_ROOT
from forge_server import GITLAB_PROJECT, GITLAB_TOKEN, GITLAB_USER, MERGE_COMMIT, FakeForge
from ory_server import OryTestServer

CI_DOC = REPO_ROOT / "docs" / "ci.md"
GITLAB_TEMPLATE = REPO_ROOT / "ci" / "gitlab" / "reconciler.gitlab-ci.yml"
ACTION: Any = load_with_positions((REPO_ROOT / "action.yml").read_text()).data
PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
HOOK_KEY = "ci-hook-key-5e0d"
BIN = Path(sys.executable).parent  # where the reconciler console script is installed


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail`; GitLab runs -e too.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ci_env(server: OryTestServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
        **extra,
    }


def _checkout(example_repo: Path, tmp_path: Path, name: str) -> Path:
    """A fresh copy of the repository, as another CI job would check it out."""
    copy = tmp_path / name
    shutil.copytree(example_repo, copy, ignore=shutil.ignore_patterns("plan.*"))
    return copy


def _yaml(text: str) -> Any:
    return load_with_positions(text).data


def _documented_workflow() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(), flags=re.DOTALL)
    (workflow,) = [block for block in blocks if block.startswith("# Plan every pull request")]
    return str(workflow)


def test_the_documented_github_workflow_is_the_one_init_writes() -> None:
    assert _documented_workflow() == scaffold.github_workflow(["dev", "prod"])


def test_the_documented_drift_watch_is_the_one_init_writes_from_the_pinned_install() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(), flags=re.DOTALL)
    (documented,) = [block for block in blocks if block.startswith("# Drift watch")]
    assert documented == scaffold.drift_workflow(["dev", "prod"])
    workflow = _yaml(documented)
    (run_step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    steps = workflow["jobs"]["drift"]["steps"]
    installs = [s["run"] for s in steps if "pip install" in s.get("run", "")]
    assert installs == [f'python -I -m pip install --quiet "{scaffold.INSTALL}"']
    (step,) = [s for s in steps if "reconciler.ci" in s.get("run", "")]
    assert step["env"]["INPUT_COMMAND"] == "drift"
    assert {k for k in step["env"] if k.startswith("INPUT_")} <= set(run_step["env"])
    assert workflow["jobs"]["drift"]["permissions"]["issues"] == "write"
    assert "drift" in ACTION["outputs"]


def test_the_workflow_runs_what_the_action_runs_from_the_pinned_install() -> None:
    workflow = _yaml(_documented_workflow())
    (run_step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    action_inputs = {k for k in run_step["env"] if k.startswith("INPUT_")}
    for job in workflow["jobs"].values():
        installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
        assert installs == [f'python -I -m pip install --quiet "{scaffold.INSTALL}"']
    ours = [
        s
        for job in workflow["jobs"].values()
        for s in job["steps"]
        if "reconciler.ci" in s.get("run", "")
    ]
    assert [s["env"]["INPUT_COMMAND"] for s in ours] == ["plan", "route", "apply"]
    for step in ours:
        assert step["run"] == "python -I -m reconciler.ci"
        assert {k for k in step["env"] if k.startswith("INPUT_")} <= action_inputs, step["env"]
        assert step["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    route = workflow["jobs"]["route"]
    assert [s.get("id") for s in route["steps"] if s in ours] == ["route"]
    assert set(route["outputs"]) <= set(ACTION["outputs"])
    apply_job = workflow["jobs"]["apply"]
    assert apply_job["environment"] == "${{ matrix.github_environment }}"
    assert apply_job["strategy"]["matrix"] == "${{ fromJSON(needs.route.outputs.matrix) }}"


# -- GitLab ---------------------------------------------------------------------------------


def _gitlab_job(template: dict[str, Any], name: str) -> dict[str, Any]:
    """The job with its `extends` chain merged in (mappings key by key, the job winning)."""
    job = dict(template[name])
    parent = job.pop("extends", None)
    if parent is None:
        return job
    merged = _gitlab_job(template, parent)
    for key, value in job.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


_VARIABLE = re.compile(r"\$(\w+)")
_RUN_CI = ["python", "-I", "-m", "reconciler.ci"]


def _in_process(
    script: list[str], cwd: Path, env: dict[str, str], output: pytest.CaptureFixture[str]
) -> subprocess.CompletedProcess[str]:
    """A `script` of ``NAME=value ... python -I -m reconciler.ci`` lines, each run as ``python
    -m reconciler.ci`` runs it (``action.main``) in this process, with exactly ``env`` and the
    line's variables as the environment. A line of another form fails the test."""
    saved = dict(os.environ)
    output.readouterr()
    code = 0
    try:
        for line in script:
            words = shlex.split(line)
            assert words[-len(_RUN_CI) :] == _RUN_CI, line
            assigned = dict(word.split("=", 1) for word in words[: -len(_RUN_CI)])
            expanded = {
                name: _VARIABLE.sub(lambda match: env.get(match.group(1), ""), value)
                for name, value in assigned.items()
            }
            os.environ.clear()
            os.environ.update(env | expanded)
            with contextlib.chdir(cwd):
                code = action.main()
            if code != 0:  # GitLab's shell runs -e: the job ends at the first failure
                break
    finally:
        os.environ.clear()
        os.environ.update(saved)
    out, err = output.readouterr()
    return subprocess.CompletedProcess(["action.main"], code, out, err)


@dataclass
class GitLabPipeline:
    server: OryTestServer
    forge: FakeForge
    tmp_path: Path
    template: dict[str, Any]
    output: pytest.CaptureFixture[str]  # what a job run in this process writes (fd level)
    shell: bool = False  # run each script in a `bash`, as GitLab does

    def run(
        self, job_name: str, checkout: Path, merge_request: bool, **matrix: str
    ) -> subprocess.CompletedProcess[str]:
        """The job's script in a `bash` as GitLab runs it when ``shell``, else in this
        process (the module's docstring); its `after_script` in a `bash` either way."""
        job = _gitlab_job(self.template, job_name)
        assert f'"{DISTRIBUTION}==${{RECONCILER_VERSION}}"' in "".join(job["before_script"])
        variables = {**self.template["variables"], **job.get("variables", {}), **matrix}
        ci = {
            "CI_API_V4_URL": f"{self.forge.api_url}/api/v4",
            "CI_PROJECT_ID": GITLAB_PROJECT,
            "GITLAB_API_TOKEN": GITLAB_TOKEN,
        }
        if merge_request:
            ci["CI_MERGE_REQUEST_IID"] = "42"
        else:  # a pipeline of the default branch, on the merge commit
            ci["CI_COMMIT_SHA"] = MERGE_COMMIT
        env = _ci_env(
            self.server, self.tmp_path, **{**ci, **{k: str(v) for k, v in variables.items()}}
        )
        if self.shell:
            done = _shell("\n".join(job["script"]), checkout, env)
        else:
            done = _in_process(job["script"], checkout, env, self.output)
        if "after_script" in job:  # GitLab runs it whatever the script's outcome
            after = _shell("\n".join(job["after_script"]), checkout, env)
            assert after.returncode == 0, after.stderr
        return done

    def artifact(self, job_name: str, source: Path, destination: Path) -> None:
        """What GitLab hands the next job: the paths the job kept."""
        for path in _gitlab_job(self.template, job_name)["artifacts"]["paths"]:
            if (source / path).is_dir():
                shutil.copytree(source / path, destination / path)


@pytest.fixture
def gitlab(
    ory_server: OryTestServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> Iterator[GitLabPipeline]:
    ory_server.add_project(project_id=PROD)
    forge = FakeForge().start()
    try:
        template = _yaml(GITLAB_TEMPLATE.read_text())
        yield GitLabPipeline(ory_server, forge, tmp_path, template, capfd)
    finally:
        forge.stop()


def _reviewed_note(gitlab: GitLabPipeline, checkout: Path) -> dict[str, Any]:
    """The merge request's pipeline: every environment planned, one note; then merged."""
    planned = gitlab.run("reconciler-plan", checkout, merge_request=True)
    assert planned.returncode == 0, planned.stderr
    (note,) = gitlab.forge.notes
    gitlab.forge.merged = True
    return note


def test_gitlab_merge_request_note_then_manual_apply_of_the_reviewed_plan(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    gitlab.shell = True  # the whole path as GitLab runs each script, once
    merge_request = _checkout(example_repo, tmp_path, "mr")
    for _ in range(2):  # a second push updates the same note
        planned = gitlab.run("reconciler-plan", merge_request, merge_request=True)
        assert planned.returncode == 0, planned.stderr
    (note,) = gitlab.forge.notes
    assert note["body"].startswith(marker("reconciler") + "\n<!-- reconciler-digests {")
    assert "\n**reconciler plan** · 2 environments" in note["body"]
    assert set(read_digests(note["body"], "reconciler") or {}) == {"dev", "prod"}
    assert HOOK_KEY not in note["body"]
    assert [r.method for r in gitlab.forge.requests if r.method != "GET"] == ["POST", "PUT"]
    gitlab.forge.merged = True

    main = _checkout(example_repo, tmp_path, "main")
    planned = gitlab.run("reconciler-plan", main, merge_request=False)
    assert planned.returncode == 0, planned.stderr
    assert gitlab.forge.notes == [note]  # the default branch never touches the reviewed note
    apply_job = _checkout(example_repo, tmp_path, "apply")
    assert _gitlab_job(gitlab.template, "reconciler-apply")["needs"] == [
        {"job": "reconciler-plan", "artifacts": False}  # nothing the plan jobs made is applied
    ]
    applied = gitlab.run("reconciler-apply", apply_job, False, RECONCILER_ENVIRONMENT="dev")
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 1 added, 6 changed, 0 reset." in applied.stdout
    assert "refused" not in applied.stdout + applied.stderr
    kept = tmp_path / "kept"
    gitlab.artifact("reconciler-apply", apply_job, kept)
    assert not (kept / ".reconciler" / "backups").exists()  # kept only when asked

    # A second change, reviewed the same way, applied by a job that asks to keep its backups.
    main_again = _checkout(example_repo, tmp_path, "main-again")
    dev = main_again / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("Acme (dev)", "Acme (d)"))
    gitlab.forge.merged = False
    assert gitlab.run("reconciler-plan", main_again, merge_request=True).returncode == 0
    gitlab.forge.merged = True
    asked = tmp_path / "apply-asked"
    shutil.copytree(main_again, asked)
    applied = gitlab.run(
        "reconciler-apply",
        asked,
        False,
        RECONCILER_ENVIRONMENT="dev",
        RECONCILER_KEEP_BACKUPS="true",
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    gitlab.artifact("reconciler-apply", asked, kept)
    assert len(list((kept / ".reconciler" / "backups" / "dev").glob("*.json"))) == 1


def test_gitlab_protected_weakening_and_stale_paths(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    prod = example_repo / "environments" / "prod.yaml"
    prod.write_text(
        prod.read_text().replace(
            "    flows:\n", "    flows:\n      settings: {required_aal: aal1}\n"
        )
        + "protect: true\nprotect_allow_weaken: true\n"
    )
    _reviewed_note(gitlab, _checkout(example_repo, tmp_path, "mr"))

    refused = _checkout(example_repo, tmp_path, "refused")
    result = gitlab.run("reconciler-apply", refused, False, RECONCILER_ENVIRONMENT="prod")
    assert result.returncode == 1
    assert "weaken security" in result.stdout + result.stderr
    assert gitlab.server.writes() == []

    # A console hotfix of a value prod declares, after review: refused, the new plan posted.
    gitlab.server.console_edit(
        lambda c: c["selfservice"]["flows"]["login"].update(lifespan="2h"), PROD
    )
    job = "reconciler-apply-allow-weaken"
    assert _gitlab_job(gitlab.template, job)["environment"]["name"].endswith("-allow-weaken")
    stale = _checkout(example_repo, tmp_path, "stale")
    result = gitlab.run(job, stale, False, RECONCILER_ENVIRONMENT="prod")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "prod: the plan on the merge commit is not the one reviewed"
        in result.stdout + result.stderr
    )
    assert gitlab.server.writes() == []
    posted = gitlab.forge.notes[-1]
    assert posted["body"].startswith(marker("reconciler:apply:prod") + "\n")
    assert "**reconciler plan** · `prod`" in posted["body"]

    approved = _checkout(example_repo, tmp_path, "approved")
    result = gitlab.run(
        job, approved, False, RECONCILER_ENVIRONMENT="prod", RECONCILER_ON_STALE="replan"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    stored = gitlab.server.stored_identity_config(PROD)
    assert stored["selfservice"]["flows"]["settings"]["required_aal"] == "aal1"


def test_gitlab_reads_only_the_note_of_the_tokens_user(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    note = _reviewed_note(gitlab, _checkout(example_repo, tmp_path, "mr"))
    assert note["author"] == GITLAB_USER
    # Someone else's note, first in line (newest), claiming another plan was reviewed.
    forged = note["body"].replace('"dev":"sha256:', '"dev":"sha256:0', 1)
    gitlab.forge.add_note(forged, {"id": 99, "username": "mallory"})
    applied = gitlab.run(
        "reconciler-apply",
        _checkout(example_repo, tmp_path, "apply"),
        False,
        RECONCILER_ENVIRONMENT="dev",
    )
    assert applied.returncode == 0, applied.stderr  # the bot's note decided
    note["author"] = {"id": 99, "username": "mallory"}  # and without a note by the bot:
    gitlab.server.console_edit(lambda c: c["selfservice"]["flows"]["login"].update(lifespan="2h"))
    refused = gitlab.run(
        "reconciler-apply",
        _checkout(example_repo, tmp_path, "again"),
        False,
        RECONCILER_ENVIRONMENT="dev",
    )
    assert refused.returncode == 1
    assert "no reviewed plan comment (by the bot) was found" in refused.stdout + refused.stderr


def test_gitlab_merge_request_from_a_fork_is_validated_only(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    # A fork's merge request pipeline runs in the fork's project: none of this project's
    # variables (no workspace key, no GITLAB_API_TOKEN).
    merge_request = _checkout(example_repo, tmp_path, "fork")
    planned = gitlab.run(
        "reconciler-plan",
        merge_request,
        merge_request=True,
        CI_MERGE_REQUEST_SOURCE_PROJECT_PATH="stranger/identity-config",
        CI_MERGE_REQUEST_PROJECT_PATH="acme/identity-config",
        ORY_WORKSPACE_API_KEY="",
        GITLAB_API_TOKEN="",
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "validate only: this pull request comes from the fork `stranger/identity-config`" in (
        planned.stdout
    )
    assert "- `dev`: valid" in planned.stdout
    assert gitlab.server.requests == [] and gitlab.forge.notes == []


def test_gitlab_runs_no_code_from_the_merge_request(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    # `python -m reconciler.ci` would import a reconciler/ folder of the checkout first.
    gitlab.shell = True
    merge_request = _checkout(example_repo, tmp_path, "mr")
    stolen = tmp_path / "stolen"
    steal = f"import pathlib; pathlib.Path({str(stolen)!r}).write_text('ran')\n"
    for package in ("reconciler", "reconciler/ci"):
        (merge_request / package).mkdir()
        (merge_request / package / "__init__.py").write_text(steal)
        (merge_request / package / "__main__.py").write_text(steal)
    planned = gitlab.run("reconciler-plan", merge_request, merge_request=True)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert not stolen.exists()


def test_no_text_from_the_merge_request_opens_a_collapsible_section_in_the_job_log(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    # GitLab's job log reads "\e[0Ksection_start:TIME:NAME\r\e[0KHEADER" as the start of a
    # collapsible section (https://docs.gitlab.com/ee/ci/jobs/job_logs.html): a merge request
    # could fold away the lines that matter. No escape or carriage return reaches the log.
    gitlab.shell = True  # the log: everything the process writes
    merge_request = _checkout(example_repo, tmp_path, "mr")
    dev = merge_request / "environments" / "dev.yaml"
    marker_text = '"\\e[0Ksection_start:1700000000:hidden[collapsed=true]\\r\\e[0Kbase.yaml"'
    dev.write_text(dev.read_text().replace("extends: base.yaml", f"extends: {marker_text}"))
    planned = gitlab.run("reconciler-plan", merge_request, merge_request=True)
    assert planned.returncode == 1
    log = planned.stdout + planned.stderr
    assert "section_start:1700000000:hidden" in log  # shown ...
    assert "\x1b" not in log and "\r" not in log  # ... but inert


def test_the_pre_commit_hook_runs_validate(example_repo: Path, tmp_path: Path) -> None:
    hooks: Any = load_with_positions((REPO_ROOT / ".pre-commit-hooks.yaml").read_text()).data
    (hook,) = hooks
    assert hook["id"] == "reconciler-validate"
    assert hook["pass_filenames"] is False
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "LOGIN_HOOK_KEY": "any"}
    result = _shell(hook["entry"], example_repo, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "base: valid",
        "dev: valid",
        "local: valid",
        "prod: valid",
    ]


def test_gitlab_keeps_the_rotation_record_and_applies_only_in_a_protected_environment(
    gitlab: GitLabPipeline, example_repo: Path, tmp_path: Path
) -> None:
    dev = example_repo / "environments" / "dev.yaml"
    dev.write_text(
        dev.read_text()
        + '  courier:\n    smtp:\n      connection_uri: "smtps://a:${LOGIN_HOOK_KEY}@m.test:465"\n'
        + "rotate:\n  /courier/smtp/connection_uri: 3\n"
    )
    _reviewed_note(gitlab, _checkout(example_repo, tmp_path, "mr"))
    gitlab.forge.protected_environments.discard("dev")
    unprotected = gitlab.run(
        "reconciler-apply",
        _checkout(example_repo, tmp_path, "a"),
        False,
        RECONCILER_ENVIRONMENT="dev",
    )
    assert unprotected.returncode == 1
    assert "the GitLab environment `dev` is not protected" in unprotected.stdout
    assert gitlab.server.writes() == []

    gitlab.forge.protected_environments.add("dev")
    applied = gitlab.run(
        "reconciler-apply",
        _checkout(example_repo, tmp_path, "b"),
        False,
        RECONCILER_ENVIRONMENT="dev",
    )
    assert applied.returncode == 0, applied.stdout
    record = gitlab.forge.variables["RECONCILER_ROTATIONS_dev"]
    assert '"rotated":{"/courier/smtp/connection_uri":3}' in record and HOOK_KEY not in record
    assert "✅ Apply complete" in gitlab.forge.notes[-1]["body"]  # the result, on the MR

    gitlab.forge.merged = False  # the next merge request, from a fresh checkout
    planned = gitlab.run("reconciler-plan", _checkout(example_repo, tmp_path, "c"), True)
    assert planned.returncode == 0, planned.stdout
    assert "### `dev` · No changes." in gitlab.forge.notes[0]["body"]
