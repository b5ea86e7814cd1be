"""The one home of what ``--help`` says about environment variables and exit codes.

The README's "Variables" and "Exit codes" tables say the same; a test keeps them in step.
Kept free of heavy imports: every command's help is built from it at import time.
"""

from __future__ import annotations

from collections.abc import Iterable

VARIABLES: dict[str, str] = {
    "ORY_WORKSPACE_API_KEY": "workspace API key (ory_wak_…) for ory_network targets; never "
    "printed or stored",
    "ORY_CONSOLE_API_URL": "console API base URL (default https://api.console.ory.com); "
    "https:// only, loopback excepted",
    "ORY_PROJECT_API_KEY": "project API key (ory_pat_…), optional: plan counts the identities "
    "a change affects, the identities command needs it; read-only, never printed or stored",
    "ORY_SDK_URL": "the project API's base URL (default https://{slug}.projects.oryapis.com); "
    "https:// only, loopback excepted",
    "RECONCILER_ALLOWED_API_HOSTS": "hosts an environment's target api_url may name "
    "(comma or space separated); any other api_url is refused",
    "RECONCILER_KRATOS_SCHEMA": "Kratos embedx/config.schema.json overriding the shipped one "
    "(same as --kratos-schema)",
    "RECONCILER_KRATOS_VERSION": "the Kratos release Kratos files are judged by, instead of "
    "their version: (same as --kratos-version)",
    "RECONCILER_TIMEOUT": "seconds per request to the Ory API (default 30)",
    "RECONCILER_PLAN_KEY": "signs saved plans (plan --out); apply --plan and show then refuse "
    "a plan not signed with it",
    "NO_COLOR": "when set, no colour (as --color never)",
    "GITHUB_STEP_SUMMARY": "plan also appends its markdown to this file (GitHub Actions)",
    "${NAME}": "every variable the environment files name (secrets, URLs…)",
}

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "success; with plan --detailed-exitcode: success and no changes"),
    (1, "error: invalid configuration, lint error, API error, stale plan, refused apply"),
    (2, "only with plan --detailed-exitcode: success, changes present"),
    (64, "usage error (unknown command or flag)"),
    (130, "interrupted (SIGINT); during a write, says whether it landed"),
    (143, "terminated (SIGTERM); during a write, says whether it landed"),
)

# What a command without --detailed-exitcode can return: every command but plan.
WITHOUT_CHANGES = tuple(code for code, _ in EXIT_CODES if code != 2)

GLOBAL_OPTIONS = (
    "Global options (--dir, --color, --no-color, --kratos-schema, --kratos-version, "
    "--rotate-secrets, -v, -q) go before or after the command: see reconciler --help."
)

# What each kind of command reads, beyond its flags.
API = (
    "ORY_WORKSPACE_API_KEY",
    "ORY_CONSOLE_API_URL",
    "RECONCILER_ALLOWED_API_HOSTS",
    "RECONCILER_TIMEOUT",
)
# Where identities are counted (plan, identities): the project API.
PROJECT_API = ("ORY_PROJECT_API_KEY", "ORY_SDK_URL")
SCHEMA = ("RECONCILER_KRATOS_SCHEMA", "RECONCILER_KRATOS_VERSION")
OFFLINE = (*SCHEMA, "NO_COLOR", "${NAME}")
ONLINE = (*API, *OFFLINE)


def epilog(
    variables: Iterable[str] = tuple(VARIABLES), codes: Iterable[int] = tuple(dict(EXIT_CODES))
) -> str:
    """The help's closing sections; ``\\b`` keeps click from rewrapping the tables. ``codes``:
    the exit codes the command can return (the group's help lists them all)."""
    names = list(variables)
    width = max(len(name) for name in names) + 2
    lines = ["\b", "Environment variables:"]
    lines += [f"  {name:<{width}}{VARIABLES[name]}" for name in names]
    lines += ["", "\b", "Exit codes:"]
    lines += [f"  {code:<5}{meaning}" for code, meaning in exit_codes(codes)]
    lines += ["", GLOBAL_OPTIONS]
    return "\n".join(lines)


def exit_codes(codes: Iterable[int]) -> list[tuple[int, str]]:
    """The rows of ``EXIT_CODES`` for ``codes``; without 2, a 0 is plain success."""
    shown = set(codes)
    rows = [(code, meaning) for code, meaning in EXIT_CODES if code in shown]
    return [(code, "success" if code == 0 and 2 not in shown else text) for code, text in rows]
