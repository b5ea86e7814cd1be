"""The saved plan's layout (format_version 6) as pydantic models: what ``apply --plan`` and
``show`` accept, and the source of ``docs/plan-format.schema.json``.

``planfile.py`` writes the document (the writer is the truth; ``docs/plan-format.md`` explains
each field); ``planfile_reader.py`` checks its envelope, then reads it through ``checked`` here.
``python -m reconciler.plan.planfile_model [ROOT]`` (``make schemas``) regenerates the schema;
a test fails when the committed file is out of date.

Only ``planfile_reader`` imports this module, and only when it reads a saved plan: ``validate``
and ``plan`` never pay for building these models (cold start, issue 14).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import DEFAULT_REF_TEMPLATE
from pydantic_core import ErrorDetails

from reconciler import DISTRIBUTION
from reconciler.checks.finding import Severity
from reconciler.comparing.trait_diff import ChangeKind
from reconciler.comparing.trait_keywords import Classification
from reconciler.jsontypes import JSONObject, readable_json
from reconciler.services.shape import json_schema_of

SCHEMA_PATH = Path("docs") / "plan-format.schema.json"
# A name, not an address: the tool has no public home to serve it from (README, "Install").
SCHEMA_ID = f"urn:{DISTRIBUTION}:plan-format.schema.json"

# An RFC 6901 pointer: "" or "/"-separated tokens, "~" only as the escapes ~0 and ~1.
_POINTER_PATTERN = r"^(/([^~]|~[01])*)*$"
_SHA256_PATTERN = r"^sha256:[0-9a-f]{64}$"
_HMAC_PATTERN = r"^hmac-sha256:[0-9a-f]{64}$"
_SALT_PATTERN = r"^[0-9a-f]{64}$"
_RELATIVE_PATTERN = r"^[^/]"
_VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_SERVICE_PATTERN = r"^[a-z][a-z0-9_]*$"
# What each pattern means, for error messages.
_PATTERN_MEANING = {
    _POINTER_PATTERN: "a JSON pointer such as /selfservice/methods/totp/enabled",
    _SHA256_PATTERN: "sha256: and 64 hex digits",
    _HMAC_PATTERN: "hmac-sha256: and 64 hex digits",
    _SALT_PATTERN: "64 hex digits",
    _RELATIVE_PATTERN: "a path relative to the repository",
    _VARIABLE_PATTERN: "a variable name",
    _SERVICE_PATTERN: "a service name such as identity",
}
Pointer = Annotated[str, Field(pattern=_POINTER_PATTERN)]
Sha256 = Annotated[str, Field(pattern=_SHA256_PATTERN)]
# Paths in a plan are relative to the repository: a plan never carries the runner's paths.
RelativePath = Annotated[str, Field(pattern=_RELATIVE_PATTERN)]
NonEmpty = Annotated[str, Field(min_length=1)]
# A config service's name (``services/``): ``identity``.
ServiceName = Annotated[str, Field(pattern=_SERVICE_PATTERN)]
Count = Annotated[int, Field(ge=0)]
# Any JSON value, taken as parsed: the bounded reader (limits.loads_json) already parsed it, and
# the integrity digest already covers it; walking it again would only cost time on big plans.
AnyJSON = Annotated[Any, Field(json_schema_extra={"description": "Any JSON value."})]


def _no_repeats(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists a pointer twice")
    return values


class Strict(BaseModel):
    """Every key written is known, every key known is written, nothing is coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Summary(Strict):
    add: Count
    change: Count
    reset: Count
    weakening: Count = Field(description="Changes that weaken security.")
    errors: Count = Field(description="Error findings: apply refuses the plan.")


class DescribedTarget(Strict):
    """A target that cannot say more than the plan header's line."""

    description: NonEmpty


class OryNetworkTarget(Strict):
    description: NonEmpty
    kind: Literal["ory_network"]
    project: str
    name: str
    slug: str
    environment: str
    api_url: str


class KratosFileTarget(Strict):
    description: NonEmpty
    kind: Literal["kratos_file"]
    path: RelativePath


def _target_kind(value: Any) -> str:
    """Which model reads a target: by its ``kind``; none for a target that cannot say."""
    if not isinstance(value, dict) or "kind" not in value:
        return "described"
    return "kratos_file" if value["kind"] == "kratos_file" else "ory_network"


