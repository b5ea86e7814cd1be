"""What ``reconciler init`` writes into a new config repository: pure text, no I/O.

The GitHub workflow here is also the one docs/ci.md shows (a test keeps them equal), and it
uses this repository's own action (``action.yml``) at the version being installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from reconciler import __version__
from reconciler.jsontypes import JSONObject
from reconciler.loading.editor_schema import MODELINE, SCHEMA_PATH, environment_schema_text
from reconciler.loading.yamlio import dump_plain
from reconciler.repository.workdir import FOLDER_NAME

ACTION = f"acme/reconciler@v{__version__}"
WORKFLOW_PATH = PurePosixPath(".github/workflows/reconciler.yml")
DRIFT_WORKFLOW_PATH = PurePosixPath(".github/workflows/reconciler-drift.yml")
BASE_LAYER = "base.yaml"


@dataclass(frozen=True)
class ScaffoldFile:
    path: PurePosixPath  # relative to the repository root
    content: str


def repository_files(environment: str, target: JSONObject | None) -> tuple[ScaffoldFile, ...]:
    """Every file of a new repository with one environment extending a shared base layer."""
    return (
        ScaffoldFile(PurePosixPath("environments") / BASE_LAYER, base_layer_text()),
        ScaffoldFile(
            PurePosixPath("environments") / f"{environment}.yaml",
            environment_text(environment, target),
        ),
        ScaffoldFile(PurePosixPath(SCHEMA_PATH.as_posix()), environment_schema_text()),
        ScaffoldFile(PurePosixPath("hooks/.gitkeep"), ""),
        ScaffoldFile(PurePosixPath(".gitignore"), f"{FOLDER_NAME}/\n"),
        ScaffoldFile(WORKFLOW_PATH, github_workflow([environment])),
    )


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
    return f"""# Plan every pull request (one comment, the job summary, saved plans); on merge, plan
# again and apply only what the comment showed, through GitHub Environments. See docs/ci.md
# of reconciler.
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
      - uses: {ACTION}
        with:
          command: plan
          environments: {names}

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
          ref: ${{{{ github.event.pull_request.merge_commit_sha }}}}
      - uses: {ACTION}
        id: route
        with:
          command: route
          environments: {names}

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
          ref: ${{{{ github.event.pull_request.merge_commit_sha }}}}
      - uses: {ACTION}
        with:
          command: apply
          environments: ${{{{ matrix.environment }}}}
          allow-weaken: ${{{{ matrix.allow_weaken }}}}
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
      - uses: {ACTION}
        with:
          command: drift
          environments: {names}
"""
