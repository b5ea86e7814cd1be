"""Lint rules for the traps of Ory identity config that a schema cannot see.

Every rule has a stable id, a severity, and cites its source in ``docs/rules.md`` (and
ory-api.md §1d). Rules look at the desired state merged over live (mappings deep-merged,
desired wins, lists replaced) and fall back to Kratos defaults where neither says anything:
a rule must see ``required_aal: highest_available`` even when nobody wrote it (ory-api.md §1c
"AAL settings": it is the default and the Ory Network default).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler import identity_schemas, list_view
from reconciler.checks.kratos_schema import KratosSchema, for_target
from reconciler.errors import ConfigError
from reconciler.identity_schemas import ResolvedSchema, Trait
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, get_at, join_pointer

Severity = Literal["error", "warning"]

HIGHEST_AVAILABLE = "highest_available"
REQUIRED_AAL_POINTERS: tuple[Pointer, ...] = (
    "/session/whoami/required_aal",
    "/selfservice/flows/settings/required_aal",
)
_METHODS = "/selfservice/methods"
CODE_MFA = f"{_METHODS}/code/mfa_enabled"
CODE_PASSWORDLESS = f"{_METHODS}/code/passwordless_enabled"
CODE_ENABLED = f"{_METHODS}/code/enabled"
WEBAUTHN_ENABLED = f"{_METHODS}/webauthn/enabled"
WEBAUTHN_PASSWORDLESS = f"{_METHODS}/webauthn/config/passwordless"
# Second factors that only count as MFA when enabled (ory-api.md §1d-2); webauthn counts only
# when not passwordless (K26 webauthn/strategy.go:88-123).
_PLAIN_SECOND_FACTORS: tuple[Pointer, ...] = (
    f"{_METHODS}/totp/enabled",
    f"{_METHODS}/lookup_secret/enabled",
    CODE_MFA,
)
DEFAULT_SCHEMA_ID = "/identity/default_schema_id"
_HOOK_FLOWS = ("login", "registration", "settings", "verification", "recovery")
MFA_OPTIONAL_PROFILE = "kratos test/e2e/profiles/mfa-optional (identity.traits.schema.json)"


@dataclass(frozen=True)
class Finding:
    """One lint result: which rule, how bad, what is wrong, where (identity-config pointers),
    and what to do about it."""

    rule_id: str
    severity: Severity
    message: str
    pointers: tuple[str, ...]
    fix: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str


# -- the state rules look at ----------------------------------------------------------------


def merge_over(base: JSONValue, overlay: JSONValue) -> JSONValue:
    """Deep-merge ``overlay`` over ``base``: mappings merge, anything else is replaced."""
    if not (isinstance(base, dict) and isinstance(overlay, dict)):
        return overlay
    merged = dict(base)
    for key, value in overlay.items():
        merged[key] = merge_over(base[key], value) if key in base else value
    return merged


class LintContext:
    """Desired merged over live, Kratos defaults, and the identity schemas behind them."""

    def __init__(
        self,
        desired: JSONObject,
        live: JSONObject | None,
        schema_contents: Mapping[str, bytes] | None,
        kratos: KratosSchema,
    ) -> None:
        self.desired = desired
        self.live = live
        merged = merge_over(live or {}, desired)
        self.merged: JSONObject = merged if isinstance(merged, dict) else {}
        self.contents = schema_contents
        self._kratos = kratos
        self.schemas = identity_schemas.resolve_schemas(self.merged, schema_contents)

    def value(self, pointer: Pointer, document: JSONValue | None = None) -> JSONValue:
        """The value at ``pointer`` in ``document`` (default: merged), else the Kratos default."""
        found, value = get_at(self.merged if document is None else document, pointer)
        if found:
            return value
        return self._kratos.default_at(pointer)[1]

    def is_true(self, pointer: Pointer, document: JSONValue | None = None) -> bool:
        return self.value(pointer, document) is True

    def highest_available_pointers(self) -> list[Pointer]:
        return [p for p in REQUIRED_AAL_POINTERS if self.value(p) == HIGHEST_AVAILABLE]

    def second_factors(self, document: JSONValue | None = None) -> list[Pointer]:
        enabled = [p for p in _PLAIN_SECOND_FACTORS if self.is_true(p, document)]
        if self.is_true(WEBAUTHN_ENABLED, document) and not self.is_true(
            WEBAUTHN_PASSWORDLESS, document
        ):
            enabled.append(WEBAUTHN_ENABLED)
        return enabled

    def default_schema_id(self) -> str:
        return str(self.value("/identity/default_schema_id"))

    def schema_pointer(self, schema: ResolvedSchema) -> Pointer:
        return f"/identity/schemas/{self.schemas.index(schema)}"

    def has_default_schema(self) -> bool:
        default = self.default_schema_id()
        return any(s.id == default or s.digest == default for s in self.schemas)

    def active_schemas(self) -> list[ResolvedSchema]:
        """The default schema and every self-service-selectable one (ory-api.md §1d-1)."""
        default = self.default_schema_id()
        return [s for s in self.schemas if s.id == default or s.digest == default or s.selectable]


RuleCheck = Callable[[LintContext], Iterator[Finding]]


# -- rules ----------------------------------------------------------------------------------

RULES: dict[str, Rule] = {}
_CHECKS: list[tuple[Rule, RuleCheck]] = []


def _rule(rule_id: str, severity: Severity, title: str) -> Callable[[RuleCheck], RuleCheck]:
    def register(check: RuleCheck) -> RuleCheck:
        rule = Rule(rule_id, severity, title)
        RULES[rule_id] = rule
        _CHECKS.append((rule, check))
        return check

    return register


def _finding(rule_id: str, message: str, pointers: list[Pointer], fix: str) -> Finding:
    rule = RULES[rule_id]
    return Finding(rule.id, rule.severity, message, tuple(dict.fromkeys(pointers)), fix)


def _names(traits: list[Trait]) -> str:
    return ", ".join(f"`{t.name}`" for t in traits)


def _where_forced(strict: list[Pointer]) -> str:
    places = {
        "/session/whoami/required_aal": "after every login (whoami answers 403 "
        "session_aal2_required until they do)",
        "/selfservice/flows/settings/required_aal": "before they can change any settings",
    }
    return " and ".join(places[p] for p in strict)


@_rule("code-mfa-forces-2fa", "error", "One-time-code MFA forces every user into code 2FA")
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
    named = "; ".join(f"`{s.id}` (trait {_names(f)}; {role})" for s, role, f in affected)
    yield _finding(
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
    live = list(_live_schemas(ctx).values())
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


@_rule("required-aal-invalid", "error", "required_aal must be aal1 or highest_available")
def _required_aal_invalid(ctx: LintContext) -> Iterator[Finding]:
    # Enum aal1 | highest_available (K26 config.schema.json:877, session/manager_http.go:402);
    # there is no switch that forces 2FA for everybody (ory/kratos#3062, #3668).
    for pointer in REQUIRED_AAL_POINTERS:
        value = ctx.value(pointer)
        if value in ("aal1", HIGHEST_AVAILABLE):
            continue
        yield _finding(
            "required-aal-invalid",
            f"{pointer} is {value!r}; Kratos only knows aal1 and highest_available "
            "(there is no aal2 setting that forces 2FA for everybody)",
            [pointer],
            "Use highest_available (users who set up a second factor must use it) or aal1.",
        )


@_rule(
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
    yield _finding(
        "highest-available-without-second-factor",
        f"{', '.join(written)} is highest_available but no second factor (totp, lookup_secret, "
        "webauthn without passwordless, code.mfa_enabled) is enabled, so nobody is ever asked "
        "for one; this setting behaves like aal1",
        [*written, *_PLAIN_SECOND_FACTORS, WEBAUTHN_ENABLED],
        "Enable a second-factor method (e.g. selfservice.methods.totp.enabled: true) or write "
        "aal1 to say what you mean.",
    )


@_rule("code-mfa-and-passwordless", "error", "code.mfa_enabled and passwordless_enabled both true")
def _code_mfa_and_passwordless(ctx: LintContext) -> Iterator[Finding]:
    # Schema anyOf forbids it (K26 config.schema.json:1548-1580); DOCS mfa/30_sms.mdx:17.
    if ctx.is_true(CODE_MFA) and ctx.is_true(CODE_PASSWORDLESS):
        yield _finding(
            "code-mfa-and-passwordless",
            "selfservice.methods.code has both mfa_enabled and passwordless_enabled set to true; "
            "Kratos rejects this (a code cannot be both the first and the second factor)",
            [CODE_MFA, CODE_PASSWORDLESS],
            "Choose one: passwordless_enabled for code login, or mfa_enabled for code 2FA.",
        )


@_rule("code-without-identifier", "warning", "code method in use but no code identifier trait")
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
    yield _finding(
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


@_rule("sms-without-channel", "error", "via: sms without a courier sms channel")
def _sms_without_channel(ctx: LintContext) -> Iterator[Finding]:
    # DOCS emails-sms/10_sending-sms.mdx:50-53: SMS needs courier.channels[{id: sms}].
    if _has_sms_channel(ctx):
        return
    for schema in ctx.schemas:
        uses = identity_schemas.channels_used(schema.content or {}).get("sms", [])
        if not uses:
            continue
        where = ", ".join(f"`{trait.name}` ({key})" for trait, key in uses)
        yield _finding(
            "sms-without-channel",
            f"identity schema `{schema.id}` sends messages via sms ({where}) but "
            "courier.channels has no channel with id `sms`, so those codes are never delivered",
            [ctx.schema_pointer(schema), "/courier/channels"],
            "Add courier.channels: [{id: sms, type: http, request_config: {...}}] pointing at "
            "your SMS provider, or use via: email.",
        )


def _lockout_candidates(ctx: LintContext) -> list[Pointer]:
    candidates = [*_PLAIN_SECOND_FACTORS, WEBAUTHN_ENABLED]
    if ctx.live is not None and ctx.is_true(CODE_MFA, ctx.live):
        candidates.append(CODE_ENABLED)  # MFA counting ignores code.enabled (strategy.go:137)
    return candidates


@_rule(
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
        yield _finding(
            "second-factor-disabled-lockout",
            f"{pointer} goes from true to false while {', '.join(strict)} is highest_available: "
            "users who enrolled this factor still need aal2 but can no longer use it to get it "
            "(lock-out unless they have another second factor)",
            [pointer, *strict],
            "Keep the method enabled until enrolled users have moved to another second factor, "
            "or set required_aal to aal1 for the transition.",
        )


def _rp_gaps(ctx: LintContext, method: str, required: tuple[str, ...]) -> list[str]:
    rp = ctx.value(f"{_METHODS}/{method}/config/rp")
    rp_fields = rp if isinstance(rp, dict) else {}
    return [key for key in required if not rp_fields.get(key)]


@_rule("webauthn-rp-missing", "error", "WebAuthn/passkey enabled without relying-party config")
def _webauthn_rp_missing(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json 1786-1964: enabled ⇒ config.rp; webauthn rp needs id and
    # display_name; Ory Network docs only set passkey rp.display_name (ory-api.md §1c, §1d-6).
    for method, required in (("webauthn", ("id", "display_name")), ("passkey", ("display_name",))):
        missing = _rp_gaps(ctx, method, required)
        if not ctx.is_true(f"{_METHODS}/{method}/enabled") or not missing:
            continue
        yield _finding(
            "webauthn-rp-missing",
            f"selfservice.methods.{method} is enabled but config.rp lacks "
            f"{', '.join(missing)}; browsers cannot create or use credentials without it",
            [f"{_METHODS}/{method}/enabled", f"{_METHODS}/{method}/config/rp"],
            f"Set selfservice.methods.{method}.config.rp.{{{', '.join(required)}}} (id = your "
            "domain, e.g. the project's custom domain; display_name = what users see).",
        )


@_rule(
    "webauthn-passwordless-not-mfa", "warning", "WebAuthn passwordless used where MFA is expected"
)
def _webauthn_passwordless_not_mfa(ctx: LintContext) -> Iterator[Finding]:
    # K26 webauthn/strategy.go:88-134: passwordless WebAuthn is a first factor (AAL1) and its
    # keys do not count as MFA; ory-api.md §1d-6.
    strict = ctx.highest_available_pointers()
    webauthn_first_factor = ctx.is_true(WEBAUTHN_ENABLED) and ctx.is_true(WEBAUTHN_PASSWORDLESS)
    if not webauthn_first_factor or not strict or ctx.second_factors():
        return
    yield _finding(
        "webauthn-passwordless-not-mfa",
        f"WebAuthn is the only multi-factor-capable method and config.passwordless is true, so "
        f"security keys are a first factor and never satisfy {', '.join(strict)} = "
        "highest_available as a second factor",
        [WEBAUTHN_PASSWORDLESS, WEBAUTHN_ENABLED, *strict],
        "For 2FA keys set webauthn.config.passwordless: false (use the passkey method for "
        "passwordless login), or enable another second factor such as totp.",
    )


@_rule("totp-issuer-missing", "warning", "TOTP enabled without an issuer")
def _totp_issuer_missing(ctx: LintContext) -> Iterator[Finding]:
    # K26 driver/config/config.go:601-603: the issuer falls back to the public URL host.
    if ctx.is_true(f"{_METHODS}/totp/enabled") and not ctx.value(f"{_METHODS}/totp/config/issuer"):
        yield _finding(
            "totp-issuer-missing",
            "selfservice.methods.totp is enabled without config.issuer; authenticator apps "
            "will label codes with the project's hostname (e.g. <slug>.projects.oryapis.com)",
            [f"{_METHODS}/totp/enabled", f"{_METHODS}/totp/config/issuer"],
            "Set selfservice.methods.totp.config.issuer to your product name.",
        )


def _hooks_of(container: JSONValue) -> list[JSONValue] | None:
    hooks = container.get("hooks") if isinstance(container, dict) else None
    return hooks if isinstance(hooks, list) else None


def _hook_lists(ctx: LintContext) -> Iterator[tuple[Pointer, list[JSONValue]]]:
    """Every hook list under selfservice.flows: ``(pointer, hooks)``."""
    for flow in _HOOK_FLOWS:
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


@_rule("hooks-shadowed-by-method", "warning", "flow-level after-hooks shadowed by method hooks")
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
        yield _finding(
            "hooks-shadowed-by-method",
            f"{base}/hooks ({names}) does not run for method(s) {methods}: a method with its "
            "own after-hook list replaces the flow-level list",
            [f"{base}/hooks", *shadowing],
            "Copy the flow-level hooks into each method's list (keep `session` last in "
            "registration), or empty the method lists.",
        )


@_rule("session-hook-not-last", "warning", "session hook not last in registration after-hooks")
def _session_hook_not_last(ctx: LintContext) -> Iterator[Finding]:
    # DOCS actions/session.mdx:31-32: no hook runs after `session`.
    for pointer, hooks in _hook_lists(ctx):
        if not pointer.startswith("/selfservice/flows/registration/after/"):
            continue
        names = [_hook_name(h) for h in hooks]
        if "session" not in names or names[-1] == "session":
            continue
        later = ", ".join(names[names.index("session") + 1 :])
        yield _finding(
            "session-hook-not-last",
            f"{pointer}: hooks after `session` ({later}) never run",
            [join_pointer(pointer, names.index("session"))],
            "Move the `session` hook to the end of the list.",
        )


def _web_hooks(ctx: LintContext) -> Iterator[tuple[Pointer, str, JSONObject]]:
    """``(pointer, name, config)`` per web hook; ``name`` reads as the plan names the hook
    (``/…/hooks[web_hook https://…]``), not by its index."""
    for pointer, hooks in _hook_lists(ctx):
        for index, hook in enumerate(hooks):
            if isinstance(hook, dict) and hook.get("hook") == "web_hook":
                config = hook.get("config")
                at = join_pointer(pointer, index)
                name = list_view.labelled_pointer(at, ctx.merged)
                yield at, name, config if isinstance(config, dict) else {}


@_rule("webhook-response-conflict", "error", "web_hook both ignores and parses the response")
def _webhook_response_conflict(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json ~325-347: not(ignore && parse), not(ignore && can_interrupt).
    for pointer, name, config in _web_hooks(ctx):
        _, ignore = get_at(config, "/response/ignore")
        _, parse = get_at(config, "/response/parse")
        if ignore is not True or not (parse is True or config.get("can_interrupt") is True):
            continue
        yield _finding(
            "webhook-response-conflict",
            f"{name}: response.ignore is true (fire and forget) but the hook also asks to "
            "use the response (response.parse or can_interrupt); Kratos rejects this",
            [f"{pointer}/config/response"],
            "Set response.ignore: false to let the webhook modify the identity or interrupt "
            "the flow, or drop response.parse/can_interrupt for an async webhook.",
        )


@_rule("webhook-can-interrupt-deprecated", "warning", "web_hook uses deprecated can_interrupt")
def _webhook_can_interrupt_deprecated(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json web_hook: can_interrupt is deprecated in favour of response.parse.
    for pointer, name, config in _web_hooks(ctx):
        if "can_interrupt" in config:
            yield _finding(
                "webhook-can-interrupt-deprecated",
                f"{name}: config.can_interrupt is deprecated",
                [f"{pointer}/config/can_interrupt"],
                "Replace can_interrupt: true with response: {parse: true}.",
            )


def _live_schemas(ctx: LintContext) -> dict[str, ResolvedSchema]:
    if ctx.live is None:
        return {}
    return {s.id: s for s in identity_schemas.resolve_schemas(ctx.live, ctx.contents)}


def _trait_summary(old: ResolvedSchema, new: ResolvedSchema) -> str:
    if old.content is None or new.content is None:
        return ""
    changes = identity_schemas.trait_diff(old.content, new.content)
    breaking = [f"{c.trait}: {c.reason}" for c in changes if c.breaking]
    return f" Breaking for existing identities: {'; '.join(breaking)}." if breaking else ""


@_rule("identity-schema-changed", "error", "identity schema content changed under the same id")
def _identity_schema_changed(ctx: LintContext) -> Iterator[Finding]:
    # Identity schemas are immutable on Ory Network (DOCS manage-identity-schema.mdx:94,
    # TF identityschema/resource.go:52; ory-api.md §1c, §1d-9). That holds for presets too:
    # an exported preset edited in place would replace what every existing identity uses.
    _, written = get_at(ctx.desired, "/identity/schemas")
    if not isinstance(written, list):
        return
    live = _live_schemas(ctx)
    for schema in ctx.schemas:
        before = live.get(schema.id)
        if before is None:
            continue
        if before.digest is None or schema.digest is None or before.digest == schema.digest:
            continue
        if before.content is not None and before.content == schema.content:
            continue  # the same schema, serialised differently
        yield _finding(
            "identity-schema-changed",
            f"identity schema `{schema.id}` has different content than the live schema with "
            "the same id; Ory Network identity schemas cannot be changed in place, and existing "
            "identities of this schema would be validated against the new content."
            + _trait_summary(before, schema),
            [f"{ctx.schema_pointer(schema)}/url"],
            f"Publish the new content under a new schema id (e.g. `{_next_id(schema.id)}`, with "
            "its own file), point identity.default_schema_id at it, keep the old entry unchanged, "
            "and migrate existing identities to the new id.",
        )


def _next_id(schema_id: str) -> str:
    """A suggested id for the new version of ``schema_id`` (``preset://email`` -> ``email-v2``)."""
    base = schema_id.removeprefix(identity_schemas.PRESET_SCHEME)
    match = re.fullmatch(r"(.*?)-?v(\d+)", base)
    return f"{match.group(1)}-v{int(match.group(2)) + 1}" if match else f"{base}-v2"


def _same_schema(ctx: LintContext, live_id: str, new_id: str) -> bool:
    # Ory Network may rename a custom schema to the SHA-512 of its content (ory-api.md §1a-2).
    if live_id == new_id:
        return True
    return any(s.id == new_id and s.digest == live_id for s in ctx.schemas)


@_rule("default-schema-switched", "warning", "default_schema_id switched")
def _default_schema_switched(ctx: LintContext) -> Iterator[Finding]:
    # DOCS manage-identity-schema.mdx:47-52: only new identities use the new default.
    if ctx.live is None:
        return
    live_default = str(ctx.value("/identity/default_schema_id", ctx.live))
    new_default = ctx.default_schema_id()
    if _same_schema(ctx, live_default, new_default):
        return
    yield _finding(
        "default-schema-switched",
        f"identity.default_schema_id changes from `{live_default}` to `{new_default}`: only new "
        "identities use it; existing identities stay on the old schema and may be unable to "
        "sign in if their traits do not fit what the UI now expects",
        ["/identity/default_schema_id"],
        "Keep the old schema in identity.schemas and migrate existing identities to the new "
        "schema id (admin API) after the switch.",
    )


@_rule("default-schema-unknown", "error", "default_schema_id names no configured schema")
def _default_schema_unknown(ctx: LintContext) -> Iterator[Finding]:
    # K26 config.schema.json identity: default_schema_id must be one of identity.schemas[].id.
    if not ctx.schemas or ctx.has_default_schema():
        return
    yield _finding(
        "default-schema-unknown",
        f"identity.default_schema_id is `{ctx.default_schema_id()}` but identity.schemas has "
        f"no schema with that id ({', '.join(s.id for s in ctx.schemas)})",
        ["/identity/default_schema_id", "/identity/schemas"],
        "Set identity.default_schema_id to the id of one of identity.schemas.",
    )


# -- entry points ---------------------------------------------------------------------------


def lint(
    desired: JSONObject,
    live: JSONObject | None,
    *,
    schema_contents: Mapping[str, bytes] | None = None,
    kratos: KratosSchema | None = None,
) -> list[Finding]:
    """Run every rule on ``desired`` merged over ``live``; errors first, then by rule id.

    Defaults come from ``kratos`` (the target's schema), else from the released Kratos schema.
    """
    ctx = LintContext(desired, live, schema_contents, kratos or for_target("kratos_file"))
    findings = [finding for _, check in _CHECKS for finding in check(ctx)]
    return sorted(findings, key=lambda f: (f.severity != "error", f.rule_id, f.pointers))


def check_disabled(disabled: Mapping[str, str]) -> None:
    """Raise ``ConfigError`` for an unknown rule id or an empty reason under ``lint.disable``:
    a disabled safety rule must say why (issue 4)."""
    problems = [
        f"lint.disable: unknown rule id `{rule_id}`" for rule_id in disabled if rule_id not in RULES
    ]
    problems += [
        f"lint.disable: `{rule_id}` needs a reason"
        for rule_id, reason in disabled.items()
        if rule_id in RULES and not str(reason).strip()
    ]
    if problems:
        raise ConfigError(problems)


def acknowledge(findings: list[Finding], disabled: Mapping[str, str]) -> list[tuple[Finding, str]]:
    """Every finding with the reason its rule was disabled for (``""`` when it was not).

    A disabled rule still reports what it found, marked acknowledged: a reviewer must see
    that every email user is now forced into 2FA, and why that was accepted (Checkov and
    tfsec list skipped checks with their reasons too).
    """
    check_disabled(disabled)
    return [(finding, str(disabled.get(finding.rule_id, "")).strip()) for finding in findings]


def filter_disabled(findings: list[Finding], disabled: Mapping[str, str]) -> list[Finding]:
    """The findings of rules the environment did not disable (``{rule_id: reason}``)."""
    return [finding for finding, reason in acknowledge(findings, disabled) if not reason]