Target = Annotated[
    Annotated[OryNetworkTarget, Tag("ory_network")]
    | Annotated[KratosFileTarget, Tag("kratos_file")]
    | Annotated[DescribedTarget, Tag("described")],
    Discriminator(_target_kind),
]


class WrittenAt(Strict):
    """Where the user wrote a change; the file relative to the repository."""

    file: RelativePath
    line: Annotated[int, Field(ge=1)]
    column: Annotated[int, Field(ge=1)]


class Impact(Strict):
    impact: Literal["weakens", "strengthens", "neutral"]
    reason: str


class TraitChangeEntry(Strict):
    """How an identity schema that replaces another differs for existing identities."""

    trait: NonEmpty = Field(description="The trait's path, e.g. traits.name.first.")
    kind: ChangeKind
    keyword: str | None = Field(
        description="The JSON Schema keyword (kind keyword, required) or the dotted "
        "ory.sh/kratos flag (kind annotation, e.g. recovery.via) that changed."
    )
    old: AnyJSON
    new: AnyJSON
    classification: Classification
    reason: NonEmpty


class ChangeEntry(Strict):
    service: ServiceName = Field(
        description="The config service it changes; pointer is relative to its config."
    )
    pointer: Pointer
    action: Literal["add", "change", "reset"]
    live: AnyJSON
    live_present: bool
    desired: AnyJSON
    note: str
    desired_pointer: Pointer | None = Field(
        description="Where the value sits in the service's desired config when that differs "
        "from pointer (a new identity schema at /identity/schemas/-)."
    )
    label: str = Field(
        description="How views name pointer when its index says nothing (an identity schema "
        "by its live id); empty otherwise."
    )
    source: WrittenAt | None
    impact: Impact
    details: list[str] = Field(description="Lines explaining the change (trait changes).")
    trait_changes: list[TraitChangeEntry] = Field(
        description="For an identity schema replacing another: its trait changes."
    )


class RemoveOperation(Strict):
    op: Literal["remove"]
    path: Pointer


class ValueOperation(Strict):
    op: Literal["add", "replace"]
    path: Pointer
    value: AnyJSON


Operation = Annotated[RemoveOperation | ValueOperation, Field(discriminator="op")]


class SecretEntry(Strict):
    operation: Count
    value_pointer: Pointer
    source: Pointer
    variables: list[Annotated[str, Field(pattern=_VARIABLE_PATTERN)]]
    written_at: str
    fingerprint: Annotated[str, Field(pattern=_HMAC_PATTERN)]


class WriteOnly(Strict):
    """Declared values Ory never returns (or may not return), by service."""

    not_sent: dict[ServiceName, list[Pointer]] = Field(
        description="Not compared, and not sent by this plan."
    )
    sent: dict[ServiceName, list[Pointer]] = Field(
        description="Sent by this plan's operations (derived from the changes; checked)."
    )


class NoteEntry(Strict):
    rule_id: NonEmpty
    severity: Severity
    message: str
    where: str
    fix: str
    acknowledged: str = Field(
        description="The reason given under lint: disable; non-empty: reported, never blocks."
    )


class IdentityCountsEntry(Strict):
    """How many of the project's identities the plan touches (docs/identity-counts.md):
    integers only, by schema id, credential type or check label."""

    read: Count
    complete: bool = Field(description="False: the first `read` identities of more (a sample).")
    per_schema: dict[str, Count]
    per_credential: dict[str, Count]
    code_second_factor: Count = Field(description="Identities with a one-time-code address.")
    code_only: Count = Field(description="Of those, identities with no other second factor.")
    failing: dict[str, Count] = Field(description="By check: identities failing its schema.")
    checked: dict[str, Count] = Field(description="By check: identities checked against it.")
    reasons: dict[str, dict[str, Count]] = Field(
        description="By check, then reason (a trait and keyword, `email maxLength`): "
        "identities failing it for that reason."
    )
    pages: Count = Field(description="Requests it took (pages of GET /admin/identities).")


