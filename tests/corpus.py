"""The corpus of real Ory configs (``tests/fixtures/corpus``): identity configs, and OAuth2 and
permission configs (``Entry.service``); the manifest, and each config built the way its own
deployment builds it.

Every file is a verbatim copy of a file in a public repository; ``corpus.yaml`` names its
repository, path, commit and git blob id (checked by ``tests/usecases/test_corpus.py``), and
``SOURCES.md`` is rendered from it by :func:`render_sources`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.jsontypes import JSONObject, remove_at
from reconciler.loading.yamlio import load_with_positions
from reconciler.services import registry

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
MANIFEST = CORPUS / "corpus.yaml"
SOURCES = CORPUS / "SOURCES.md"

#: Kinds whose config is one self-hosted Kratos file with its comments (the ``kratos_file``
#: step edits a copy of it). E2e profiles are two layers merged by a script, Helm values wrap
#: the config, and the Ory CLI fixtures are Ory Network documents.
KRATOS_FILE_KINDS = frozenset({"quickstart", "self-hosted"})

#: Kinds whose config is an Ory Network document (``GET /projects/{id}``, ``ory get
#: identity-config``): the Ory CLI's project fixtures, and exports users committed or shared.
NETWORK_KINDS = frozenset({"ory-cli", "ory-network"})

#: What a value its author redacted stands in as, by the key that holds it: a value of the
#: shape Ory Network holds there (a host, a URL, a list of URLs, an SMTP URI, an address),
#: so that the document is the config of a project again. Any other key: a plain name.
REDACTED_STAND_INS: dict[str, Any] = {
    "domain": "auth.example.com",
    "id": "auth.example.com",  # webauthn/passkey rp.id, the only redacted `id`
    "origins": "https://auth.example.com",  # an entry of rp.origins
    "base_url": "https://auth.example.com/",
    "ui_url": "https://app.example.com/ui",
    "default_browser_return_url": "https://app.example.com/",
    "allowed_return_urls": ["https://app.example.com/"],
    "connection_uri": "smtps://stand-in:stand-in-password@smtp.example.com:465/",
    "from_address": "no-reply@example.com",
    "name": "ory_session_standin",  # session.cookie.name
}
REDACTED_NAME = "Stand-in"

#: Top-level keys an Ory Network project holds; the rest are Kratos deployment settings that
#: Ory Network does not take and that a self-hosted config would carry into the seeded
#: project. Sources: the keys of a real ``GET /projects/{id}`` identity config (ory/cli
#: ``cmd/cloudx/project/fixtures/update/json/config.json``: cookies, courier, feature_flags,
#: identity, oauth2_provider, organizations, selfservice, serve, session) plus the keys with a
#: ``normalizedProjectRevision`` column in the Ory API spec (``kratos_security_*``,
#: ``kratos_preview_*``); shared/docs/ory-network-behaviour.md §3. Left out: ``serve``
#: (server-managed and the project's own, ory-api.md §1a item 5), ``dsn`` and the operational
#: keys ``log``/``tracing`` ("ignored", ory-network-behaviour.md §3, ory-api.md "PUT vs
#: PATCH"), ``secrets`` (write-only: no ``secrets`` key in the real GET document,
#: ory-network-behaviour.md §2), and the process settings ``database``, ``hashers``,
#: ``ciphers``, ``clients`` (of it, Ory Network documents hold only the ``web_hook`` header
#: allowlist Ory sets; a self-hosted file's HTTP client settings are the process's), ``dev``,
#: ``sqa-opt-out``, ``watch-courier``, ``expose-metrics-port``, ``config``, ``help``, ``version``.
NETWORK_KEYS = frozenset(
    {
        "cookies",
        "courier",
        "feature_flags",
        "identity",
        "oauth2_provider",
        "organizations",
        "selfservice",
        "session",
        "security",
        "preview",
    }
)

_HELM_VALUE = re.compile(r"\{\{\s*\$?\.Values\.([A-Za-z0-9_.]+)\s*\}\}")
_ENV_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Record:
    """One copied file: where it is here and where it came from."""

    file: str
    source: str
    commit: str  # 40 hex digits; ``none`` for a document from no repository (``Entry.origin``)
    blob: str
    extract: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return CORPUS / self.file


@dataclass(frozen=True)
class Expectation:
    """The one step a config is known to fail, and why (``expect`` in corpus.yaml; listed in
    docs/compatibility.md). ``match``: text the failure's first line holds."""

    step: str
    match: str
    reason: str


