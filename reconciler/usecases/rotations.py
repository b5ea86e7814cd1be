"""Which rotation of each write-only value was last sent, per environment (``rotate:``).

Ory never returns some values (the SMTP URI, keys it does not read back), so neither a
change nor a rotation can be seen in live state. The user bumps a version instead, as with the
Terraform provider's ``*_wo_version`` attributes::

    rotate:
      /courier/smtp/connection_uri: 2

A plan sends such a value when its version is higher than the one recorded for the
environment's target, and says why; after a successful apply the versions sent are recorded in
``.reconciler/state/ENV.json`` (pointers and integers, never a value). Without a record the
plan cannot know whether the version was sent before: it sends it, and says that too.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path

from reconciler.jsontypes import Pointer, is_within
from reconciler.repository import workdir
from reconciler.repository.atomic import write_atomically

FORMAT = 1
# A record holds a pointer and an integer per rotated value: a few hundred bytes.
_MAX_STATE_BYTES = 1024 * 1024


def state_path(root: Path, environment: str) -> Path:
    return workdir.path(root, "state", f"{environment}.json")


def recorded(root: Path, environment: str, target: str) -> dict[Pointer, int] | None:
    """The versions last sent to ``target``, or None when there is no usable record."""
    text = workdir.read_bytes(state_path(root, environment), _MAX_STATE_BYTES)  # no link
    try:
        document = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(document, dict) or document.get("target") != target:
        return None
    versions = document.get("rotated")
    if not isinstance(versions, dict):
        return None
    return {str(p): v for p, v in versions.items() if isinstance(v, int)}


def due(
    rotate: Mapping[Pointer, int], versions: Mapping[Pointer, int] | None, where: str
) -> dict[Pointer, str]:
    """Pointers whose ``rotate:`` version has not been sent, each with the plan's note."""
    notes: dict[Pointer, str] = {}
    for pointer, version in rotate.items():
        last = None if versions is None else versions.get(pointer)
        if last is None:
            notes[pointer] = f"rotate: {version}, and {where} has no record of sending it"
        elif version > last:
            notes[pointer] = f"rotate: {version} (last sent: {last})"
    return notes


def record(
    root: Path,
    environment: str,
    target: str,
    rotate: Mapping[Pointer, int],
    sent_paths: Collection[Pointer],
) -> None:
    """Record the versions of the ``rotate:`` values this apply sent (inside any sent path)."""
    sent = {
        pointer: version
        for pointer, version in rotate.items()
        if any(is_within(pointer, path) for path in sent_paths)
    }
    if not sent:
        return
    versions = {**(recorded(root, environment, target) or {}), **sent}
    path = state_path(root, environment)
    workdir.make_folder(path.parent)
    document = {"format": FORMAT, "target": target, "rotated": dict(sorted(versions.items()))}
    write_atomically(path, json.dumps(document, indent=2) + "\n", 0o644)
