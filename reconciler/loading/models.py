"""The shape of an environment file and of ``reconciler.yaml``: pydantic models, the one
definition ``validate`` checks against and ``make schemas`` writes for editors
(``editor_schema.py``), and the typed view of a file that passed.

Two kinds of object (``services/shape.py``). Our envelope (``target``, ``lint``, ``secrets``,
``protect``, ``remove``…) is closed: nobody but us defines it, so an unknown key is an error
with a did-you-mean. Each service's config (``identity_config``…) is typed by the service's
own declaration (``services/``: ``Service.shape``, open), one key per registered service; the
official schema is the authority on the rest of it (``checks/kratos_schema.py``).

A key typed ``X`` or null may be written empty in YAML (``target:``); it then means "not set".
Messages are ``model_messages.py``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    create_model,
    model_validator,
)

from reconciler.limits import CEILINGS
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.services.shape import Closed, with_rules

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
POINTER_PATTERN = r"^(/[^/]*)+$"
# The workspace key travels to this URL: https, or plain http on loopback only
# (reconciler/targets/endpoints.py applies the full rule: host, allow-list).
API_URL_PATTERN = r"^(https://|http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$))"
# What each pattern means, for error messages.
PATTERN_MEANING = {
    UUID_PATTERN: "a project id (a UUID such as 6f0cae50-182d-8f7a-afdd-f83f3fa1f30c)",
    POINTER_PATTERN: "a JSON pointer such as /selfservice/methods/link/config/base_url",
    API_URL_PATTERN: "an https:// URL (http:// only on 127.0.0.1, [::1] or localhost)",
}

ProjectId = Annotated[str, Field(pattern=UUID_PATTERN)]
Pointer = Annotated[str, Field(pattern=POINTER_PATTERN)]
NonEmpty = Annotated[str, Field(min_length=1)]
Positive = Annotated[int, Field(ge=1)]

# --- the target ----------------------------------------------------------------------------


class OryNetworkSettings(Closed):
    project: ProjectId
    api_url: Annotated[str, Field(pattern=API_URL_PATTERN)] | None = None
    # ``${ORY_PROJECT_API_KEY…}``: the variable holding this project's API key, for counting
    # its identities (usecases/identity_impact.py); only such a name (validate.py).
    project_api_key: NonEmpty | None = None


class KratosFileSettings(Closed):
    path: NonEmpty


class Target(Closed):
    """The target an environment names: exactly one kind (``targets/kinds.py``), each field
    one kind's settings."""

    ory_network: OryNetworkSettings | None = None
    kratos_file: KratosFileSettings | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {kind: {"type": "object"}}, "required": [kind]}
                for kind in ("ory_network", "kratos_file")
            ]
        }
    )

    @model_validator(mode="wrap")
    @classmethod
    def _exactly_one_kind(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        named = [
            kind
            for kind in cls.model_fields
            if isinstance(data, dict) and isinstance(data.get(kind), dict)
        ]
        broken = (
            []
            if not isinstance(data, dict) or len(named) == 1
            else [f"a target needs exactly one of {' or '.join(cls.model_fields)}"]
        )
        return with_rules(broken, data, handler)

    @property
    def kind(self) -> str:
        return next(kind for kind in type(self).model_fields if getattr(self, kind) is not None)

    @property
    def settings(self) -> Mapping[str, Any]:
        """Its settings as written (the kind's module reads them when it opens the target)."""
        chosen: BaseModel = getattr(self, self.kind)
        return MappingProxyType(chosen.model_dump(exclude_none=True))


# --- the environment file ------------------------------------------------------------------


class LintSettings(Closed):
    # rule id -> why it is disabled; a reason is required (an empty one is refused).
    disable: dict[str, NonEmpty] = Field(default_factory=dict)


class Envelope(Closed):
    """An environment file without its services' configs (``environment_model`` adds one key
    per service). ``extends`` is consumed by the loader before the model sees the document."""

    target: Target | None = None
    lint: LintSettings = Field(default_factory=LintSettings)
    # Extra pointers whose values are write-only secrets: relative to identity_config, or
    # /<service key>/... for another service's config (registry.owner_of); so are the next.
    secrets: list[Pointer] = Field(default_factory=list)
    # Production: apply needs --yes and --env-confirm NAME; --allow-weaken the second.
    protect: bool = False
    protect_allow_weaken: bool = False
    # Pointers to take back to the server default.
    remove: list[Pointer] = Field(default_factory=list)
    # Write-only value (its pointer) -> a version to bump when it must be sent again (Ory
    # never returns it, so a change cannot be seen): usecases/rotations.py.
    rotate: dict[Pointer, Positive] = Field(default_factory=dict)


@functools.cache
def _environment_model(services: tuple[Service, ...]) -> type[Envelope]:
    fields: dict[str, Any] = {
        service.key: (service.shape or dict[str, Any], None) for service in services
    }
    return create_model("Environment", __base__=Envelope, **fields)


def environment_model() -> type[Envelope]:
    """The environment file's model: the envelope and one key per registered service."""
    return _environment_model(registry.services())


# --- reconciler.yaml -----------------------------------------------------------------------


def _at_most(name: str) -> Any:
    return Field(default=None, ge=1, le=CEILINGS[name])


class InputLimits(Closed):
    """``limits:`` in ``reconciler.yaml``: how much input one environment may be, lower than
    the defaults, never higher (a pull request may edit this file; ``limits.CEILINGS``)."""

    max_file_bytes: int | None = _at_most("max_file_bytes")
    max_nodes: int | None = _at_most("max_nodes")
    max_depth: int | None = _at_most("max_depth")
    max_aliases: int | None = _at_most("max_aliases")
    max_plan_bytes: int | None = _at_most("max_plan_bytes")

    def chosen(self) -> dict[str, int]:
        """The bounds the file sets."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


class RepositorySettings(Closed):
    """``reconciler.yaml`` at the repository root: rules for every environment."""

    limits: InputLimits = Field(default_factory=InputLimits)
    # When set, any target project outside this list is refused (plan and apply).
    allowed_project_ids: list[ProjectId] | None = None
