"""The pipeline's steps, each one run of ``python -m reconciler.ci``:

* ``plan`` (pull request): plan every environment, save each plan under
  ``.reconciler/plans/``, post or update the one plan comment, which records per environment
  the digest of the operations it shows (no secret value: secrets by reference); the job
  summary gets the markdown from ``reconciler plan`` itself. A run without secrets (a pull
  request from a fork) validates only, and says why (``forks``).
* ``route`` (after merge): plan again on the merge commit and say which environments have
  changes and behind which approval they apply: ``ENV``, or ``ENV`` + the weaken suffix when
  a change weakens security (its reviewers approve ``--allow-weaken``).
* ``apply`` (one environment, in its approval environment): plan again on the merge commit,
  here, in the trusted context, and apply that plan only when its operations' digest is the
  one the reviewed plan comment records (read back from the forge, written by the bot). When
  it is not (another change merged first, the project moved, the files differ), refuse and
  post the new plan for review (job summary and a comment); ``on-stale: replan`` applies it
  anyway, saying so. Nothing a pull request's run produced (plan files, artifacts) is applied.
* ``drift`` (on a schedule, opt-in): plan every environment and keep one forge issue per
  drifted environment (``drift``).

Inputs come as ``INPUT_*`` variables (see ``action.yml``); the ``reconciler`` command is run
as a user would run it, so every refusal it makes still holds. Everything shown goes through
``job_output`` (scrubbed; the repository's text never obeyed as a workflow command).
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Mapping
from pathlib import Path

from reconciler import redact
from reconciler.ci import drift, forks, rotation_record
from reconciler.ci.forges import (
    Forge,
    GitHub,
    GitLab,
    digests_line,
    post_comment,
    read_digests,
    warned_if_refused,
)
from reconciler.ci.job_output import JobOutput
from reconciler.ci.pipeline import Inputs, Pipeline
from reconciler.errors import ReconcilerError
from reconciler.plan.value import PlanOutcome
from reconciler.repository import workdir
from reconciler.views import markdown

ERROR_LINES = 20  # of a failed plan's stderr, shown in the comment


def plan(pipeline: Pipeline) -> int:
    without_secrets = forks.why_without_secrets(pipeline)
    if without_secrets is not None:
        return forks.validate_only(pipeline, without_secrets)
    folder = workdir.make_folder(workdir.path(pipeline.root, "plans"))
    outcomes: list[PlanOutcome] = []
    digests: dict[str, str] = {}
    changes = False
    for name in pipeline.inputs.environments:
        rotation_record.restore(pipeline, name)
        result, saved = pipeline.saved_plan(name, folder / f"{name}.json")
        saved = saved if result.returncode in (0, 1, 2) else None
        if saved is not None and (result.returncode != 1 or saved.plan.errors):
            # A plan with errors (lint, a change that can never apply) is shown with its
            # findings, errors first; only a plan without errors may be applied.
            outcomes.append(PlanOutcome(name=name, plan=saved.plan))
            if not saved.plan.errors:
                digests[name] = saved.operations_digest
            changes |= result.returncode == 2
        else:
            error = "\n".join(result.stderr.strip().splitlines()[-ERROR_LINES:])
            outcomes.append(PlanOutcome(name=name, error=error or _last(result.stdout)))
    body = digests_line(digests) + "\n" + markdown.format_outcomes(outcomes)
    comment = post_comment(pipeline.forge, pipeline.log, pipeline.inputs.comment_key, body)
    pipeline.output("changes", "true" if changes else "false")
    pipeline.output("comment-id", comment or "")
    return 1 if any(outcome.failed for outcome in outcomes) else 0


def route(pipeline: Pipeline) -> int:
    fork = pipeline.forge.fork()
    if fork is not None:
        return forks.nothing_applied(pipeline, fork)
    include: list[dict[str, str]] = []
    for name in pipeline.inputs.environments:
        rotation_record.restore(pipeline, name)
        _, document = pipeline.fresh_plan(name, "plans")
        summary = document["summary"]
        if not (summary["add"] or summary["change"] or summary["reset"]):
            pipeline.log.echo(f"{name}: no changes on the merge commit; nothing to apply\n")
            continue
        weakens = bool(summary["weakening"])
        approval = f"{name}{pipeline.inputs.weaken_suffix}" if weakens else name
        include.append(
            {
                "environment": name,
                "github_environment": approval,
                "allow_weaken": "true" if weakens else "false",
            }
        )
        pipeline.log.echo(f"{name}: changes to apply behind the environment {approval}\n")
    _check_approvals(pipeline, [entry["github_environment"] for entry in include])
    pipeline.output("matrix", json.dumps({"include": include}, separators=(",", ":")))
    pipeline.output("any", "true" if include else "false")
    return 0


def _check_approvals(pipeline: Pipeline, environments: list[str]) -> None:
    """Fail, naming each, when an environment an apply job would run in does not make it
    wait for someone's approval."""
    problems = [
        problem
        for environment in environments
        if (problem := pipeline.forge.approval_problem(environment)) is not None
    ]
    if problems:
        raise ReconcilerError("nothing will be applied: " + "; ".join(problems))


def _approval_environment(pipeline: Pipeline, name: str) -> str:
    """The forge environment this apply job runs in (GitLab names it; GitHub: route's)."""
    suffix = pipeline.inputs.weaken_suffix if pipeline.inputs.allow_weaken else ""
    return pipeline.environ.get("CI_ENVIRONMENT_NAME") or f"{name}{suffix}"


