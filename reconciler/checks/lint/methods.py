"""Lint rules about how sign-in methods are set up: one-time codes (who can receive one, over
which channel), the WebAuthn/passkey relying party, the TOTP issuer."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.checks.finding import Finding
from reconciler.checks.lint.rules import LintContext, make_finding, rule
from reconciler.comparing import identity_schemas
from reconciler.jsontypes import Pointer
from reconciler.services.identity.aal import (
    CODE_MFA,
    CODE_PASSWORDLESS,
    METHODS,
    WEBAUTHN_ENABLED,
    WEBAUTHN_PASSWORDLESS,
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
        for s, _ in ctx.schemas_with_users()
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


def _other_sign_up_methods(ctx: LintContext) -> list[Pointer]:
    """The methods besides a one-time code a new identity can register with (Kratos
    defaults apply: password is on unless turned off; WebAuthn registers only passwordless)."""
    on = [
        pointer
        for pointer in (f"{METHODS}/password/enabled", f"{METHODS}/passkey/enabled")
        if ctx.is_true(pointer)
    ]
    if ctx.is_true(WEBAUTHN_ENABLED) and ctx.is_true(WEBAUTHN_PASSWORDLESS):
        on.append(WEBAUTHN_ENABLED)
    providers = ctx.value(f"{METHODS}/oidc/config/providers")
    if ctx.is_true(f"{METHODS}/oidc/enabled") and isinstance(providers, list) and providers:
        on.append(f"{METHODS}/oidc/enabled")
    return on


def _sign_up_only_by_sms(ctx: LintContext) -> bool:
    """Whether every sign-up needs an SMS: a one-time code is the only way to register, and
    every schema new identities may get sends its codes by SMS alone."""
    active = ctx.active_schemas()
    if not ctx.is_true(CODE_PASSWORDLESS) or _other_sign_up_methods(ctx) or not active:
        return False
    for schema in active:
        codes = identity_schemas.code_identifiers(schema.content or {})
        if not codes or any(trait.code_via != "sms" for trait in codes):
            return False
    return True


@rule("sms-without-channel", "warning", "via: sms without a courier sms channel")
def _sms_without_channel(ctx: LintContext) -> Iterator[Finding]:
    # DOCS emails-sms/10_sending-sms.mdx:50-53: SMS needs courier.channels[{id: sms}]. Kratos
    # accepts the config; the courier fails each message ("no courier channels configured
    # for: sms") until it abandons it (courier/courier_dispatcher.go). An error only where
    # that stops every sign-up: code registration sends its code to the code addresses alone
    # (selfservice/strategy/code/strategy_registration.go). Sources: docs/rules.md.
    if _has_sms_channel(ctx):
        return
    blocked = _sign_up_only_by_sms(ctx)
    for schema in ctx.schemas:
        uses = identity_schemas.channels_used(schema.content or {}).get("sms", [])
        if not uses:
            continue
        where = ", ".join(f"`{trait.name}` ({key})" for trait, key in uses)
        consequence = (
            "; one-time codes by SMS are the only way to sign up, so nobody can register"
            if blocked
            else ""
        )
        yield make_finding(
            "sms-without-channel",
            f"identity schema `{schema.id}` sends messages via sms ({where}) but "
            "courier.channels has no channel with id `sms`, so those messages are never "
            f"delivered{consequence}",
            [ctx.schema_pointer(schema), "/courier/channels"],
            "Add courier.channels: [{id: sms, type: http, request_config: {...}}] pointing at "
            "your SMS provider, or use via: email.",
            severity="error" if blocked else None,
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
