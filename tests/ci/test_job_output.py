"""What the pipeline writes where people and the runner read it (reconciler/ci/job_output.py):
workflow commands escaped as the runner unescapes them, repository text never obeyed, step
outputs that cannot be forged, and known secrets scrubbed from all of it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import redact
from reconciler.ci import action
from reconciler.ci.job_output import JobOutput, escape_data, escape_property
from reconciler.secrets import MASK

from github_runner import obeyed

SECRET = "ghs_a_token_the_log_must_not_show"


def _unescape(text: str, mappings: tuple[tuple[str, str], ...]) -> str:
    # The runner's order (src/Runner.Common/ActionCommand.cs): CR, LF, then `%`.
    for token, replacement in mappings:
        text = text.replace(replacement, token)
    return text


@pytest.fixture(autouse=True)
def known_secret() -> Iterator[None]:
    with redact.session():
        redact.register(SECRET)
        yield


def test_the_model_obeys_what_a_runner_obeys() -> None:
    log = (
        "a\n  ::add-mask::x\nsee ##[error]y\n::stop-commands::t1\n::error::z\n::t1::\n::warning::w"
    )
    assert obeyed(log) == [("add-mask", "x"), ("error", "y"), ("warning", "w")]


@pytest.mark.parametrize("text", ["a\nb", "50%0A", "x\r\n::add-mask::y", "%25%", "a:b,c"])
def test_data_and_properties_come_back_as_written(text: str) -> None:
    data = (("\r", "%0D"), ("\n", "%0A"), ("%", "%25"))
    properties = (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25"))
    assert "\n" not in escape_data(text) and "\r" not in escape_data(text)
    assert _unescape(escape_data(text), data) == text
    assert not set(":,\r\n") & set(escape_property(text))
    assert _unescape(escape_property(text), properties) == text


def test_echoed_text_is_shown_not_obeyed_and_own_commands_are_obeyed() -> None:
    stream = io.StringIO()
    log = JobOutput({}, "github", stream)
    log.echo("plan\n::add-mask::from the repo\nsee ##[error]there")  # no final newline
    log.command("warning", "dev: stale\n::error::forged", title="dev, prod")
    log.echo(f"more ::warning::text and {SECRET}\n")
    log.close()
    shown = stream.getvalue()
    assert obeyed(shown) == [("warning", "dev: stale%0A::error::forged")]
    assert "::warning title=dev%2C prod::" in shown
    assert "::add-mask::from the repo" in shown and "##[error]there" in shown
    assert SECRET not in shown and MASK in shown
    tokens = re.findall(r"::stop-commands::(\w+)", shown)
    assert len(tokens) == 2 and tokens[0] != tokens[1]  # a fresh token for every block


def test_gitlab_gets_plain_lines_without_control_characters() -> None:
    stream = io.StringIO()
    log = JobOutput({}, "gitlab", stream)
    log.echo("\x1b[0Ksection_start:1:x\r\x1b[0Kheader\n")
    log.command("error", "refused")
    log.close()
    assert stream.getvalue() == "\\x1b[0Ksection_start:1:x\\x0d\\x1b[0Kheader\nError: refused\n"


def test_a_step_output_on_several_lines_cannot_set_another_output(tmp_path: Path) -> None:
    outputs = tmp_path / "output"
    log = JobOutput({"GITHUB_OUTPUT": str(outputs)}, "github", io.StringIO())
    log.output("changes", "true")
    log.output("matrix", f'{{"a": 1}}\nany=true\n{SECRET}')
    text = outputs.read_text()
    lines = text.splitlines()
    assert lines[0] == "changes=true"
    start = lines[1]
    delimiter = start.removeprefix("matrix<<")
    assert start != delimiter and len(delimiter) > 20
    assert lines[2:] == ['{"a": 1}', "any=true", MASK, delimiter]
    with pytest.raises(Exception, match="not a step output name"):
        log.output("a=b", "c")


def test_the_job_summary_is_scrubbed(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    JobOutput({"GITHUB_STEP_SUMMARY": str(summary)}, "github").summary(f"key {SECRET}\n")
    assert summary.read_text() == f"key {MASK}\n\n"


def test_a_bug_in_the_pipeline_is_reported_and_its_traceback_never_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An event file that is not JSON: the pipeline has no answer for it but its traceback,
    # whose text comes from the file.
    event = tmp_path / "event.json"
    event.write_text("::add-mask::{")
    monkeypatch.chdir(tmp_path)
    code = action.main(
        {
            "INPUT_COMMAND": "plan",
            "INPUT_ENVIRONMENTS": "dev",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "acme/identity-config",
            "GITHUB_TOKEN": SECRET,
        }
    )
    shown = capsys.readouterr()
    assert code == 1 and shown.err == ""
    assert "Traceback" in shown.out and "JSONDecodeError" in shown.out
    assert obeyed(shown.out) == [
        ("error", "unexpected error (a bug in reconciler): JSONDecodeError")
    ]
