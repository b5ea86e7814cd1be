"""Where the pipeline keeps which ``rotate:`` version of each write-only value was last sent:
on the forge, since a runner keeps nothing between jobs (``usecases/rotations.py`` is the
record's format and the rule that reads it).

Before every plan (plan, route and apply jobs alike) the forge's record of the environment is
put in place of ``.reconciler/state/ENV.json``: a record the repository holds (a file a pull
request committed) is never read. After a successful apply, the record that apply wrote is kept
on the forge: GitHub, a deployment of the merge commit to the environment (task
``reconciler:apply``, its payload the record; read back only when the bot account made it);
GitLab, a project CI/CD variable ``RECONCILER_ROTATIONS_ENV`` (which only maintainers may
write). So a bumped version is sent once, by the apply after its merge, and every later plan,
from any fresh checkout, finds it sent (docs/security.md §3, "The rotation record").
"""

from __future__ import annotations

from reconciler.ci.forges import warned_if_refused
from reconciler.ci.pipeline import Pipeline
from reconciler.usecases import rotations


def restore(pipeline: Pipeline, environment: str) -> None:
    """Put the forge's record of ``environment`` in place of the local one (or none)."""

    def unread(status: int) -> str:
        return (
            f"{environment}: the rotation record could not be read (the forge answered "
            f"{status}): every rotate: version plans as not sent. Give the job "
            "`deployments: read` (GitHub) or a GITLAB_API_TOKEN of a maintainer (GitLab)"
        )

    record = None
    with warned_if_refused(pipeline.log, unread):
        record = pipeline.forge.last_applied(environment)
    rotations.restore(pipeline.root, environment, record)


def keep(pipeline: Pipeline, environment: str) -> None:
    """Keep the record a successful apply of ``environment`` left, when there is one."""

    def unkept(status: int) -> str:
        return (
            f"{environment}: applied, but the rotation record could not be kept (the forge "
            f"answered {status}): the next plan sends the rotated values again. Give the "
            "apply job `deployments: write` (GitHub) or a GITLAB_API_TOKEN of a maintainer "
            "(GitLab)"
        )

    record = rotations.kept(pipeline.root, environment)
    if record is not None:
        with warned_if_refused(pipeline.log, unkept):
            pipeline.forge.record_applied(environment, record)
