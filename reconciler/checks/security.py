"""Does a planned change make the project less secure?

A pure function over JSON values: given where a change lands in the identity config, the live
value, the desired value and the kind of change, say ``weakens``, ``strengthens`` or
``neutral`` with a short reason. ``apply`` refuses weakening changes without
``--allow-weaken`` (issue 4, item 3).

Sub-trees are judged leaf by leaf (lists count as leaves), and a side that says nothing falls
back to the Kratos default (ory-api.md §1c), so adding ``{totp: {enabled: false}}`` is as
neutral as leaving it out, and resetting ``required_aal`` brings back ``highest_available``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Literal

from reconciler.checks import aal
from reconciler.checks.finding import Impact, SecurityImpact
from reconciler.checks.kratos_schema import kratos_default
from reconciler.comparing.durations import duration_seconds
from reconciler.jsontypes import JSONValue, Pointer, join_pointer

Action = Literal["add", "change", "reset"]

Verdict = tuple[Impact, str] | None
Judge = Callable[[Pointer, JSONValue, JSONValue], Verdict]

# Hooks whose removal lowers assurance (issue 4 item 3; hook table in ory-api.md §1c).
SECURITY_HOOKS = ("session", "require_verified_address", "revoke_active_sessions")
_SAME_SITE_RANK = {"none": 0, "lax": 1, "strict": 2}


def _seconds(value: JSONValue) -> float | None:
    """Seconds in a Go duration string (``1h30m0s``, ``15m``), ``None`` if not one."""
    return duration_seconds(value) if isinstance(value, str) else None


def _number(value: JSONValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _ranked(before: float | None, after: float | None, lower: Impact, what: str) -> Verdict:
    """``lower`` when ``after < before``, the opposite when it rose."""
    if before is None or after is None or before == after:
        return None
    higher: Impact = "strengthens" if lower == "weakens" else "weakens"
    impact = lower if after < before else higher
    return impact, f"{what} {'lowered' if after < before else 'raised'}"


def _switch(before: JSONValue, after: JSONValue, off: Impact, what: str) -> Verdict:
    """``off`` when a boolean goes true → false, the opposite when it goes false → true."""
    if before is True and after is False:
        return off, f"{what} turned off"
    if before is False and after is True:
        return ("strengthens" if off == "weakens" else "weakens"), f"{what} turned on"
    return None


def _aal(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    old, new = aal.aal_rank(str(before)), aal.aal_rank(str(after))
    verdict = _ranked(
        None if old is None else float(old), None if new is None else float(new), "weakens", ""
    )
    if verdict is None:
        return None
    direction = "downgrade" if verdict[0] == "weakens" else "upgrade"
    return verdict[0], f"AAL {direction} {before} → {after} at {pointer}"


def _mfa_method(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    method = pointer.split("/")[3]
    return _switch(before, after, "weakens", f"MFA method {method}")


def _code_mfa(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    return _switch(before, after, "weakens", "one-time-code MFA (code.mfa_enabled)")


def _webauthn_passwordless(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    # Passwordless WebAuthn keys are a first factor and stop counting as MFA (ory-api.md §1d-6).
    return _switch(before, after, "strengthens", "WebAuthn passwordless (keys stop being MFA)")


def _flow_enabled(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    flow = pointer.split("/")[3]
    return _switch(before, after, "weakens", f"{flow} flow")


def _password_check(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    name = pointer.rsplit("/", 1)[-1]
    return _switch(before, after, "weakens", f"password check {name}")


def _ignore_network_errors(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    return _switch(before, after, "strengthens", "haveibeenpwned ignore_network_errors")


def _min_password_length(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    return _ranked(_number(before), _number(after), "weakens", "minimum password length")


def _more_is_weaker(what: str) -> Judge:
    def judge(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
        old = _seconds(before) if isinstance(before, str) else _number(before)
        new = _seconds(after) if isinstance(after, str) else _number(after)
        return _ranked(old, new, "strengthens", what)

    return judge


def _as_set(value: JSONValue) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    return set() if value is None else {str(value)}


def _allow_list(what: str) -> Judge:
    def judge(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
        added, removed = _as_set(after) - _as_set(before), _as_set(before) - _as_set(after)
        if added:
            return "weakens", f"{what} widened: {', '.join(sorted(added))}"
        if removed:
            return "strengthens", f"{what} narrowed"
        return None

    return judge


def _same_site(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    old = _SAME_SITE_RANK.get(str(before).lower())
    new = _SAME_SITE_RANK.get(str(after).lower())
    return _ranked(
        None if old is None else float(old),
        None if new is None else float(new),
        "weakens",
        "cookie SameSite",
    )


def _exactly(*pointers: Pointer) -> re.Pattern[str]:
    """A pattern matching exactly these pointers (the second-factor ones come from ``aal``)."""
    return re.compile("^(?:" + "|".join(re.escape(pointer) for pointer in pointers) + ")$")


_LEAF_RULES: tuple[tuple[re.Pattern[str], Judge], ...] = (
    (_exactly(*aal.REQUIRED_AAL_POINTERS), _aal),
    (_exactly(*aal.SECOND_FACTOR_METHODS), _mfa_method),
    (_exactly(aal.CODE_MFA), _code_mfa),
    (_exactly(aal.WEBAUTHN_PASSWORDLESS), _webauthn_passwordless),
    (re.compile(r"^/selfservice/flows/(verification|recovery)/enabled$"), _flow_enabled),
    (
        re.compile(
            r"^/selfservice/methods/password/config/"
            r"(haveibeenpwned_enabled|identifier_similarity_check_enabled)$"
        ),
        _password_check,
    ),
    (
        re.compile(r"^/selfservice/methods/password/config/ignore_network_errors$"),
        _ignore_network_errors,
    ),
    (
        re.compile(r"^/selfservice/methods/password/config/min_password_length$"),
        _min_password_length,
    ),
    (
        re.compile(r"^/selfservice/methods/password/config/max_breaches$"),
        _more_is_weaker("allowed password breaches (max_breaches)"),
    ),
    (
        re.compile(r"^/selfservice/methods/code/config/max_submissions$"),
        _more_is_weaker("one-time-code attempts (max_submissions)"),
    ),
    (
        re.compile(r"^/selfservice/methods/(code|link)/config/lifespan$"),
        _more_is_weaker("one-time code/link lifespan"),
    ),
    (re.compile(r"^/session/lifespan$"), _more_is_weaker("session lifespan")),
    (
        re.compile(r"^/selfservice/flows/settings/privileged_session_max_age$"),
        _more_is_weaker("privileged session max age"),
    ),
    (
        re.compile(r"^/selfservice/allowed_return_urls(/\d+)?$"),
        _allow_list("allowed_return_urls"),
    ),
    (
        re.compile(r"^/serve/(public|admin)/cors/allowed_origins(/\d+)?$"),
        _allow_list("CORS allowed_origins"),
    ),
    (
        re.compile(r"^/serve/(public|admin)/cors/enabled$"),
        lambda p, b, a: _switch(b, a, "strengthens", "CORS"),
    ),
    (re.compile(r"^/(session/cookie|cookies)/same_site$"), _same_site),
)


def _leaves(value: JSONValue, pointer: Pointer) -> Iterator[tuple[Pointer, JSONValue]]:
    """Scalar and list leaves of ``value`` (hook lists are judged separately)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, join_pointer(pointer, key))
    elif "/hooks" not in pointer:
        yield pointer, value


