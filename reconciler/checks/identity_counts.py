"""How many of a project's identities a plan touches: counts, never traits.

Identities come from the project API (``targets/project_api.py``) one page at a time; each is
looked at once and dropped. Its traits are read to tell whether it has a one-time-code
address and whether they satisfy a new schema, in memory: nothing but integers (and schema
ids and credential type names, which are the project's configuration, not personal data)
leaves this module (docs/identity-counts.md, "Personal data").

What counts (Ory OpenAPI spec v1.22.65, schema ``identity``): ``schema_id``; ``credentials``,
an object by credential type (``password``, ``totp``, ``webauthn``, ``passkey``,
``lookup_secret``, ``code``, ``oidc``…), each with ``identifiers``. ``GET /admin/identities``
lists credentials without their ``config`` (Kratos ``identity/handler.go`` ``list``:
``WithCredentialsMetadataAndAdminMetadataInJSON``), which is all a count needs.

Imports no schema library: a trait check is handed in (``kratos_schema.traits_check``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.jsontypes import JSONObject, JSONValue

if TYPE_CHECKING:
    from reconciler.comparing.trait_diff import TraitChange

# Second factors besides the one-time code (ory-api.md §1d: totp, webauthn without
# passwordless, lookup secrets). A WebAuthn credential counts whatever its kind: the list
# does not say whether a key is passwordless, so "no other second factor" may undercount.
OTHER_SECOND_FACTORS = ("totp", "webauthn", "lookup_secret")
CODE = "code"


@dataclass(frozen=True)
class TraitCheck:
    """Identities of ``schema_ids`` checked against a schema: ``label`` names it in the
    plan (``customer -> customer-v2``), ``reasons`` says why traits fail it (empty: they
    pass; each reason a trait and keyword, ``email maxLength``, never a value)."""

    label: str
    schema_ids: frozenset[str]
    reasons: Callable[[JSONValue], frozenset[str]]


@dataclass(frozen=True)
class CodeAddresses:
    """Where identities of each schema (by every id Ory may store it under) have a
    one-time-code address: the traits marked ``credentials.code.identifier``."""

    traits_by_schema: Mapping[str, tuple[str, ...]]  # schema id -> dotted trait names

    def has_address(self, identity: JSONObject) -> bool:
        names = self.traits_by_schema.get(str(identity.get("schema_id", "")), ())
        traits = identity.get("traits")
        if any(_present(traits, name) for name in names):
            return True
        code = _credentials(identity).get(CODE)
        return isinstance(code, dict) and bool(code.get("identifiers"))


@dataclass(frozen=True)
class IdentityCounts:
    """What a plan and ``reconciler identities`` say about a project's identities. Integers
    by schema id, credential type or check label; nothing of any identity."""

    read: int
    # Every identity was read; False: the first ``read`` of more (``--identity-sample``).
    complete: bool
    per_schema: Mapping[str, int] = field(default_factory=dict)
    per_credential: Mapping[str, int] = field(default_factory=dict)
    # With a one-time-code address (the code second factor once ``code.mfa_enabled``)…
    code_second_factor: int = 0
    # …and of those, with no TOTP, WebAuthn or lookup secrets besides.
    code_only: int = 0
    # By check label: identities whose traits fail that schema.
    failing: Mapping[str, int] = field(default_factory=dict)
    # By check label: identities checked against it.
    checked: Mapping[str, int] = field(default_factory=dict)
    # By check label, then reason (``email maxLength``): identities failing it for that reason.
    reasons: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Requests it took: one per page (``GET /admin/identities``, up to 500 a page).
    pages: int = 0

    def to_json(self) -> JSONObject:
        return {
            "read": self.read,
            "complete": self.complete,
            "per_schema": dict(self.per_schema),
            "per_credential": dict(self.per_credential),
            "code_second_factor": self.code_second_factor,
            "code_only": self.code_only,
            "failing": dict(self.failing),
            "checked": dict(self.checked),
            "reasons": {label: dict(found) for label, found in self.reasons.items()},
            "pages": self.pages,
        }

    def scope(self) -> str:
        """``12 identities read`` or ``1,000 identities read (a sample: more exist)``."""
        noun = "identity" if self.read == 1 else "identities"
        sample = "" if self.complete else " (a sample: the project holds more)"
        return f"{self.read:,} {noun} read{sample}"


@dataclass(frozen=True)
class SwitchCounts:
    """The counts as the migration plan asks for them (``plan/migration.IdentityCounts``):
    ``None`` where they are not known, and from a sample never (it would read as a total)."""

    counts: IdentityCounts

    def with_schema(self, schema_id: str) -> int | None:
        return self.counts.per_schema.get(schema_id, 0) if self.counts.complete else None

    def failing(self, schema_id: str, target_id: str, change: TraitChange) -> int | None:
        """Identities of ``schema_id`` whose traits fail ``change`` in ``target_id``'s schema:
        the check of that switch, by the reason that names the change's trait and keyword."""
        label = self._label(schema_id, target_id)
        keyword = "required" if change.kind in ("added", "now_required") else change.keyword
        if label is None or keyword is None or change.kind == "annotation":
            return None
        trait = change.trait.removeprefix("traits.")
        return self.counts.reasons.get(label, {}).get(f"{trait} {keyword}", 0)

    def _label(self, schema_id: str, target_id: str) -> str | None:
        label = switch_label(schema_id, target_id)
        return label if self.counts.complete and label in self.counts.checked else None


