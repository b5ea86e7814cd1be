"""Lint rules about second factors and AAL: who is forced into 2FA, who can be locked out."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler import identity_schemas
from reconciler.checks.aal import (
    CODE_ENABLED,
    CODE_MFA,
    CODE_PASSWORDLESS,
    HIGHEST_AVAILABLE,
    METHODS,
    PLAIN_SECOND_FACTORS,
    REQUIRED_AAL_POINTERS,
    REQUIRED_AAL_VALUES,
    WEBAUTHN_ENABLED,
    WEBAUTHN_PASSWORDLESS,
)
from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import (
    DEFAULT_SCHEMA_ID,
    MFA_OPTIONAL_PROFILE,
    LintContext,
    make_finding,
    rule,
)
from reconciler.identity_schemas import ResolvedSchema, Trait
from reconciler.jsontypes import Pointer, get_at


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
        for schema, role in schemas_with_users(ctx)
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


def _is_schema(schema: ResolvedSchema, schema_id: str | None) -> bool:
    # Ory Network may name a custom schema after the SHA-512 of its content (ory-api.md §1a-2).
    return schema_id is not None and schema_id in (schema.id, schema.digest)


def schemas_with_users(ctx: LintContext) -> list[tuple[ResolvedSchema, str]]:
    """Every identity schema identities may have, with who has it, the live default first.

    The declared list plus live schemas it leaves out (Ory never removes them): existing
    identities keep the schema they were created under, so all of them count.
    """
    live_default = None if ctx.live is None else str(ctx.value(DEFAULT_SCHEMA_ID, ctx.live))
    new_default = ctx.default_schema_id()
    live = list(ctx.live_schemas().values())
    known = {s.id for s in ctx.schemas}
    candidates = ctx.schemas + [s for s in live if s.id not in known]
    ranked = []
    for schema in candidates:
        roles = []
        if _is_schema(schema, live_default):
            roles.append("the live default: most existing identities use it")
        if _is_schema(schema, new_default) and not _is_schema(schema, live_default):
            roles.append("the default" if live_default is None else "the new default")
        if schema.selectable:
            roles.append("selectable at registration")
        rank = 0 if _is_schema(schema, live_default) else 1 if roles else 2
        if not roles and ctx.live is not None and not any(_same_entry(schema, x) for x in live):
            continue  # new, neither default nor selectable: nobody has it yet
        if not roles:
            roles = ["in identity.schemas" if ctx.live is None else "existing identities keep it"]
        ranked.append((rank, schema, "; ".join(roles)))
    return [(schema, role) for _, schema, role in sorted(ranked, key=lambda r: r[0])]


def _same_entry(schema: ResolvedSchema, live: ResolvedSchema) -> bool:
    return schema.id == live.id or (
        schema.digest is not None and schema.digest in (live.id, live.digest)
    )


@rule("required-aal-invalid", "error", "required_aal must be aal1 or highest_available")
def _required_aal_invalid(ctx: LintContext) -> Iterator[Finding]:
    # Enum aal1 | highest_available (K26 config.schema.json:877, session/manager_http.go:402);
    # there is no switch that forces 2FA for everybody (ory/kratos#3062, #3668).
    for pointer in REQUIRED_AAL_POINTERS:
        value = ctx.value(pointer)
        if value in REQUIRED_AAL_VALUES:
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


@rule("code-mfa-and-passwordless", "error", "code.mfa_enabled and passwordless_enabled both true")
def _code_mfa_and_passwordless(ctx: LintContext) -> Iterator[Finding]:
    # Schema anyOf forbids it (K26 config.schema.json:1548-1580); DOCS mfa/30_sms.mdx:17.
    if ctx.is_true(CODE_MFA) and ctx.is_true(CODE_PASSWORDLESS):
        yield make_finding(
            "code-mfa-and-passwordless",
            "selfservice.methods.code has both mfa_enabled and passwordless_enabled set to true; "
            "Kratos rejects this (a code cannot be both the first and the second factor)",
            [CODE_MFA, CODE_PASSWORDLESS],
            "Choose one: passwordless_enabled for code login, or mfa_enabled for code 2FA.",
        )


@rule("code-without-identifier", "warning", "code method in use but no code identifier trait")
def _code_without_identifier(ctx: LintContext) -> Iterator[Finding]:
    # ory-api.md §1d-5: without a credentials.code.identifier trait nobody has a code address.
    in_use = [p for p in (CODE_PASSWORDLESS, CODE_MFA) if ctx.is_true(p)]
    active = ctx.active_schemas()
    if not in_use or not active or any(s.content is None for s in active):
        return
    if any(identity_schemas.code_identifiers(s.content or {}) for s in active):
        return
    # Existing identities of other schemas may still have a code address: say who.
    others = [
        f"`{s.id}`"
        for s, _ in schemas_with_users(ctx)
        if s not in active and identity_schemas.code_identifiers(s.content or {})
    ]
    who = (
        f"new identities cannot receive a one-time code (only existing identities of "
        f"{', '.join(others)} can)"
        if others
        else "no user can receive a one-time code"
    )
    yield make_finding(
        "code-without-identifier",
        f"{', '.join(in_use)} is true but no identity schema new identities get "
        f"({', '.join(f'`{s.id}`' for s in active)}) marks a trait as "
        f"credentials.code.identifier, so {who}",
        [*in_use, *(ctx.schema_pointer(s) for s in active)],
        'Mark an email or phone trait with "ory.sh/kratos": {"credentials": {"code": '
        '{"identifier": true, "via": "email"}}} (optional trait for MFA, see '
        "code-mfa-forces-2fa), or turn the code method off.",
    )


def _has_sms_channel(ctx: LintContext) -> bool:
    channels = ctx.value("/courier/channels")
    return isinstance(channels, list) and any(
        isinstance(c, dict) and c.get("id") == "sms" for c in channels
    )


@rule("sms-without-channel", "error", "via: sms without a courier sms channel")
def _sms_without_channel(ctx: LintContext) -> Iterator[Finding]:
    # DOCS emails-sms/10_sending-sms.mdx:50-53: SMS needs courier.channels[{id: sms}].
    if _has_sms_channel(ctx):
        return
    for schema in ctx.schemas:
        uses = identity_schemas.channels_used(schema.content or {}).get("sms", [])
        if not uses:
            continue
        where = ", ".join(f"`{trait.name}` ({key})" for trait, key in uses)
        yield make_finding(
            "sms-without-channel",
            f"identity schema `{schema.id}` sends messages via sms ({where}) but "
            "courier.channels has no channel with id `sms`, so those codes are never delivered",
            [ctx.schema_pointer(schema), "/courier/channels"],
            "Add courier.channels: [{id: sms, type: http, request_config: {...}}] pointing at "
            "your SMS provider, or use via: email.",
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


def _rp_gaps(ctx: LintContext, method: str, required: tuple[str, ...]) -> list[str]:
    rp = ctx.value(f"{METHODS}/{method}/config/rp")
    rp_fields = rp if isinstance(rp, dict) else {}
    return [key for key in required if not rp_fields.get(key)]


@rule("webauthn-rp-missing", "error", "WebAuthn/passkey enabled without relying-party config")
def _webauthn_rp_missing(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json 1786-1964: enabled ⇒ config.rp; webauthn rp needs id and
    # display_name; Ory Network docs only set passkey rp.display_name (ory-api.md §1c, §1d-6).
    for method, required in (("webauthn", ("id", "display_name")), ("passkey", ("display_name",))):
        missing = _rp_gaps(ctx, method, required)
        if not ctx.is_true(f"{METHODS}/{method}/enabled") or not missing:
            continue
        yield make_finding(
            "webauthn-rp-missing",
            f"selfservice.methods.{method} is enabled but config.rp lacks "
            f"{', '.join(missing)}; browsers cannot create or use credentials without it",
            [f"{METHODS}/{method}/enabled", f"{METHODS}/{method}/config/rp"],
            f"Set selfservice.methods.{method}.config.rp.{{{', '.join(required)}}} (id = your "
            "domain, e.g. the project's custom domain; display_name = what users see).",
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


@rule("totp-issuer-missing", "warning", "TOTP enabled without an issuer")
def _totp_issuer_missing(ctx: LintContext) -> Iterator[Finding]:
    # K26 driver/config/config.go:601-603: the issuer falls back to the public URL host.
    if ctx.is_true(f"{METHODS}/totp/enabled") and not ctx.value(f"{METHODS}/totp/config/issuer"):
        yield make_finding(
            "totp-issuer-missing",
            "selfservice.methods.totp is enabled without config.issuer; authenticator apps "
            "will label codes with the project's hostname (e.g. <slug>.projects.oryapis.com)",
            [f"{METHODS}/totp/enabled", f"{METHODS}/totp/config/issuer"],
            "Set selfservice.methods.totp.config.issuer to your product name.",
        )
