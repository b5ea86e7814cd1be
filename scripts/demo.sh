#!/usr/bin/env bash
# The main job, end to end, on the out-of-the-box target (a self-hosted Kratos config file):
# validate every environment, plan `local`, apply it, and plan again to show convergence.
set -euo pipefail
reconciler="${1:-reconciler}"
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m$ reconciler %s\033[0m\n' "$*"; }

# The "live" Kratos config lives outside tracked files, so the demo can run again and again.
mkdir -p .demo
cp examples/kratos/kratos.yml examples/kratos/identity.schema.json .demo/
# The login web hook's API key comes from the environment, as a real secret would.
export LOGIN_HOOK_KEY="${LOGIN_HOOK_KEY:-demo-key-not-a-real-secret}"

step validate
"$reconciler" validate
step plan local
"$reconciler" plan local
step apply local --yes
"$reconciler" apply local --yes
step plan local --detailed-exitcode
"$reconciler" plan local --detailed-exitcode
printf '\nConverged: .demo/kratos.yml now matches environments/local.yaml (comments kept).\n'
