"""Turn a valid environment into the config of each service to send (the desired state).

Identity schemas are rendered to what Ory Network accepts: a preset keeps its id, and every
custom schema is sent as ``base64://``. JSON (a ``file://`` or ``base64://`` schema) goes as the
bytes written, as the Ory CLI sends a file: Ory names what it stores after the SHA-512 of the
bytes it received (ory-network-behaviour.md §4), so live and the file agree by name alone.
What has no JSON bytes (a YAML file, an inline ``schema:`` mapping) goes as canonical JSON
(sorted keys, no spaces). Live schemas match by either digest (``schema_match.py``), so the
same schema plans the same however it is written. For a self-hosted Kratos file, values read
from files can instead stay ``file://`` references the Kratos process reads itself.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import blobs
from reconciler.jsontypes import JSONObject, canonical_bytes, copy_json, get_at, set_at
from reconciler.limits import loads_json
from reconciler.loading import yamlio
from reconciler.loading.validate import ValidEnvironment
from reconciler.repository import file_refs
from reconciler.services.declaration import Service

PRESET_PREFIX = "preset://"


@dataclass(frozen=True)
class Rendered:
    """The desired config of each service the environment plans (by service name), plus
    what it means for content referenced by URL."""

    configs: Mapping[str, JSONObject]
    # URL -> SHA-512 of its content, for file:// references kept as references.
    digests: Mapping[str, str] = field(default_factory=dict)

    def of(self, service: Service) -> JSONObject:
        """``service``'s desired config (``{}`` when the environment plans none of it)."""
        return self.configs.get(service.name, {})


def render(environment: ValidEnvironment, *, link_files_from: Path | None = None) -> Rendered:
    """The desired config of each service. With ``link_files_from`` (a Kratos file's folder),
    values that came from ``file://`` are written as ``file://`` paths relative to that
    folder."""
    configs: dict[str, JSONObject] = {}
    digests: dict[str, str] = {}
    for service in environment.services:
        config = copy_json(environment.config_of(service))
        if service.lists_identity_schemas:
            _render_schemas(config)
        if link_files_from is not None:
            digests.update(_link_files(config, environment, service, link_files_from))
        configs[service.name] = config
    return Rendered(configs, digests)


def _render_schemas(config: JSONObject) -> None:
    identity = config.get("identity")
    schemas = identity.get("schemas") if isinstance(identity, dict) else None
    for entry in schemas if isinstance(schemas, list) else []:
        if isinstance(entry, dict):
            _render_schema(entry)


def _render_schema(entry: JSONObject) -> None:
    inline = entry.pop("schema", None)
    if isinstance(inline, dict):
        entry["url"] = blobs.encode(canonical_bytes(inline))
        return
    url = entry.get("url")
    if url is None and str(entry.get("id", "")).startswith(PRESET_PREFIX):
        entry["url"] = entry["id"]
        return
    sent = _inline_as_sent(url) if isinstance(url, str) else None
    if sent is not None:
        entry["url"] = sent


# A shared layer's inline schema is rendered for every environment of plan --all: once per run.
@functools.lru_cache(maxsize=256)
def _inline_as_sent(url: str) -> str | None:
    """A ``base64://`` schema as Ory receives it: its own bytes when they are plain JSON, else
    (YAML) its canonical JSON; None when ``url`` is no inline schema we can parse."""
    content = blobs.decode(url)
    if content is None:
        return None
    if _is_plain_json_object(content):
        return blobs.encode(content)  # standard padded base64 of the same bytes
    try:
        parsed = yamlio.load_with_positions(content.decode("utf-8")).data
    except (yamlio.YamlSyntaxError, UnicodeDecodeError):
        return None  # neither JSON nor YAML: validation reports it
    return blobs.encode(canonical_bytes(parsed)) if isinstance(parsed, dict) else None


def _is_plain_json_object(content: bytes) -> bool:
    """A JSON object in UTF-8 text (read as text, a byte order mark is refused, as Go's JSON
    reader refuses it)."""
    try:
        parsed = loads_json(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict)


def _link_files(
    config: JSONObject, environment: ValidEnvironment, service: Service, base: Path
) -> dict[str, str]:
    digests: dict[str, str] = {}
    for pointer, info in environment.raw.pointers_of(service, "file_path").items():
        found, value = get_at(config, pointer)
        if not found or not isinstance(value, str) or info.file_path is None:
            continue
        reference = file_refs.reference(info.file_path, base)
        set_at(config, pointer, reference)
        digests[reference] = info.file_digest
    return digests
