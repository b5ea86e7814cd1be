"""Lint rules about flow hooks: shadowed, misordered or contradictory web hooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import (
    HOOK_FLOWS,
    LintContext,
    make_finding,
    rule,
)
from reconciler.comparing import list_view
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, get_at, join_pointer


def _hooks_of(container: JSONValue) -> list[JSONValue] | None:
    hooks = container.get("hooks") if isinstance(container, dict) else None
    return hooks if isinstance(hooks, list) else None


def _hook_lists(ctx: LintContext) -> list[tuple[Pointer, list[JSONValue]]]:
    """Every hook list under selfservice.flows: ``(pointer, hooks)``."""
    known = ctx.recall("hook lists")
    if known is not None:
        return cast(list[tuple[Pointer, list[JSONValue]]], known)
    return ctx.remember("hook lists", list(_find_hook_lists(ctx)))


def _find_hook_lists(ctx: LintContext) -> Iterator[tuple[Pointer, list[JSONValue]]]:
    for flow in HOOK_FLOWS:
        for stage in ("before", "after"):
            base = f"/selfservice/flows/{flow}/{stage}"
            container = ctx.value(base)
            if not isinstance(container, dict):
                continue
            flow_level = _hooks_of(container)
            if flow_level is not None:
                yield f"{base}/hooks", flow_level
            for method, sub in sorted(container.items()):
                method_level = _hooks_of(sub)
                if method_level is not None:
                    yield f"{base}/{method}/hooks", method_level


def _hook_name(hook: JSONValue) -> str:
    return str(hook.get("hook", "")) if isinstance(hook, dict) else ""


@rule("hooks-shadowed-by-method", "warning", "flow-level after-hooks shadowed by method hooks")
def _hooks_shadowed_by_method(ctx: LintContext) -> Iterator[Finding]:
    # Per-method hooks replace the flow-level list (K26 registry_default_login.go:25-37,
    # registry_default_registration.go:24-36, registry_default_settings.go:22-34).
    lists = dict(_hook_lists(ctx))
    for flow in ("login", "registration", "settings"):
        base = f"/selfservice/flows/{flow}/after"
        flow_hooks = lists.get(f"{base}/hooks") or []
        shadowing = [
            p
            for p, hooks in lists.items()
            if p.startswith(f"{base}/") and p != f"{base}/hooks" and hooks
        ]
        if not flow_hooks or not shadowing:
            continue
        methods = ", ".join(p.split("/")[-2] for p in shadowing)
        names = ", ".join(_hook_name(h) for h in flow_hooks)
        yield make_finding(
            "hooks-shadowed-by-method",
            f"{base}/hooks ({names}) does not run for method(s) {methods}: a method with its "
            "own after-hook list replaces the flow-level list",
            [f"{base}/hooks", *shadowing],
            "Copy the flow-level hooks into each method's list (keep `session` last in "
            "registration), or empty the method lists.",
        )


@rule("session-hook-not-last", "warning", "session hook not last in registration after-hooks")
def _session_hook_not_last(ctx: LintContext) -> Iterator[Finding]:
    # DOCS actions/session.mdx:31-32: no hook runs after `session`.
    for pointer, hooks in _hook_lists(ctx):
        if not pointer.startswith("/selfservice/flows/registration/after/"):
            continue
        names = [_hook_name(h) for h in hooks]
        if "session" not in names or names[-1] == "session":
            continue
        later = ", ".join(names[names.index("session") + 1 :])
        yield make_finding(
            "session-hook-not-last",
            f"{pointer}: hooks after `session` ({later}) never run",
            [join_pointer(pointer, names.index("session"))],
            "Move the `session` hook to the end of the list.",
        )


def _web_hooks(ctx: LintContext) -> list[tuple[Pointer, str, JSONObject]]:
    """``(pointer, name, config)`` per web hook; ``name`` reads as the plan names the hook
    (``/…/hooks[web_hook https://…]``), not by its index."""
    known = ctx.recall("web hooks")
    if known is not None:
        return cast(list[tuple[Pointer, str, JSONObject]], known)
    return ctx.remember("web hooks", list(_find_web_hooks(ctx)))


def _find_web_hooks(ctx: LintContext) -> Iterator[tuple[Pointer, str, JSONObject]]:
    for pointer, hooks in _hook_lists(ctx):
        for index, hook in enumerate(hooks):
            if isinstance(hook, dict) and hook.get("hook") == "web_hook":
                config = hook.get("config")
                at = join_pointer(pointer, index)
                name = list_view.labelled_pointer(at, ctx.merged)
                yield at, name, config if isinstance(config, dict) else {}


@rule("webhook-response-conflict", "error", "web_hook both ignores and parses the response")
def _webhook_response_conflict(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json ~325-347: not(ignore && parse), not(ignore && can_interrupt).
    for pointer, name, config in _web_hooks(ctx):
        _, ignore = get_at(config, "/response/ignore")
        _, parse = get_at(config, "/response/parse")
        if ignore is not True or not (parse is True or config.get("can_interrupt") is True):
            continue
        yield make_finding(
            "webhook-response-conflict",
            f"{name}: response.ignore is true (fire and forget) but the hook also asks to "
            "use the response (response.parse or can_interrupt); Kratos rejects this",
            [f"{pointer}/config/response"],
            "Set response.ignore: false to let the webhook modify the identity or interrupt "
            "the flow, or drop response.parse/can_interrupt for an async webhook.",
        )


@rule("webhook-can-interrupt-deprecated", "warning", "web_hook uses deprecated can_interrupt")
def _webhook_can_interrupt_deprecated(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json web_hook: can_interrupt is deprecated in favour of response.parse.
    for pointer, name, config in _web_hooks(ctx):
        if "can_interrupt" in config:
            yield make_finding(
                "webhook-can-interrupt-deprecated",
                f"{name}: config.can_interrupt is deprecated",
                [f"{pointer}/config/can_interrupt"],
                "Replace can_interrupt: true with response: {parse: true}.",
            )