@dataclass(frozen=True)
class Entry:
    """One config of the corpus."""

    name: str
    kind: str
    repo: str
    licence: str
    layers: tuple[Record, ...]
    refs: dict[str, Record]
    note: str = ""
    merge: str | None = None
    envsubst: bool = False
    helm_tpl: bool = False
    origin: str = ""  # where a document from no repository comes from
    redacted: str = ""  # the marker its author replaced values with
    identity_from: str = ""  # the entry whose `identity` stands in for a redacted one
    expect: Expectation | None = None
    # The config service the document is (``reconciler/services``): the identity config's
    # unless it says (an OAuth2 config is Hydra's, a permission config Keto's).
    service: str = "identity"

    @property
    def kratos_file(self) -> bool:
        """Its config is one self-hosted Kratos file (the ``kratos_file`` steps apply)."""
        return self.kind in KRATOS_FILE_KINDS and self.service == "identity"

    @property
    def records(self) -> list[Record]:
        return [*self.layers, *self.refs.values()]


def _record(raw: dict[str, Any]) -> Record:
    return Record(
        file=raw["file"],
        source=raw["source"],
        commit=raw["commit"],
        blob=raw["blob"],
        extract=tuple(raw.get("extract", ())),
    )


@cache
def _manifest() -> dict[str, Any]:
    data = load_with_positions(MANIFEST.read_text(encoding="utf-8")).data
    assert isinstance(data, dict) and isinstance(data["entries"], list)
    return data


@cache
def entries() -> tuple[Entry, ...]:
    """Every entry of ``corpus.yaml``, in file order."""
    return tuple(
        Entry(
            name=raw["name"],
            kind=raw["kind"],
            repo=raw["repo"],
            licence=raw["licence"],
            layers=tuple(_record(layer) for layer in raw["layers"]),
            refs={url: _record(ref) for url, ref in (raw.get("refs") or {}).items()},
            note=raw.get("note", ""),
            merge=raw.get("merge"),
            envsubst=bool(raw.get("envsubst", False)),
            helm_tpl=bool(raw.get("helm_tpl", False)),
            origin=raw.get("origin", ""),
            redacted=raw.get("redacted", ""),
            identity_from=raw.get("identity_from", ""),
            expect=Expectation(**raw["expect"]) if raw.get("expect") else None,
            service=raw.get("service", "identity"),
        )
        for raw in _manifest()["entries"]
    )


def git_blob_id(data: bytes) -> str:
    """The id git gives a file's content (``git hash-object``): proves a copy is verbatim."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _document(record: Record) -> Any:
    return copy.deepcopy(_parsed(record.path))


@cache
def _parsed(path: Path) -> Any:
    """A corpus file's data, parsed once per process (e2e profiles share one base layer)."""
    return load_with_positions(path.read_text(encoding="utf-8")).data


def _extracted(record: Record) -> Any:
    value = _document(record)
    for key in record.extract:
        value = value[key]
    return value


def content(record: Record) -> bytes:
    """The bytes a deployment reads for ``record``: the file, or the string at its key path
    (a Helm chart writes each ``identitySchemas`` value to a file of that name)."""
    if not record.extract:
        return record.path.read_bytes()
    value = _extracted(record)
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _yq_merge(base: Any, layer: Any) -> Any:
    """``yq '. * $item'``: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(layer, dict):
        merged = dict(base)
        for key, value in layer.items():
            merged[key] = _yq_merge(base[key], value) if key in base else value
        return merged
    return layer


def _map_strings(node: Any, change: Any) -> Any:
    if isinstance(node, dict):
        return {key: _map_strings(value, change) for key, value in node.items()}
    if isinstance(node, list):
        return [_map_strings(value, change) for value in node]
    return change(node) if isinstance(node, str) else node


def _helm_tpl(config: Any, values: Any) -> Any:
    """What the chart's ``tpl`` does to the only template form in the corpus,
    ``{{ .Values.a.b }}`` (helm/charts/kratos/templates/_helpers.tpl:128)."""

    def lookup(match: re.Match[str]) -> str:
        value = values
        for key in match.group(1).split("."):
            value = value[key]
        return str(value)

    return _map_strings(config, lambda text: _HELM_VALUE.sub(lookup, text))


def stand_in(variable: str) -> str:
    """The value this suite gives an environment variable a config reads."""
    return f"stand-in-{variable.lower().replace('_', '-')}"


def config_of(entry: Entry) -> JSONObject:
    """The Kratos config the entry's deployment runs with (before any Ory Network rule)."""
    config: Any = {}
    for layer in entry.layers:
        config = _yq_merge(config, _extracted(layer))
    if entry.helm_tpl:
        config = _helm_tpl(config, _document(entry.layers[0]))
    if entry.envsubst:  # test/e2e/run.sh:302 pipes the merged file through envsubst
        config = _map_strings(
            config, lambda text: _ENV_VARIABLE.sub(lambda m: stand_in(m.group(1)), text)
        )
    if entry.redacted:
        config = _unredacted(config, entry)
    assert isinstance(config, dict)
    return config


