"""What ``reconciler init`` writes into a new config repository: pure text, no I/O.

The GitHub workflow here is also the one docs/ci.md shows (a test keeps them equal). It
installs this version of this distribution from the package index (``INSTALL``) and runs the
logic ``action.yml`` runs (``python -I -m reconciler.ci``): the tool has no public source
repository to ``uses:`` an action from, and an install pinned on the index is the same one a
user's laptop gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from reconciler import DISTRIBUTION, __version__
from reconciler.jsontypes import JSONObject
from reconciler.loading.editor_schema import MODELINE, SCHEMA_PATH, environment_schema_text
from reconciler.loading.yamlio import dump_plain
from reconciler.repository.workdir import FOLDER_NAME

INSTALL = f"{DISTRIBUTION}=={__version__}"  # the pip requirement every generated file installs
WORKFLOW_PATH = PurePosixPath(".github/workflows/reconciler.yml")
DRIFT_WORKFLOW_PATH = PurePosixPath(".github/workflows/reconciler-drift.yml")
GITIGNORE_PATH = PurePosixPath(".gitignore")
BASE_LAYER = "base.yaml"


@dataclass(frozen=True)
class ScaffoldFile:
    path: PurePosixPath  # relative to the repository root
    content: str


def repository_files(environment: str, target: JSONObject | None) -> tuple[ScaffoldFile, ...]:
    """Every file of a new repository with one environment extending a shared base layer."""
    return (
        ScaffoldFile(PurePosixPath("environments") / BASE_LAYER, base_layer_text()),
        ScaffoldFile(environment_path(environment), environment_text(environment, target)),
        ScaffoldFile(PurePosixPath(SCHEMA_PATH.as_posix()), environment_schema_text()),
        ScaffoldFile(PurePosixPath("hooks/.gitkeep"), ""),
        ScaffoldFile(GITIGNORE_PATH, f"{FOLDER_NAME}/\n"),
        ScaffoldFile(WORKFLOW_PATH, github_workflow([environment])),
    )


def environment_path(environment: str) -> PurePosixPath:
    return PurePosixPath("environments") / f"{environment}.yaml"


def base_layer_text() -> str:
    return f"""{MODELINE}
# Shared by every environment: a layer without a target, so it is only ever extended.
# Only what is written here (or in an environment) is managed; the rest is left as it is.
# For example:
#   selfservice:
#     methods:
#       totp: {{enabled: true, config: {{issuer: Acme}}}}
identity_config: {{}}
"""


def environment_text(environment: str, target: JSONObject | None) -> str:
    if target is None:
        declared = f"""# target: (uncomment one, then run `reconciler plan {environment}`)
#   ory_network: {{project: YOUR-PROJECT-ID}}   # needs ORY_WORKSPACE_API_KEY
#   kratos_file: {{path: ../deploy/kratos.yml}}  # inside this repository
"""
    else:
        declared = dump_plain({"target": target})
    return f"""{MODELINE}
# The {environment} environment: what base.yaml says, plus what is written here.
extends: {BASE_LAYER}
{declared}identity_config: {{}}
"""


def environment_header(environment: str) -> str:
    """The first lines of an environment file written by ``init --from-project``."""
    return f"{MODELINE}\n# The {environment} environment, exported by `reconciler init`.\n"


def github_workflow(environments: list[str]) -> str:
    """Plan on pull requests (one comment, job summary, saved plans); on merge, plan again and
    apply what was reviewed through GitHub Environments (see docs/ci.md)."""
    names = " ".join(environments)
    merge_commit = "ref: ${{ github.event.pull_request.merge_commit_sha }}"
    return f"""# Plan every pull request (one comment, the job summary, saved plans); on merge, plan
# again and apply only what the comment showed, through GitHub Environments. See docs/ci.md
# of reconciler ({DISTRIBUTION} on the package index).
name: reconciler
on:
  pull_request:
    types: [opened, synchronize, reopened, closed]
    paths: ["environments/**", "schemas/**", "hooks/**", "reconciler.yaml"]

permissions:
  contents: read

env:
  ORY_WORKSPACE_API_KEY: ${{{{ secrets.ORY_WORKSPACE_API_KEY }}}}
  # and every variable your environment files name, e.g.
  # LOGIN_HOOK_KEY: ${{{{ secrets.LOGIN_HOOK_KEY }}}}

