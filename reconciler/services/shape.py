"""The words the project's own documents are typed in: pydantic models, strict (nothing is
coerced: ``"yes"`` is no boolean), in two kinds.

* ``Closed``: an object of ours (the environment file's envelope, ``reconciler.yaml``): only
  its keys; an unknown key is an error (``loading/model_messages.py`` adds a did-you-mean).
* ``Open``: an object inside a service's config, where the official schema is the authority
  on shape: the keys the tool itself reads are typed, any other passes through.

A rule about which keys go together (a target has exactly one kind; an identity schema has a
url or an inline schema) is a ``rules`` method: it returns the messages, pydantic reports
them with the object's other problems (type ``RULE``), and ``json_schema_extra`` says the same
rule to editors.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# The error type of a rule's message: its text is the user's message as it is.
RULE = "rule"


class _Typed(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)

    #: How editors see the rules (merged into the object's JSON Schema).
    rules_schema: ClassVar[dict[str, Any]] = {}

    @classmethod
    def rules(cls, data: dict[str, Any]) -> list[str]:
        """What is wrong with which keys ``data`` has together (none by default)."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _check_rules(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        broken = [
            InitErrorDetails(type=PydanticCustomError(RULE, message), loc=(), input=data)
            for message in (cls.rules(data) if isinstance(data, dict) else [])
        ]
        try:
            result = handler(data)
        except ValidationError as exc:
            if not broken:
                raise
            # The object's own problems and its rules', reported together.
            found = [_init_details(e) for e in exc.errors()]
            raise ValidationError.from_exception_data(cls.__name__, [*found, *broken]) from None
        if broken:
            raise ValidationError.from_exception_data(cls.__name__, broken)
        return result

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        resolved = handler.resolve_ref_schema(schema)
        resolved.update(cls.rules_schema)
        return schema


def _init_details(error: Any) -> InitErrorDetails:
    """An error pydantic reported, as the input to report it again (its type, place, value
    and context)."""
    kind = PydanticCustomError(RULE, error["msg"]) if error["type"] == RULE else error["type"]
    details = InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


class Closed(_Typed):
    """An object of ours: these keys only."""

    model_config = ConfigDict(extra="forbid")


class Open(_Typed):
    """An object inside a service's config: these keys typed, any other passes through."""

    model_config = ConfigDict(extra="allow")