def _unredacted(config: Any, entry: Entry) -> Any:
    """``config`` with every value its author redacted replaced by its stand-in
    (:data:`REDACTED_STAND_INS`), and ``identity`` taken from ``entry.identity_from``."""

    def replace(node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {k: replace(value, k) for k, value in node.items()}
        if isinstance(node, list):
            return [replace(value, key) for value in node]
        if node == entry.redacted:
            return copy.deepcopy(REDACTED_STAND_INS.get(key, REDACTED_NAME))
        return node

    unredacted = replace(config, "")
    if entry.identity_from:
        source = next(e for e in entries() if e.name == entry.identity_from)
        unredacted["identity"] = config_of(source)["identity"]
    return unredacted


def _inline_files(node: Any, refs: dict[str, Record]) -> Any:
    """``file://`` values become ``base64://`` + standard padded base64 of the file, as the Ory
    CLI does before it sends a config (ory-network-behaviour.md §4, ory/x jsonx/embed.go)."""

    def inline(text: str) -> str:
        record = refs.get(text)
        if record is None:
            return text
        return "base64://" + base64.b64encode(content(record)).decode()

    return _map_strings(node, inline)


def network_seed(entry: Entry) -> JSONObject:
    """The entry's config as Ory Network would hold it: only :data:`NETWORK_KEYS` (another
    service's: without the keys its declaration says Ory Network sets itself), files inlined.
    Configs from Ory Network itself are taken whole."""
    config = copy.deepcopy(config_of(entry))
    if entry.kind not in NETWORK_KINDS and entry.service != "identity":
        declared = registry.named(entry.service).judging["ory_network"]
        for pointer in declared.server_managed:
            remove_at(config, pointer)
    elif entry.kind not in NETWORK_KINDS:
        config = {key: value for key, value in config.items() if key in NETWORK_KEYS}
    seeded = _inline_files(config, entry.refs)
    assert isinstance(seeded, dict)
    return seeded


def render_sources() -> str:
    """``SOURCES.md``: every copied file with its origin."""
    lines = [
        "# Corpus of real Ory configs — provenance",
        "",
        "Written from `corpus.yaml` by `python -m bench.corpus --sources`; do not edit by hand.",
        "Every file is a byte-for-byte copy of a file in a public GitHub repository (its git",
        "blob id is checked by `tests/usecases/test_corpus.py`); nothing was edited.",
        "A `key path` (a JSON pointer) names the part of a file that is the config or an",
        "identity schema.",
        "Ory Network documents (`GET /projects/{id}` as the Ory CLI prints it) are of kind",
        "`ory-cli` (the CLI's project fixtures) and `ory-network` (exports users committed, found",
        "by `projects.oryapis.com` and `preset://` values, and the support-case document of",
        "this tool's first user, whose origin is given instead of a repository).",
        "",
        "The documents of another config service than the identity config say which: the OAuth2",
        "config is Hydra's, the permission config Keto's (`ory get oauth2-config`,",
        "`ory get permission-config`).",
        "",
        "| config | kind | repository | licence | file here | source path | key path |"
        " commit | blob |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries():
        for record in entry.records:
            key_path = "".join(f"/{key}" for key in record.extract) or "—"
            kind = entry.kind if entry.service == "identity" else f"{entry.kind} ({entry.service})"
            lines.append(
                f"| {entry.name} | {kind} | {entry.repo} | {entry.licence} "
                f"| `{record.file}` | `{record.source}` | {key_path} | `{record.commit}` "
                f"| `{record.blob[:12]}` |"
            )
    lines += ["", "## How each config is built", ""]
    lines += [f"- **{entry.name}**: {entry.note}" for entry in entries() if entry.note]
    lines += ["", "## Documents from no repository", ""]
    lines += [f"- **{entry.name}**: {entry.origin}" for entry in entries() if entry.origin]
    lines += ["", "## Looked at and left out", ""]
    lines += [
        f"- {item['repo']} `{item['source']}` @ `{item['commit']}`: {item['reason']}"
        for item in _manifest().get("skipped", [])
    ]
    return "\n".join(lines) + "\n"