def switch_label(schema_id: str, target_id: str) -> str:
    """How a trait check is named: identities of ``schema_id`` judged by ``target_id``'s
    schema (the new default), or by ``schema_id``'s own new content."""
    if schema_id == target_id:
        return f"{schema_id} (its new content)"
    return f"{schema_id} -> {target_id} (the new default)"


def count(
    identities: Iterable[JSONObject],
    *,
    code: CodeAddresses | None = None,
    checks: Sequence[TraitCheck] = (),
    complete: bool = True,
) -> IdentityCounts:
    """Count ``identities`` (each seen once, then dropped). ``complete``: whether they are
    all the project holds (the reader says)."""
    per_schema: Counter[str] = Counter()
    per_credential: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    read = code_second = code_only = 0
    for identity in identities:
        read += 1
        schema_id = str(identity.get("schema_id", ""))
        per_schema[schema_id] += 1
        held = _credential_types(identity)
        per_credential.update(held)
        if code is not None and code.has_address(identity):
            code_second += 1
            code_only += not any(kind in held for kind in OTHER_SECOND_FACTORS)
        for check in checks:
            if schema_id in check.schema_ids:
                checked[check.label] += 1
                found = check.reasons(identity.get("traits"))
                failing[check.label] += bool(found)
                reasons.setdefault(check.label, Counter()).update(found)
    return IdentityCounts(
        read=read,
        complete=complete,
        per_schema=dict(sorted(per_schema.items())),
        per_credential=dict(sorted(per_credential.items())),
        code_second_factor=code_second,
        code_only=code_only,
        failing={label: failing[label] for label in checked},
        checked=dict(checked),
        reasons={label: dict(sorted(found.items())) for label, found in reasons.items()},
    )


def _credentials(identity: JSONObject) -> JSONObject:
    found = identity.get("credentials")
    return found if isinstance(found, dict) else {}


def _credential_types(identity: JSONObject) -> set[str]:
    """The credential types an identity holds (an entry with identifiers or a config)."""
    return {
        kind
        for kind, entry in _credentials(identity).items()
        if isinstance(entry, dict) and (entry.get("identifiers") or entry.get("config"))
    }


def _present(traits: JSONValue, dotted: str) -> bool:
    node = traits
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return node not in (None, "", [])
