"""Which changes to the identity config weaken or strengthen security (issue 4, item 3).

Leaf by leaf: each rule a pointer pattern and a judge (``services/impact.py``); hook lists are
judged whole (a security hook removed anywhere). ``checks/security.py`` walks a change and
falls back to the Kratos default where a side says nothing (ory-api.md §1c).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from reconciler.jsontypes import JSONValue, Pointer
from reconciler.services.declaration import Security
from reconciler.services.identity import aal
from reconciler.services.impact import (
    Verdict,
    allow_list,
    exactly,
    more_is_weaker,
    number,
    ranked,
    switch,
    turning_off,
)

# Hooks whose removal lowers assurance (issue 4 item 3; hook table in ory-api.md §1c).
SECURITY_HOOKS = ("session", "require_verified_address", "revoke_active_sessions")
_SAME_SITE_RANK = {"none": 0, "lax": 1, "strict": 2}


def _aal(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    old, new = aal.aal_rank(before), aal.aal_rank(after)
    verdict = ranked(
        None if old is None else float(old), None if new is None else float(new), "weakens", ""
    )
    if verdict is None:
        return None
    direction = "downgrade" if verdict[0] == "weakens" else "upgrade"
    return verdict[0], f"AAL {direction} {before} → {after} at {pointer}"


def _mfa_method(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    method = pointer.split("/")[3]
    return switch(before, after, "weakens", f"MFA method {method}")


def _flow_enabled(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    flow = pointer.split("/")[3]
    return switch(before, after, "weakens", f"{flow} flow")


def _password_check(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    name = pointer.rsplit("/", 1)[-1]
    return switch(before, after, "weakens", f"password check {name}")


def _min_password_length(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    return ranked(number(before), number(after), "weakens", "minimum password length")


def _same_site(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    old = _SAME_SITE_RANK.get(str(before).lower())
    new = _SAME_SITE_RANK.get(str(after).lower())
    return ranked(
        None if old is None else float(old),
        None if new is None else float(new),
        "weakens",
        "cookie SameSite",
    )


def _hook_names(value: JSONValue) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("hook"), str):
            yield str(value["hook"])
        for sub in value.values():
            yield from _hook_names(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _hook_names(item)


def _hooks(pointer: Pointer, before: JSONValue, after: JSONValue) -> Iterator[Verdict]:
    old = Counter(n for n in _hook_names(before) if n in SECURITY_HOOKS)
    new = Counter(n for n in _hook_names(after) if n in SECURITY_HOOKS)
    for name in SECURITY_HOOKS:
        if new[name] < old[name]:
            yield "weakens", f"`{name}` hook removed at {pointer}"
        elif new[name] > old[name]:
            yield "strengthens", f"`{name}` hook added at {pointer}"


SECURITY = Security(
    leaves=(
        (exactly(*aal.REQUIRED_AAL_POINTERS), _aal),
        (exactly(*aal.SECOND_FACTOR_METHODS), _mfa_method),
        (exactly(aal.CODE_MFA), turning_off("weakens", "one-time-code MFA (code.mfa_enabled)")),
        # Passwordless WebAuthn keys are a first factor and stop counting as MFA
        # (ory-api.md §1d-6).
        (
            exactly(aal.WEBAUTHN_PASSWORDLESS),
            turning_off("strengthens", "WebAuthn passwordless (keys stop being MFA)"),
        ),
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
            turning_off("strengthens", "haveibeenpwned ignore_network_errors"),
        ),
        (
            re.compile(r"^/selfservice/methods/password/config/min_password_length$"),
            _min_password_length,
        ),
        (
            re.compile(r"^/selfservice/methods/password/config/max_breaches$"),
            more_is_weaker("allowed password breaches (max_breaches)"),
        ),
        (
            re.compile(r"^/selfservice/methods/code/config/max_submissions$"),
            more_is_weaker("one-time-code attempts (max_submissions)"),
        ),
        (
            re.compile(r"^/selfservice/methods/(code|link)/config/lifespan$"),
            more_is_weaker("one-time code/link lifespan"),
        ),
        (re.compile(r"^/session/lifespan$"), more_is_weaker("session lifespan")),
        (
            re.compile(r"^/selfservice/flows/settings/privileged_session_max_age$"),
            more_is_weaker("privileged session max age"),
        ),
        (
            re.compile(r"^/selfservice/allowed_return_urls(/\d+)?$"),
            allow_list("allowed_return_urls"),
        ),
        (
            re.compile(r"^/serve/(public|admin)/cors/allowed_origins(/\d+)?$"),
            allow_list("CORS allowed_origins"),
        ),
        (re.compile(r"^/serve/(public|admin)/cors/enabled$"), turning_off("strengthens", "CORS")),
        (re.compile(r"^/(session/cookie|cookies)/same_site$"), _same_site),
    ),
    whole=(_hooks,),
    # Hook lists are judged whole (``_hooks``), not as leaves.
    not_leaves=re.compile("/hooks"),
)
