"""The shape of an environment file, as pydantic models.

Two kinds of model. Our envelope (``target``, ``lint``, ``secrets``, ``protect``, ``remove``…)
is ``Strict``: nobody but us defines it. Inside ``identity_config`` the official Kratos schema
(+ the Ory Network overlay) is the one authority on shape: the models there are ``Open`` and
type only what the tool itself interprets (methods' switches, ``required_aal``, hooks, identity
schemas), never stricter than that schema. Unknown keys there are reported by the schema check,
with a did-you-mean from the schema's own ``properties`` (``kratos_schema.py``).
``tests/test_model_schema_agreement.py`` generates documents from the official schema for each
typed subtree and checks these models accept every one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

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
# Every hook the schema knows (session, verification, b2b_sso, revoke_active_sessions…, and
# whatever a newer schema or the overlay adds) passes as a ``NamedHook``; which hook is allowed
# where is the schema's call. Web hooks are typed because lint reads their config.


class WebHookResponse(Open):
    ignore: bool | None = None
    parse: bool | None = None


class WebHookConfig(Open):
    url: str
    method: str
    headers: dict[str, str] | None = None
    body: str | None = None
    auth: dict[str, Any] | None = None
    response: WebHookResponse | None = None
    can_interrupt: bool | None = None
    emit_analytics_event: bool | None = None
    id: str | None = None


class WebHook(Open):
    hook: Literal["web_hook"]
    config: WebHookConfig


class NamedHook(Open):
    # For editors: web hooks are the other branch (the callable discriminator decides here).
    hook: Annotated[str, Field(json_schema_extra={"not": {"const": "web_hook"}})]
    config: dict[str, Any] | None = None


WEB_HOOK_TAG, NAMED_HOOK_TAG = "web_hook", "named_hook"
# Tags pydantic puts into error locations; validate.py skips them when locating an error.
HOOK_TAGS = frozenset({WEB_HOOK_TAG, NAMED_HOOK_TAG})


def _hook_kind(value: Any) -> str:
    is_web_hook = isinstance(value, dict) and value.get("hook") == "web_hook"
    return WEB_HOOK_TAG if is_web_hook else NAMED_HOOK_TAG


Hook = Annotated[
    Annotated[WebHook, Tag(WEB_HOOK_TAG)] | Annotated[NamedHook, Tag(NAMED_HOOK_TAG)],
    Discriminator(_hook_kind),
]


class HookList(Open):
    hooks: list[Hook] | None = None


class MethodAfter(HookList):
    default_browser_return_url: str | None = None


class After(MethodAfter):
    """``after.hooks``, ``after.default_browser_return_url`` and the per-method blocks."""

    password: MethodAfter | None = None
    webauthn: MethodAfter | None = None
    passkey: MethodAfter | None = None
    oidc: MethodAfter | None = None
    code: MethodAfter | None = None
    totp: MethodAfter | None = None
    lookup_secret: MethodAfter | None = None
    profile: MethodAfter | None = None


class Flow(Open):
    before: HookList | None = None
    after: After | None = None


class SettingsFlow(Flow):
    required_aal: RequiredAal | None = None


class Flows(Open):
    settings: SettingsFlow | None = None
    logout: Flow | None = None
    registration: Flow | None = None
    login: Flow | None = None
    verification: Flow | None = None
    recovery: Flow | None = None


# --- methods -------------------------------------------------------------------------------


class Method(Open):
    enabled: bool | None = None


class CodeMethod(Method):
    passwordless_enabled: bool | None = None
    mfa_enabled: bool | None = None


class Methods(Open):
    password: Method | None = None
    code: CodeMethod | None = None
    totp: Method | None = None
    lookup_secret: Method | None = None
    webauthn: Method | None = None
    passkey: Method | None = None
    link: Method | None = None
    oidc: Method | None = None
    profile: Method | None = None


# --- identity config -----------------------------------------------------------------------


class SchemaRef(Open):
    """An identity schema: a preset id, a ``url`` (file://, base64://, https://), or inline.

    ``schema`` (inline) is ours: rendering turns it into a ``base64://`` url.
    """

    id: str
    url: str | None = None
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
