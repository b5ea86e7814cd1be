"""Markdown plans for pull-request comments: summary first, areas, risk markers, size cap."""

from __future__ import annotations

from pathlib import Path

from reconciler.checks.finding import Finding
from reconciler.comparing.diff import Change, Diff
from reconciler.plan.planner import make_plan
from reconciler.plan.value import PlanOutcome
from reconciler.views import markdown

from conftest import Run
from ory_server import OryTestServer

TARGET = "Ory Network project 6f0c (https://api.console.ory.com)"


def _outcome(
    changes: list[Change], notes: tuple[Finding, ...] = (), name: str = "dev"
) -> PlanOutcome:
    plan = make_plan(name, TARGET, "rev-1", {"identity": Diff(tuple(changes), ())}, notes=notes)
    return PlanOutcome(name, plan=plan)


AAL_DOWNGRADE = Change("/session/whoami/required_aal", "change", "highest_available", "aal1")
ISSUER = Change("/selfservice/methods/totp/config/issuer", "change", "Acme", "Acme (dev)")


def test_summary_first_then_one_section_per_area_with_risk_markers() -> None:
    note = Finding(
        "hook-url",
        "warning",
        "web hook <b>url</b> is not https",
        where="dev.yaml:3:5",
        fix="use https",
    )
    text = markdown.format_outcomes([_outcome([AAL_DOWNGRADE, ISSUER], (note,))])
    assert text.splitlines()[0] == (
        "**reconciler plan** · `dev` · Plan: 0 to add, 2 to change, 0 to reset. · "
        "⚠️ 1 change weakens security"
    )
    assert text == "\n".join(
        [
            text.splitlines()[0],
            "",
            f"{TARGET} · live revision `rev-1`",
            "",
            "> [!CAUTION]",
            "> 1 change weakens security; apply refuses them without `--allow-weaken`:",
            "> - `/session/whoami/required_aal`: AAL downgrade highest_available → aal1 at "
            "/session/whoami/required_aal",
            "",
            "<details><summary><b>Methods</b> · 1 change</summary>",
            "",
            "```diff",
            '! /selfservice/methods/totp/config/issuer: "Acme" -> "Acme (dev)"',
            "```",
            "",
            "</details>",
            "",
            "<details open><summary><b>AAL</b> · 1 change · ⚠️ 1 weakens security</summary>",
            "",
            "```diff",
            '! /session/whoami/required_aal: "highest_available" -> "aal1"',
            "    ⚠️ weakens security: AAL downgrade highest_available → aal1 at "
            "/session/whoami/required_aal",
            "```",
            "",
            "</details>",
            "",
            "**Findings**",
            "",
            "- ⚠️ warning `hook-url` `dev.yaml:3:5`: web hook &lt;b&gt;url&lt;/b&gt; is not "
            "https Fix: use https",
            "",
        ]
    )


def test_areas_cover_methods_aal_hooks_schemas_and_other() -> None:
    assert [
        markdown.area_of(Change(pointer, "change"))
        for pointer in (
            "/selfservice/methods/code/mfa_enabled",
            "/selfservice/flows/settings/required_aal",
            "/selfservice/flows/login/after/password/hooks",
            "/identity/schemas/-",
            "/courier/smtp/from_name",
        )
    ] == ["Methods", "AAL", "Hooks", "Schemas", "Other"]


def test_no_changes_and_failures_are_in_the_summary() -> None:
    quiet = _outcome([], name="dev")
    broken = PlanOutcome("prod", error="the Ory API refused the key (401)")
    text = markdown.format_outcomes([quiet, broken])
    assert text.splitlines()[0] == (
        "**reconciler plan** · 2 environments · No changes. · ❌ failed: `prod`"
    )
    assert "### `prod` · ❌ failed\n\n```\nthe Ory API refused the key (401)\n```" in text


def test_a_large_plan_stays_under_the_cap_and_keeps_the_summary() -> None:
    changes = [
        Change(f"/selfservice/methods/m{index:04}/config/value", "add", None, "x" * 300, False)
        for index in range(2000)
    ]
    text = markdown.format_outcomes([_outcome(changes)])
    assert len(text) < 60_000
    assert text.splitlines()[0] == (
        "**reconciler plan** · `dev` · Plan: 2000 to add, 0 to change, 0 to reset."
    )
    shown = text.count("\n+ /selfservice/methods/m")
    assert 100 < shown < 2000
    assert text.splitlines()[2] == (
        f"> ✂️ Cut to stay under 60,000 characters: {2000 - shown} changes not shown. "
        "Run `reconciler plan dev` or read the saved plan for everything."
    )
    assert f"_{2000 - shown} changes not shown (cut to fit)._\n\n</details>" in text


def test_values_cannot_break_out_of_the_code_block() -> None:
    sneaky = Change("/courier/template", "add", None, "```\n</details># hi", False)
    text = markdown.format_outcomes([_outcome([sneaky])])
    assert '````diff\n+ /courier/template: "```\\n</details># hi"\n````' in text


def test_plan_appends_its_markdown_to_the_github_step_summary(
    run: Run, tmp_path: Path, example_repo: Path, ory_server: OryTestServer
) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    result = run("plan", "dev", env=env, root=example_repo)
    assert result.code == 0, result.err
    assert result.out.startswith("Environment dev: Ory Network project")  # stdout stays text
    written = summary.read_text()
    assert written.startswith("earlier step\n**reconciler plan** · `dev` · Plan: 1 to add, 6 to")
    assert "<details><summary><b>Methods</b> · 4 changes</summary>" in written


def test_markdown_format_prints_the_comment_on_stdout(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
    }
    result = run("plan", "dev", "--format", "markdown", env=env, root=example_repo)
    assert result.code == 0
    assert result.out.startswith("**reconciler plan** · `dev` · Plan: ")
    assert result.err == ""