class PlanFile(Strict):
    """A saved plan, format_version 6."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "What `reconciler plan ENV --out FILE` writes, `--format json` "
            "prints and `reconciler apply --plan FILE` reads. See docs/plan-format.md."
        },
    )

    format_version: Literal[6]
    generator: Annotated[str, Field(pattern=r"^reconciler ")]
    environment: NonEmpty
    target: Target
    revision: NonEmpty
    desired_digest: Sha256
    summary: Summary
    changes: list[ChangeEntry]
    operations: list[Operation]
    operations_digest: Sha256 = Field(
        description="SHA-256 of the operations with secrets by reference (no secret value)."
    )
    secrets: list[SecretEntry]
    salt: Annotated[str, Field(pattern=_SALT_PATTERN)]
    rotate_secrets: bool = Field(description="Made with --rotate-secrets.")
    sensitive: dict[
        ServiceName,
        Annotated[
            list[Pointer],
            AfterValidator(_no_repeats),
            Field(json_schema_extra={"uniqueItems": True}),
        ],
    ] = Field(description="By service: the pointers the environment marks secret.")
    file_refs: Annotated[
        dict[ServiceName, dict[Pointer, Annotated[str, Field(pattern=r"^file://")]]],
        WithJsonSchema(
            {
                "type": "object",
                "propertyNames": {"pattern": _SERVICE_PATTERN},
                "additionalProperties": {
                    "type": "object",
                    "propertyNames": {"pattern": _POINTER_PATTERN},
                    "additionalProperties": {"type": "string", "pattern": "^file://"},
                },
                "description": "By service: pointer -> the file:// reference a value was "
                "read from.",
            }
        ),
    ]
    write_only: WriteOnly
    warnings: list[str]
    notes: list[NoteEntry]
    identity_counts: IdentityCountsEntry | None = Field(
        description="Identity counts read with a project API key; null when not counted."
    )
    signature: Annotated[str, Field(pattern=_HMAC_PATTERN)] | None = Field(
        description="HMAC-SHA256 keyed with RECONCILER_PLAN_KEY; null when no key was set."
    )
    integrity: Sha256

    @model_validator(mode="after")
    def _operations_match(self) -> PlanFile:
        if len(self.operations) != len(self.changes):
            raise ValueError("changes and operations differ in number (one operation per change)")
        for secret in self.secrets:
            if secret.operation >= len(self.operations):
                raise ValueError(f"a secret names operation {secret.operation}, which is absent")
        return self


class LayoutError(ValueError):
    """The document is not a saved plan's layout; the message names the field."""


def checked(body: JSONObject) -> PlanFile:
    """``body`` read as a saved plan; LayoutError naming the first field that is wrong."""
    try:
        return PlanFile.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LayoutError(_describe(errors[0]) + more) from None


def _describe(error: ErrorDetails) -> str:
    where = _field_path(error["loc"])
    pattern = error.get("ctx", {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and pattern in _PATTERN_MEANING:
        message = f"should be {_PATTERN_MEANING[pattern]}"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


# The tags pydantic puts into an error's location after a union (``operations[0].remove``).
_TAGS = frozenset({"ory_network", "kratos_file", "described", "remove", "add", "replace"})


def _field_path(loc: tuple[int | str, ...]) -> str:
    """``changes[3].action`` for ``("changes", 3, "action")``, without the union tags."""
    text = ""
    for previous, part in zip((None, *loc), loc, strict=False):
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _TAGS and (isinstance(previous, int) or previous == "target"):
            continue
        else:
            text += f".{part}" if text else part
    return text


# --- the JSON Schema -----------------------------------------------------------------------


def plan_schema() -> JSONObject:
    """The saved plan's JSON Schema (draft 2020-12), from the models."""
    generated: JSONObject = json_schema_of(PlanFile, DEFAULT_REF_TEMPLATE)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **generated,
        "title": "reconciler saved plan, format_version 6",
    }


def plan_schema_text() -> str:
    return readable_json(plan_schema())


def main(argv: list[str] | None = None) -> int:
    """Write the schema under the repository root given as the only argument (default ``.``)."""
    arguments = sys.argv[1:] if argv is None else argv
    root = Path(arguments[0]) if arguments else Path()
    (root / SCHEMA_PATH).write_text(plan_schema_text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