def apply(pipeline: Pipeline) -> int:
    (name,) = pipeline.inputs.environments
    approval = _approval_environment(pipeline, name)
    problem = pipeline.forge.approval_problem(approval)
    if problem is not None:
        _post_result(pipeline, name, f"**reconciler apply** · `{name}` · ❌ refused: {problem}")
        raise ReconcilerError(f"{name}: nothing was applied: {problem}")
    rotation_record.restore(pipeline, name)
    fresh, document = pipeline.fresh_plan(name, "fresh")
    unreviewed = _unreviewed(pipeline, name, str(document["operations_digest"]))
    if unreviewed:
        new_plan = pipeline.reconciler("show", str(fresh), "--format", "markdown").stdout
        if pipeline.inputs.on_stale != "replan":
            _post_for_review(pipeline, name, unreviewed, new_plan)
            raise ReconcilerError(
                f"{name}: {unreviewed}; nothing was applied (on-stale: fail). The new plan "
                "is posted for review: merge a pull request that plans it (or set on-stale: "
                "replan to apply it unreviewed)"
            )
        pipeline.log.command(
            "warning", f"{name}: {unreviewed}; applying the plan made on the merge commit"
        )
        pipeline.summary(
            f"**reconciler apply** · `{name}` · {unreviewed}; applying this plan, which was "
            "not reviewed (on-stale: replan):"
        )
        pipeline.summary(new_plan)
    # The job's approval environment is the confirmation a protected environment needs.
    arguments = ["apply", "--plan", str(fresh), "--yes", "--env-confirm", name]
    if pipeline.inputs.allow_weaken:
        arguments.append("--allow-weaken")
    result = pipeline.reconciler(*arguments)
    if result.returncode == 0:
        rotation_record.keep(pipeline, name)
        status = f"✅ {_last(result.stdout)}"
    else:
        status = f"❌ failed: {_last(result.stderr)}"
    _post_result(pipeline, name, f"**reconciler apply** · `{name}` · {status}")
    return result.returncode


def _post_result(pipeline: Pipeline, name: str, text: str) -> None:
    """The apply's result in the job summary and on the merged pull request (a comment of
    its own per environment, updated by each apply); a token that may not write there is
    said, never a second failure."""
    pipeline.summary(text)
    key = f"{pipeline.inputs.comment_key}:apply:{name}"
    with warned_if_refused(pipeline.log, lambda status: _result_not_posted(name, status)):
        pipeline.forge.upsert_comment(key, text, merged=True)


def _result_not_posted(name: str, status: int) -> str:
    return (
        f"{name}: the apply's result could not be posted on the pull request (the forge "
        f"answered {status}); the job summary has it"
    )


def _unreviewed(pipeline: Pipeline, name: str, digest: str) -> str:
    """Why the plan made here is not the one reviewed; empty when it is."""
    key = pipeline.inputs.comment_key
    body = pipeline.forge.reviewed_comment(key)
    reviewed = None if body is None else read_digests(body, key)
    if reviewed is None:
        return "no reviewed plan comment (by the bot) was found on the merged change"
    if name not in reviewed:
        return f"the reviewed plan comment has no plan of {name} (it failed, or was not made)"
    if reviewed[name] != digest:
        return (
            f"the plan on the merge commit is not the one reviewed (operations "
            f"{_short(reviewed[name])} reviewed, {_short(digest)} now): another change merged "
            "first, the project was edited, or the files differ"
        )
    return ""


def _post_for_review(pipeline: Pipeline, name: str, why: str, new_plan: str) -> None:
    """The refusal and the plan that would apply now: in the job summary and a comment of its
    own (never the reviewed plan comment, whose digests stay what was reviewed)."""
    text = (
        f"**reconciler apply** · `{name}` · ❌ refused: {why}. Nothing was applied. This is "
        f"the plan on the merge commit, not reviewed:\n\n{new_plan}"
    )
    pipeline.summary(text)
    key = f"{pipeline.inputs.comment_key}:apply:{name}"
    pipeline.forge.upsert_comment(key, text, merged=True)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def _last(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(no output)"


COMMANDS = {"plan": plan, "route": route, "apply": apply, "drift": drift.watch}


# Credentials the pipeline holds besides the Ory key (which the command line registers).
_TOKENS = ("GITHUB_TOKEN", "GITLAB_API_TOKEN")


def main(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    log = JobOutput(env, env.get("INPUT_PLATFORM", "").strip() or "github")
    with redact.session():  # every run's secrets, until the comment and summary are written
        for name in _TOKENS:
            redact.register(env.get(name))
        try:
            return _run(env, log)
        finally:
            log.close()


def _run(env: Mapping[str, str], log: JobOutput) -> int:
    try:
        inputs = Inputs.from_environ(env)
        root = Path.cwd()
        forge: Forge = (
            GitHub(env, inputs.comment_author) if inputs.platform == "github" else GitLab(env)
        )
        return COMMANDS[inputs.command](Pipeline(inputs, forge, env, root, log))
    except ReconcilerError as exc:
        log.command("error", str(exc))
        return 1
    except KeyError as exc:  # a variable the CI service sets is missing
        log.command("error", f"{exc.args[0]} is not set (is this a CI job?)")
        return 1
    except Exception as exc:  # a bug: its traceback may quote the repository, so it is echoed
        log.echo(traceback.format_exc())
        log.command("error", f"unexpected error (a bug in reconciler): {type(exc).__name__}")
        return 1
