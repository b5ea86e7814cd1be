"""Runs without secrets: a pull request from a fork, or a run the workspace key did not reach.

GitHub runs the ``pull_request`` workflows of a pull request from a fork with no secret and a
read-only ``GITHUB_TOKEN`` (every activity type, ``closed`` included); so does GitLab a merge
request pipeline in the fork's project, and Dependabot's pull requests get no Actions
secrets either. Such a run cannot plan (that needs ``ORY_WORKSPACE_API_KEY``), so it
validates the environments, which needs no secret, and says in the job summary why that is
all it did and how a maintainer gets a plan; after a merge it says nothing was applied.
Its comment cannot be posted with a read-only token: ``forges.post_comment`` says so.
"""

from __future__ import annotations

from reconciler.ci.forges import post_comment
from reconciler.ci.pipeline import Pipeline

KEY = "ORY_WORKSPACE_API_KEY"


def why_without_secrets(pipeline: Pipeline) -> str | None:
    """Why this run has no secrets to plan with; None when it has them."""
    fork = pipeline.forge.fork()
    if fork is not None:
        return (
            f"this pull request comes from the fork `{fork}`: its workflow runs get no "
            "secrets and a read-only token"
        )
    if not pipeline.environ.get(KEY):
        return (
            f"{KEY} is not set in this run (a pull request from a fork or by Dependabot gets "
            "no secrets; otherwise set the secret for this workflow)"
        )
    return None


def validate_only(pipeline: Pipeline, reason: str) -> int:
    """Validate each environment (no secret needed), and say why nothing more ran."""
    lines = []
    for name in pipeline.inputs.environments:
        valid = pipeline.reconciler("validate", name).returncode == 0
        lines.append(f"- `{name}`: {'valid' if valid else 'invalid (the job log says why)'}")
    how = (
        "To get a plan, a maintainer reviews every file the change touches (workflows "
        "included: a branch runs the workflow as that branch has it), pushes it to a branch "
        "of this repository and opens a pull request from there; or runs `reconciler plan` "
        "where the key is."
    )
    text = "\n".join(
        [f"**reconciler** · validate only: {reason}, so no plan was made.", "", *lines, "", how]
    )
    pipeline.log.command("warning", f"reconciler validated only: {reason}")
    pipeline.summary(text)
    post_comment(pipeline.forge, pipeline.log, pipeline.inputs.comment_key, text)
    pipeline.output("changes", "false")
    pipeline.output("comment-id", "")
    return 0 if all(line.endswith(": valid") for line in lines) else 1


def nothing_applied(pipeline: Pipeline, fork: str) -> int:
    """After merging a pull request from a fork: this run has no key, so nothing is applied."""
    text = (
        f"**reconciler** · nothing applied: the merged pull request came from the fork "
        f"`{fork}`, and GitHub gives the runs of its events no secrets. Its change is in the "
        "default branch: the next pull request from a branch of this repository plans and "
        "applies it with its own (the plan shows it), or run `reconciler apply` where the key "
        "is."
    )
    pipeline.log.command("warning", "reconciler applied nothing: the pull request came from a fork")
    pipeline.summary(text)
    pipeline.output("matrix", '{"include":[]}')
    pipeline.output("any", "false")
    return 0
