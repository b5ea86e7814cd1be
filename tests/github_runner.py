"""How a GitHub runner reads a step's log for workflow commands, for the CI tests: which lines
it obeys (docs/security.md §9). A model of actions/runner, not a copy of it:
``src/Runner.Common/ActionCommand.cs`` (``TryParseV2``: ``::name props::data`` once leading
white space is trimmed; ``TryParse``: ``##[name props]data`` anywhere in a line) and
``src/Runner.Worker/ActionCommandManager.cs`` (``stop-commands``: nothing but the token is
obeyed until ``::TOKEN::``; the commands its extensions register)."""

from __future__ import annotations

import re

# The commands a runner knows (actions/runner src/Runner.Worker/ActionCommandManager.cs and
# the extensions it registers), besides a stop token while commands are stopped.
RUNNER_COMMANDS = frozenset(
    [
        "add-mask",
        "error",
        "warning",
        "notice",
        "debug",
        "group",
        "endgroup",
        "set-output",
        "set-env",
        "save-state",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "echo",
        "stop-commands",
    ]
)


def obeyed(log: str) -> list[tuple[str, str]]:
    """``(command, data)`` for every workflow command a GitHub runner would obey in ``log``.

    As actions/runner reads a step's output (src/Runner.Common/ActionCommand.cs,
    src/Runner.Worker/ActionCommandManager.cs): line by line; ``::name props::data`` after
    leading spaces, else ``##[name props]data`` anywhere in the line; between
    ``::stop-commands::TOKEN`` and a ``::TOKEN::`` line nothing but the token is obeyed."""
    found: list[tuple[str, str]] = []
    stop_token: str | None = None
    for line in re.split(r"\r\n|\r|\n", log):
        parsed = _parse_command(line, RUNNER_COMMANDS | ({stop_token} if stop_token else set()))
        if parsed is None:
            continue
        name, data = parsed
        if stop_token is not None:
            if name == stop_token:
                stop_token = None
            continue
        if name == "stop-commands":
            stop_token = data
            continue
        found.append((name, data))
    return found


def _parse_command(line: str, known: set[str] | frozenset[str]) -> tuple[str, str] | None:
    stripped = line.lstrip()
    if stripped.startswith("::"):
        end = stripped.find("::", 2)
        if end >= 0 and stripped[2:end].split(" ")[0] in known:
            return stripped[2:end].split(" ")[0], stripped[end + 2 :]
    start = line.find("##[")
    end = line.find("]", start)
    if start >= 0 and end >= 0 and line[start + 3 : end].split(" ")[0] in known:
        return line[start + 3 : end].split(" ")[0], line[end + 1 :]
    return None