jobs:
  plan:
    if: github.event.action != 'closed'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
      deployments: read  # the rotation record of each environment's last apply
    steps:
      - uses: actions/checkout@v4
{_install_steps()}      - run: python -I -m reconciler.ci
        env:
          INPUT_COMMAND: plan
          INPUT_ENVIRONMENTS: {names}
          GITHUB_TOKEN: ${{{{ github.token }}}}  # posts the plan comment
      - name: Keep the saved plans (to read with reconciler show; nothing applies them)
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: reconciler-plans
          path: .reconciler/plans/
          include-hidden-files: true
          if-no-files-found: ignore
          retention-days: 30

  route:
    if: github.event.action == 'closed' && github.event.pull_request.merged
    runs-on: ubuntu-latest
    permissions:
      contents: read
      deployments: read
      actions: read  # check each approval environment requires reviewers
    outputs:
      matrix: ${{{{ steps.route.outputs.matrix }}}}
      any: ${{{{ steps.route.outputs.any }}}}
    steps:
      - uses: actions/checkout@v4
        with:
          {merge_commit}
{_install_steps()}      - id: route
        run: python -I -m reconciler.ci
        env:
          INPUT_COMMAND: route
          INPUT_ENVIRONMENTS: {names}
          GITHUB_TOKEN: ${{{{ github.token }}}}

  apply:
    needs: route
    if: needs.route.outputs.any == 'true'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write  # read the reviewed plan comment; post the result
      deployments: write  # keep the rotation record with the apply
      actions: read
    strategy:
      fail-fast: false
      matrix: ${{{{ fromJSON(needs.route.outputs.matrix) }}}}
    # A GitHub Environment per reconciler environment (protection rules, secrets), and
    # ENV-allow-weaken for changes that weaken security: its reviewers approve them.
    environment: ${{{{ matrix.github_environment }}}}
    concurrency: reconciler-${{{{ matrix.environment }}}}
    steps:
      - uses: actions/checkout@v4
        with:
          {merge_commit}
{_install_steps()}      - run: python -I -m reconciler.ci
        env:
          INPUT_COMMAND: apply
          INPUT_ENVIRONMENTS: ${{{{ matrix.environment }}}}
          INPUT_ALLOW_WEAKEN: ${{{{ matrix.allow_weaken }}}}
          GITHUB_TOKEN: ${{{{ github.token }}}}  # reads the reviewed comment; posts a refusal
"""


def drift_workflow(environments: list[str]) -> str:
    """Drift watch: every day, plan each environment and keep one issue per environment with
    what drifted and the security values nobody declared (see docs/ci.md)."""
    names = " ".join(environments)
    return f"""# Drift watch: every day, plan each environment as the apply job would and keep one
# issue per environment (opened, updated, closed) saying what live changed and which
# security values no environment file declares. See docs/ci.md of reconciler.
name: reconciler drift watch
on:
  schedule:
    - cron: "17 6 * * *"
  workflow_dispatch:

permissions:
  contents: read

env:
  ORY_WORKSPACE_API_KEY: ${{{{ secrets.ORY_WORKSPACE_API_KEY }}}}
  # and every variable your environment files name, e.g.
  # LOGIN_HOOK_KEY: ${{{{ secrets.LOGIN_HOOK_KEY }}}}

jobs:
  drift:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      issues: write  # one issue per drifted environment
      deployments: read  # the rotation record of each environment's last apply
    concurrency: reconciler-drift
    steps:
      - uses: actions/checkout@v4
{_install_steps()}      - run: python -I -m reconciler.ci
        env:
          INPUT_COMMAND: drift
          INPUT_ENVIRONMENTS: {names}
          GITHUB_TOKEN: ${{{{ github.token }}}}  # opens, updates and closes the drift issues
"""


def _install_steps() -> str:
    """Python, then this version of reconciler from the package index. ``-I``: the checkout
    is data, never code (``python -m`` would import a ``pip/`` or ``reconciler/`` folder of
    the working directory before the installed one)."""
    return f"""      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: python -I -m pip install --quiet "{INSTALL}"
"""


# A static list of environment names in a workflow or CI template (not `${{ … }}`).
_ENVIRONMENT_LIST = re.compile(
    r"^(?P<line>\s*(?:INPUT_ENVIRONMENTS|environments|RECONCILER_ENVIRONMENTS):"
    r" *\"?(?P<names>[A-Za-z0-9_.-]+(?: +[A-Za-z0-9_.-]+)*)\"?) *$"
)


@dataclass(frozen=True)
class WorkflowEdit:
    """How to add an environment to an existing workflow: ``text`` is the workflow rewritten
    when it is the one init wrote, untouched; ``lines`` the (line number, as it is, as it must
    be) of each environment list, for the user to change by hand otherwise."""

    text: str | None
    lines: tuple[tuple[int, str, str], ...]


def workflow_with(existing: str, environment: str) -> WorkflowEdit:
    """``existing`` with ``environment`` added to each list of environments it plans and
    applies. Only a workflow equal to what ``github_workflow`` writes for its own list is
    rewritten: any other (edited by hand, written by another version) is the user's."""
    lines: list[tuple[int, str, str]] = []
    names: list[str] = []
    for number, line in enumerate(existing.splitlines(), start=1):
        found = _ENVIRONMENT_LIST.match(line)
        if found is None or environment in found["names"].split():
            continue
        names = names or found["names"].split()
        end = found.end("names")
        lines.append((number, line, f"{line[:end]} {environment}{line[end:]}"))
    rewritten = None
    if lines and existing == github_workflow(names):
        rewritten = github_workflow([*names, environment])
    return WorkflowEdit(rewritten, tuple(lines))
