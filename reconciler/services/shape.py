"""The words the project's own documents are typed in: pydantic models, strict (nothing is
coerced: ``"yes"`` is no boolean), in two kinds.

* ``Closed``: an object of ours (the environment file's envelope, ``reconciler.yaml``): only
  its keys; an unknown key is an error (``loading/model_messages.py`` adds a did-you-mean).
* ``Open``: an object inside a service's config, where the official schema is the authority
  on shape: the keys the tool itself reads are typed, any other passes through.

A rule about which keys go together (a target has exactly one kind; an identity schema has a
url or an inline schema) is a wrap validator of its object that hands its messages to
``with_rules``: pydantic reports them with the object's other problems (type ``RULE``), and
the object's ``json_schema_extra`` says the same rule to editors.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# The error type of a rule's message: its text is the user's message as it is.
RULE = "rule"


class _Typed(BaseModel):
    # Built when first used: a command that imports the services but reads no document (show,
    # a saved plan's apply) does not pay for building their validators.
    model_config = ConfigDict(strict=True, frozen=True, defer_build=True)


def with_rules(broken: list[str], data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The body of an object's wrap validator that checks a rule about its keys: ``data``
    read by ``handler``, its own problems and the ``broken`` rules' messages reported
    together."""
    rules = [
        InitErrorDetails(type=PydanticCustomError(RULE, message), loc=(), input=data)
        for message in broken
    ]
    try:
        result = handler(data)
    except ValidationError as exc:
        if not rules:
            raise
        found = [_init_details(e) for e in exc.errors()]
        raise ValidationError.from_exception_data(exc.title, [*found, *rules]) from None
    if rules:
        raise ValidationError.from_exception_data("rules", rules)
    return result


def _init_details(error: Any) -> InitErrorDetails:
    """An error pydantic reported, as the input to report it again (its type, place, value
    and context)."""
    kind = PydanticCustomError(RULE, error["msg"]) if error["type"] == RULE else error["type"]
    details = InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


def json_schema_of(model: type[BaseModel], ref_template: str) -> dict[str, Any]:
    """``model``'s JSON Schema as our generated schema files hold it: without the title
    pydantic gives every field after its name (the names say it already) and without the
    ``default: null`` of every optional key (a key left out is simply not set)."""
    return _tidied(model.model_json_schema(ref_template=ref_template))  # type: ignore[no-any-return]


def _tidied(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _tidied(child)
            for key, child in value.items()
            if not (key == "title" and isinstance(child, str))
            and not (key == "default" and child is None)
        }
    if isinstance(value, list):
        return [_tidied(child) for child in value]
    return value


class Closed(_Typed):
    """An object of ours: these keys only."""

    model_config = ConfigDict(extra="forbid")


class Open(_Typed):
    """An object inside a service's config: these keys typed, any other passes through."""

    model_config = ConfigDict(extra="allow")
