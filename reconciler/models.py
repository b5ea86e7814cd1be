"""The shape of an environment file, as pydantic models.

Only our envelope and the parts of the identity config users most often get wrong are typed
strictly (methods, ``required_aal``, hooks, identity schemas). Everything else in
``identity_config`` passes through as JSON and is checked by the official Kratos schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.limits import HARD_MAX_DEPTH

RequiredAal = Literal["aal1", "highest_available"]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
POINTER_PATTERN = r"^(/[^/]*)+$"
URL_PATTERN = r"^https?://"
# What each pattern means, for error messages.
PATTERN_MEANING = {
    UUID_PATTERN: "a project id (a UUID such as 6f0cae50-182d-8f7a-afdd-f83f3fa1f30c)",
    POINTER_PATTERN: "a JSON pointer such as /selfservice/methods/link/config/base_url",
    URL_PATTERN: "an http(s):// URL",
}
JsonPointerText = Annotated[str, Field(pattern=POINTER_PATTERN)]


class Strict(BaseModel):
    """Unknown keys are errors, and nothing is coerced ("true" is not a boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Open(BaseModel):
    """Typed where declared; other keys pass through untouched."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


# --- targets -------------------------------------------------------------------------------


class OryNetworkTarget(Strict):
    project: Annotated[
        str,
        Field(
            pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        ),
    ]
    api_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None


class KratosFileTarget(Strict):
    path: Annotated[str, Field(min_length=1)]


class Target(Strict):
    ory_network: OryNetworkTarget | None = None
    kratos_file: KratosFileTarget | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Target:
        if (self.ory_network is None) == (self.kratos_file is None):
            raise ValueError("a target needs exactly one of ory_network or kratos_file")
        return self


# --- hooks ---------------------------------------------------------------------------------


class ApiKeyAuthConfig(Strict):
    name: str
    value: str
    in_: Literal["header", "cookie"] = Field(alias="in")


class ApiKeyAuth(Strict):
    type: Literal["api_key"]
    config: ApiKeyAuthConfig


class BasicAuthConfig(Strict):
    user: str
    password: str


class BasicAuth(Strict):
    type: Literal["basic_auth"]
    config: BasicAuthConfig


class WebHookResponse(Strict):
    ignore: bool = False
    parse: bool = False


class WebHookConfig(Strict):
    url: str
    method: str
    headers: dict[str, str] | None = None
    body: str | None = None
    auth: Annotated[ApiKeyAuth | BasicAuth, Field(discriminator="type")] | None = None
    response: WebHookResponse | None = None
    can_interrupt: bool | None = None
    emit_analytics_event: bool | None = None
    id: str | None = None


class WebHook(Strict):
    hook: Literal["web_hook"]
    config: WebHookConfig


class ConfiguredHook(Strict):
    hook: Literal["b2b_sso", "organization", "notify_previous_addresses"]
    config: dict[str, Any] = Field(default_factory=dict)


class PlainHook(Strict):
    hook: Literal[
        "session",
        "show_verification_ui",
        "require_verified_address",
        "revoke_active_sessions",
        "verification",
        "verify_new_address",
    ]


Hook = Annotated[WebHook | ConfiguredHook | PlainHook, Field(discriminator="hook")]


class HookList(Strict):
    hooks: list[Hook] = Field(default_factory=list)


class AfterHooks(Open):
    """``after.hooks`` plus per-method lists (``after.password.hooks`` …), all typed."""

    __pydantic_extra__: dict[str, HookList] = Field(init=False)
    hooks: list[Hook] = Field(default_factory=list)


class Flow(Open):
    before: HookList | None = None
    after: AfterHooks | None = None


class SettingsFlow(Flow):
    required_aal: RequiredAal | None = None


class Flows(Strict):
    settings: SettingsFlow | None = None
    logout: Flow | None = None
    registration: Flow | None = None
    login: Flow | None = None
    verification: Flow | None = None
    recovery: Flow | None = None
    error: dict[str, Any] | None = None


# --- methods -------------------------------------------------------------------------------


class Toggle(Strict):
    enabled: bool | None = None


class PasswordConfig(Strict):
    haveibeenpwned_host: str | None = None
    haveibeenpwned_enabled: bool | None = None
    max_breaches: int | None = None
    ignore_network_errors: bool | None = None
    min_password_length: Annotated[int, Field(ge=6)] | None = None
    identifier_similarity_check_enabled: bool | None = None
    migrate_hook: dict[str, Any] | None = None


class PasswordMethod(Toggle):
    config: PasswordConfig | None = None


class CodeConfig(Strict):
    lifespan: str | None = None
    max_submissions: Annotated[int, Field(ge=1, le=255)] | None = None
    missing_credential_fallback_enabled: bool | None = None


class CodeMethod(Toggle):
    passwordless_enabled: bool | None = None
    mfa_enabled: bool | None = None
    config: CodeConfig | None = None


class TotpConfig(Strict):
    issuer: str | None = None


class TotpMethod(Toggle):
    config: TotpConfig | None = None


class RelyingParty(Strict):
    display_name: str | None = None
    id: str | None = None
    origin: str | None = None
    origins: list[str] | None = None
    icon: str | None = None


class WebAuthnConfig(Strict):
    passwordless: bool | None = None
    rp: RelyingParty | None = None


class WebAuthnMethod(Toggle):
    config: WebAuthnConfig | None = None


class PasskeyConfig(Open):
    rp: RelyingParty | None = None


class PasskeyMethod(Toggle):
    config: PasskeyConfig | None = None


class LinkConfig(Strict):
    base_url: str | None = None
    lifespan: str | None = None


class LinkMethod(Toggle):
    config: LinkConfig | None = None


class OidcConfig(Strict):
    base_redirect_uri: str | None = None
    providers: list[dict[str, Any]] | None = None


class OidcMethod(Toggle):
    config: OidcConfig | None = None


class Methods(Strict):
    password: PasswordMethod | None = None
    code: CodeMethod | None = None
    totp: TotpMethod | None = None
    lookup_secret: Toggle | None = None
    webauthn: WebAuthnMethod | None = None
    passkey: PasskeyMethod | None = None
    link: LinkMethod | None = None
    oidc: OidcMethod | None = None
    profile: Toggle | None = None
    b2b: dict[str, Any] | None = None
    # Ory Network-only methods (ory-network-behaviour.md §5); checked by Ory, not here.
    captcha: dict[str, Any] | None = None
    saml: dict[str, Any] | None = None
    deviceauthn: dict[str, Any] | None = None


# --- identity config -----------------------------------------------------------------------


class SchemaRef(Strict):
    """An identity schema: a preset id, a ``url`` (file://, base64://, https://), or inline."""

    id: Annotated[str, Field(min_length=1)]
    url: Annotated[str, Field(min_length=1)] | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    selfservice_selectable: bool | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SchemaRef:
        if self.url is not None and self.schema_ is not None:
            raise ValueError("give an identity schema either a url or an inline schema, not both")
        if self.url is None and self.schema_ is None and not self.id.startswith("preset://"):
            raise ValueError(
                "an identity schema needs a url (file://, base64://, https://) or schema"
            )
        return self


class Identity(Open):
    default_schema_id: str | None = None
    schemas: Annotated[list[SchemaRef], Field(min_length=1)] | None = None


class Selfservice(Open):
    methods: Methods | None = None
    flows: Flows | None = None


class Whoami(Open):
    required_aal: RequiredAal | None = None


class Session(Open):
    whoami: Whoami | None = None


class IdentityConfig(Open):
    selfservice: Selfservice | None = None
    session: Session | None = None
    identity: Identity | None = None


# --- the environment file ------------------------------------------------------------------


class LintSettings(Strict):
    # rule id -> why it is disabled; a reason is required (an empty one is refused).
    disable: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)


class Environment(Strict):
    """A merged environment file. ``extends`` is consumed by the loader before this."""

    target: Target | None = None
    lint: LintSettings = Field(default_factory=LintSettings)
    # Extra pointers (relative to identity_config) whose values are write-only secrets.
    secrets: list[JsonPointerText] = Field(default_factory=list)
    # Production: apply needs --yes and --env-confirm NAME; --allow-weaken needs the second.
    protect: bool = False
    protect_allow_weaken: bool = False
    identity_config: IdentityConfig = Field(default_factory=IdentityConfig)
    remove: list[JsonPointerText] = Field(default_factory=list)
    # Write-only value (pointer relative to identity_config) -> a version to bump when it
    # must be sent again (Ory never returns it, so a change cannot be seen); see sent.py.
    rotate: dict[JsonPointerText, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)


class InputLimits(Strict):
    """``limits:`` in ``reconciler.yaml``: how much input one environment may be."""

    max_file_bytes: Annotated[int, Field(ge=1)] | None = None
    max_nodes: Annotated[int, Field(ge=1)] | None = None
    # Capped well below Python's recursion limit (see reconciler/limits.py).
    max_depth: Annotated[int, Field(ge=1, le=HARD_MAX_DEPTH)] | None = None


class RepositorySettings(Strict):
    """``reconciler.yaml`` at the repository root: rules for every environment."""

    limits: InputLimits = Field(default_factory=InputLimits)

    # When set, any target project outside this list is refused (plan and apply).
    allowed_project_ids: list[Annotated[str, Field(pattern=UUID_PATTERN)]] | None = None
