"""What the tool reads of the identity config, typed: methods' switches, ``required_aal``,
hooks, identity schemas. Everything else passes through: the official Kratos schema (+ the Ory
Network overlay) is the one authority on its shape, and never stricter than this
(``tests/loading/test_model_schema_agreement.py`` generates documents from the official schema
for each typed subtree and checks this model accepts every one). Unknown keys are reported by
the Kratos schema check (``checks/kratos_schema.py``).

A key typed ``X`` or null may be written empty in YAML (``totp:``); it then means "not set".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from reconciler.services.shape import Open, with_rules

RequiredAal = Literal["aal1", "highest_available"]
AnyMapping = dict[str, Any]

# --- hooks ---------------------------------------------------------------------------------
# Every hook the schema knows (session, verification, b2b_sso, revoke_active_sessions…, and
# whatever a newer schema or the overlay adds) passes as a named hook; which hook is allowed
# where is the Kratos schema's call. Web hooks are typed because lint reads their config.


class WebHookResponse(Open):
    ignore: bool | None = None
    parse: bool | None = None


class WebHookConfig(Open):
    url: str
    method: str
    headers: dict[str, str] | None = None
    body: str | None = None
    auth: AnyMapping | None = None
    response: WebHookResponse | None = None
    can_interrupt: bool | None = None
    emit_analytics_event: bool | None = None
    id: str | None = None


class WebHook(Open):
    """``hook: web_hook``: its config is typed and required."""

    hook: Literal["web_hook"]
    config: WebHookConfig


class NamedHook(Open):
    """Any other hook: an optional mapping of config."""

    hook: Annotated[str, Field(json_schema_extra={"not": {"const": "web_hook"}})]
    config: AnyMapping | None = None


def _hook_kind(value: Any) -> str:
    return "web_hook" if isinstance(value, dict) and value.get("hook") == "web_hook" else "named"


Hook = Annotated[
    Annotated[WebHook, Tag("web_hook")] | Annotated[NamedHook, Tag("named")],
    Discriminator(_hook_kind),
]


# Hook lists sit in every flow and after every method.
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


class Selfservice(Open):
    methods: Methods | None = None
    flows: Flows | None = None


# --- identity schemas and the session ------------------------------------------------------

_NEITHER = "an identity schema needs a url (file://, base64://, https://) or schema"
_BOTH = "give an identity schema either a url or an inline schema, not both"


class SchemaRef(Open):
    """An identity schema: a preset id, a ``url`` (file://, base64://, https://), or inline
    (``schema`` is ours: rendering turns it into a ``base64://`` url)."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "properties": {"url": {"type": "string"}, "schema": {"type": "object"}},
                "required": ["url", "schema"],
            },
            "anyOf": [
                {"properties": {"url": {"type": "string"}}, "required": ["url"]},
                {"properties": {"schema": {"type": "object"}}, "required": ["schema"]},
                {"properties": {"id": {"pattern": "^preset://"}}},
            ],
        }
    )

    id: str
    url: str | None = None
    inline: AnyMapping | None = Field(default=None, alias="schema")
    selfservice_selectable: bool | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _url_or_schema(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        return with_rules(_url_or_schema(data), data, handler)


def _url_or_schema(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []  # the value's type error says it all
    url, inline, name = data.get("url"), data.get("schema"), data.get("id")
    if isinstance(url, str) and isinstance(inline, dict):
        return [_BOTH]
    preset = not isinstance(name, str) or name.startswith("preset://")
    if not isinstance(url, str) and not isinstance(inline, dict) and not preset:
        return [_NEITHER]
    return []


class Identity(Open):
    default_schema_id: str | None = None
    schemas: Annotated[list[SchemaRef], Field(min_length=1)] | None = None


class Whoami(Open):
    required_aal: RequiredAal | None = None


class Session(Open):
    whoami: Whoami | None = None


class IdentityConfig(Open):
    """The identity config as an environment file writes it (``identity_config``)."""

    selfservice: Selfservice | None = None
    session: Session | None = None
    identity: Identity | None = None
