"""Everything the pipeline shows, written in one place: the job log, workflow commands, step
outputs and the job summary. Every text is scrubbed of known secrets first (``redact``).

The pull request controls most of what the tool prints (keys, values, file names, messages
quoting them), and GitHub's runner reads every line of a step's output for workflow commands:
``::add-mask::``, ``::error::`` … at the start of a line (after spaces) and the older
``##[command]`` anywhere in one. So, on GitHub:

* what the tool printed goes to the log between ``::stop-commands::TOKEN`` and ``::TOKEN::``,
  a fresh random token each time: the runner processes no command in between, whatever the
  text holds (https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
  "Stopping and starting workflow commands"); one stream (stdout) carries it all, since the
  runner does not keep stdout and stderr lines in order;
* the pipeline's own commands (a warning, an error) are written outside such a block, their
  message and properties escaped as the runner unescapes them (``%``, CR, LF; and ``:``,
  ``,`` in properties: actions/runner ``src/Runner.Common/ActionCommand.cs``);
* a step output whose value spans lines is written with a random delimiter.

On both platforms control characters other than newline and tab are shown escaped, so no text
can move the cursor, colour the log, or open a GitLab collapsible section (``\\e[0K
section_start:…\\r``: https://docs.gitlab.com/ee/ci/jobs/job_logs.html).
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from reconciler import redact
from reconciler.errors import ReconcilerError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, (":", "%3A"), (",", "%2C"))
_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def escape_data(text: str) -> str:
    """A workflow command's message, escaped: it stays on its one line."""
    for raw, escaped in _DATA_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def escape_property(text: str) -> str:
    """A workflow command's property value (``file=…``), escaped."""
    for raw, escaped in _PROPERTY_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def without_controls(text: str) -> str:
    """``text`` with every control character but newline and tab shown as ``\\xNN``."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class JobOutput:
    """The job log (stdout), workflow commands, step outputs and summary of one CI job."""

    def __init__(
        self, environ: Mapping[str, str], platform: str, stream: TextIO | None = None
    ) -> None:
        self._environ = environ
        self._github = platform == "github"
        self._stream = stream or sys.stdout
        self._resume: str | None = None  # the token that ends the open stop-commands block
        self._at_line_start = True

    def echo(self, text: str) -> None:
        """Text the repository may have written (the tool's output): shown, never obeyed."""
        if not text:
            return
        if self._github and self._resume is None:
            self._resume = secrets.token_hex(16)
            self._line(f"::stop-commands::{self._resume}")
        self._write(without_controls(redact.scrub(text)))

    def command(self, name: str, message: str, **properties: str) -> None:
        """A workflow command of the pipeline's own (``warning``, ``error``, ``notice``);
        on GitLab, which has none, the message as a plain line."""
        message = redact.scrub(message)
        if not self._github:
            self._line(without_controls(f"{name.capitalize()}: {message}"))
            return
        self._end_block()
        shown = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        self._line(f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}")

    def close(self) -> None:
        """Let the runner read commands again (the steps after this one may need them)."""
        self._end_block()
        self._stream.flush()

    def output(self, name: str, value: str) -> None:
        """A step output (``GITHUB_OUTPUT``); a value on several lines gets a delimiter no
        line of it can be."""
        path = self._environ.get("GITHUB_OUTPUT")
        if not path:
            return
        if not _OUTPUT_NAME.match(name):
            raise ReconcilerError(f"not a step output name: {name!r}")
        value = redact.scrub(value)
        if "\n" in value or "\r" in value:
            delimiter = f"reconciler_{secrets.token_hex(16)}"
            entry = f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
        else:
            entry = f"{name}={value}\n"
        with Path(path).open("a", encoding="utf-8") as outputs:
            outputs.write(entry)

    def summary(self, text: str) -> None:
        """A paragraph of the job summary (``GITHUB_STEP_SUMMARY``, Markdown); GitLab has no
        summary page: there the job log shows it."""
        if not self._github:
            self.echo(text.rstrip("\n") + "\n")
            return
        path = self._environ.get("GITHUB_STEP_SUMMARY")
        if path:
            redact.append(Path(path), text.rstrip("\n") + "\n\n")

    def _end_block(self) -> None:
        if self._resume is not None:
            token, self._resume = self._resume, None
            self._line(f"::{token}::")

    def _line(self, text: str) -> None:
        self._write(("" if self._at_line_start else "\n") + text + "\n")

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()
        self._at_line_start = text.endswith("\n")