def _with_default(leaves: dict[Pointer, JSONValue], pointer: Pointer) -> JSONValue:
    if pointer in leaves:
        return leaves[pointer]
    return kratos_default(pointer)


def _judge_leaf(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    if before == after:
        return None
    for pattern, judge in _LEAF_RULES:
        if pattern.match(pointer):
            return judge(pointer, before, after)
    return None


def _hook_names(value: JSONValue) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("hook"), str):
            yield str(value["hook"])
        for sub in value.values():
            yield from _hook_names(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _hook_names(item)


def _hook_verdicts(pointer: Pointer, before: JSONValue, after: JSONValue) -> Iterator[Verdict]:
    old = Counter(n for n in _hook_names(before) if n in SECURITY_HOOKS)
    new = Counter(n for n in _hook_names(after) if n in SECURITY_HOOKS)
    for name in SECURITY_HOOKS:
        if new[name] < old[name]:
            yield "weakens", f"`{name}` hook removed at {pointer}"
        elif new[name] > old[name]:
            yield "strengthens", f"`{name}` hook added at {pointer}"


def _effective(pointer: Pointer, value: JSONValue, present: bool) -> JSONValue:
    if present:
        return value
    return kratos_default(pointer)


def classify(
    pointer: Pointer, live: JSONValue, desired: JSONValue, action: Action
) -> SecurityImpact:
    """Classify one change at ``pointer`` (relative to the identity config).

    ``action`` is ``add`` (``live`` is absent and ignored), ``change``, or ``reset`` (the key
    is removed, so it returns to its default; ``desired`` is ignored).
    """
    before = _effective(pointer, live, action != "add")
    after = _effective(pointer, desired, action != "reset")
    old_leaves, new_leaves = dict(_leaves(before, pointer)), dict(_leaves(after, pointer))
    verdicts: list[Verdict] = list(_hook_verdicts(pointer, before, after))
    for leaf in sorted(set(old_leaves) | set(new_leaves)):
        verdicts.append(
            _judge_leaf(leaf, _with_default(old_leaves, leaf), _with_default(new_leaves, leaf))
        )
    return _summarise([v for v in verdicts if v is not None])


def _summarise(verdicts: list[tuple[Impact, str]]) -> SecurityImpact:
    decisive: tuple[Impact, ...] = ("weakens", "strengthens")
    for impact in decisive:
        reasons = [reason for kind, reason in verdicts if kind == impact]
        if reasons:
            return SecurityImpact(impact, "; ".join(reasons))
    return SecurityImpact("neutral", "no security-relevant setting changes")
