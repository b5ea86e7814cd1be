"""Lint rules about second factors and AAL: who is forced into 2FA, who can be locked out."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import (
    MFA_OPTIONAL_PROFILE,
    LintContext,
    make_finding,
    rule,
)
from reconciler.comparing import identity_schemas
from reconciler.comparing.identity_schemas import Trait
from reconciler.jsontypes import Pointer, get_at
from reconciler.services.identity.aal import (
    CODE_ENABLED,
    CODE_MFA,
    HIGHEST_AVAILABLE,
    PLAIN_SECOND_FACTORS,
    REQUIRED_AAL_POINTERS,
    REQUIRED_AAL_VALUES,
    WEBAUTHN_ENABLED,
    WEBAUTHN_PASSWORDLESS,
)


def _trait_names(traits: list[Trait]) -> str:
    return ", ".join(f"`{t.name}`" for t in traits)


def _where_forced(strict: list[Pointer]) -> str:
    places = {
        "/session/whoami/required_aal": "after every login (whoami answers 403 "
        "session_aal2_required until they do)",
        "/selfservice/flows/settings/required_aal": "before they can change any settings",
    }
    return " and ".join(places[p] for p in strict)


@rule("code-mfa-forces-2fa", "error", "One-time-code MFA forces every user into code 2FA")
def _code_mfa_forces_2fa(ctx: LintContext) -> Iterator[Finding]:
    # ory-api.md §1d-1: a required code-identifier trait gives every identity a code address,
    # hence available AAL aal2, hence highest_available demands a code second factor
    # (K26 code/strategy.go:135-178, identity/identity.go:380-405; ory/network#409). That holds
    # for every identity of every schema, not only for the default's new sign-ups.
    strict = ctx.highest_available_pointers()
    if not ctx.is_true(CODE_MFA) or not strict:
        return
    affected = [
        (schema, role, forced)
        for schema, role in ctx.schemas_with_users()
        if (forced := identity_schemas.required_code_identifiers(schema.content or {}))
    ]
    if not affected:
        return
    channels = ", ".join(sorted({t.code_via or "email" for _, _, f in affected for t in f}))
    named = "; ".join(f"`{s.id}` (trait {_trait_names(f)}; {role})" for s, role, f in affected)
    yield make_finding(
        "code-mfa-forces-2fa",
        f"code.mfa_enabled is true and {', '.join(strict)} is highest_available; identity "
        f"schema(s) {named} mark required trait(s) as code identifier, so every identity of "
        f"these schemas has available AAL aal2 and is forced to enter a one-time code sent by "
        f"{channels} {_where_forced(strict)}",
        [CODE_MFA, *strict, *(ctx.schema_pointer(s) for s, _, _ in affected if s in ctx.schemas)],
        "Put the code identifier on a separate OPTIONAL trait (e.g. `optionalMfaEmail` with "
        '"ory.sh/kratos": {"credentials": {"code": {"identifier": true, "via": "email"}}}, '
        f"not listed in traits.required), as in {MFA_OPTIONAL_PROFILE}; ship it as a new "
        "schema id and switch default_schema_id. Or set required_aal to aal1, or turn "
        "code.mfa_enabled off.",
    )


@rule("required-aal-invalid", "error", "required_aal must be aal1 or highest_available")
def _required_aal_invalid(ctx: LintContext) -> Iterator[Finding]:
    # Enum aal1 | highest_available (K26 config.schema.json:877, session/manager_http.go:402);
    # there is no switch that forces 2FA for everybody (ory/kratos#3062, #3668).
    # Only values someone wrote: a default is the schema's own, and a Kratos release without
    # the setting (before v0.8.0-alpha.1: a v0.7 file, or such a --kratos-schema) has none.
    for pointer in REQUIRED_AAL_POINTERS:
        found, value = get_at(ctx.merged, pointer)
        if not found or value in REQUIRED_AAL_VALUES:
            continue
        yield make_finding(
            "required-aal-invalid",
            f"{pointer} is {value!r}; Kratos only knows aal1 and highest_available "
            "(there is no aal2 setting that forces 2FA for everybody)",
            [pointer],
            "Use highest_available (users who set up a second factor must use it) or aal1.",
        )


@rule(
    "highest-available-without-second-factor",
    "warning",
    "highest_available with no second factor enabled",
)
def _highest_available_without_second_factor(ctx: LintContext) -> Iterator[Finding]:
    # ory-api.md §1d-2: with no second factor, highest_available behaves like aal1. Only
    # reported where the environment itself asks for highest_available.
    written = [p for p in REQUIRED_AAL_POINTERS if get_at(ctx.desired, p)[1] == HIGHEST_AVAILABLE]
    webauthn_first_factor = ctx.is_true(WEBAUTHN_ENABLED) and ctx.is_true(WEBAUTHN_PASSWORDLESS)
    if not written or ctx.second_factors() or webauthn_first_factor:
        return
    yield make_finding(
        "highest-available-without-second-factor",
        f"{', '.join(written)} is highest_available but no second factor (totp, lookup_secret, "
        "webauthn without passwordless, code.mfa_enabled) is enabled, so nobody is ever asked "
        "for one; this setting behaves like aal1",
        [*written, *PLAIN_SECOND_FACTORS, WEBAUTHN_ENABLED],
        "Enable a second-factor method (e.g. selfservice.methods.totp.enabled: true) or write "
        "aal1 to say what you mean.",
    )


def _lockout_candidates(ctx: LintContext) -> list[Pointer]:
    candidates = [*PLAIN_SECOND_FACTORS, WEBAUTHN_ENABLED]
    if ctx.live is not None and ctx.is_true(CODE_MFA, ctx.live):
        candidates.append(CODE_ENABLED)  # MFA counting ignores code.enabled (strategy.go:137)
    return candidates


@rule(
    "second-factor-disabled-lockout",
    "warning",
    "second factor disabled while users may have enrolled it",
)
def _second_factor_disabled_lockout(ctx: LintContext) -> Iterator[Finding]:
    # ory-api.md §1d-3: enrolled credentials keep available AAL aal2 whether the method is
    # enabled or not (K26 registry_default.go:406-413), but login only offers enabled methods.
    strict = ctx.highest_available_pointers()
    if ctx.live is None or not strict:
        return
    for pointer in _lockout_candidates(ctx):
        if not ctx.is_true(pointer, ctx.live) or ctx.is_true(pointer):
            continue
        yield make_finding(
            "second-factor-disabled-lockout",
            f"{pointer} goes from true to false while {', '.join(strict)} is highest_available: "
            "users who enrolled this factor still need aal2 but can no longer use it to get it "
            "(lock-out unless they have another second factor)",
            [pointer, *strict],
            "Keep the method enabled until enrolled users have moved to another second factor, "
            "or set required_aal to aal1 for the transition.",
        )


@rule(
    "webauthn-passwordless-not-mfa", "warning", "WebAuthn passwordless used where MFA is expected"
)
def _webauthn_passwordless_not_mfa(ctx: LintContext) -> Iterator[Finding]:
    # K26 webauthn/strategy.go:88-134: passwordless WebAuthn is a first factor (AAL1) and its
    # keys do not count as MFA; ory-api.md §1d-6.
    strict = ctx.highest_available_pointers()
    webauthn_first_factor = ctx.is_true(WEBAUTHN_ENABLED) and ctx.is_true(WEBAUTHN_PASSWORDLESS)
    if not webauthn_first_factor or not strict or ctx.second_factors():
        return
    yield make_finding(
        "webauthn-passwordless-not-mfa",
        f"WebAuthn is the only multi-factor-capable method and config.passwordless is true, so "
        f"security keys are a first factor and never satisfy {', '.join(strict)} = "
        "highest_available as a second factor",
        [WEBAUTHN_PASSWORDLESS, WEBAUTHN_ENABLED, *strict],
        "For 2FA keys set webauthn.config.passwordless: false (use the passkey method for "
        "passwordless login), or enable another second factor such as totp.",
    )
