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

That file is the record of the machine that applied. A CI runner keeps nothing between jobs, so
the pipeline keeps the record on the forge instead (``ci/rotation_record.py``): before each
plan it puts the forge's record in place of the file (``restore``), after each successful apply
it keeps the file's record there again (``kept``).
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


def kept(root: Path, environment: str) -> dict[str, object] | None:
    """The record of ``environment`` as a document to keep elsewhere; None without one."""
    text = workdir.read_bytes(state_path(root, environment), _MAX_STATE_BYTES)  # no link
    try:
        document = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return _checked(document)


def restore(root: Path, environment: str, document: object) -> None:
    """Put ``document`` (a record kept elsewhere) in place of ``environment``'s record, or
    remove the record when ``document`` is not a usable one: a record the repository holds is
    never read instead (in CI it is a file the pull request may have committed)."""
    path = state_path(root, environment)
    workdir.refuse_links(path)  # never remove or write through a link
    record = _checked(document)
    if record is None:
        path.unlink(missing_ok=True)
        return
    workdir.make_folder(path.parent)
    write_atomically(path, json.dumps(record, indent=2) + "\n", 0o644)


def _checked(document: object) -> dict[str, object] | None:
    """``document`` rebuilt from its known fields when it is a record of ours, else None."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    target, versions = document.get("target"), document.get("rotated")
    if not isinstance(target, str) or not isinstance(versions, dict):
        return None
    rotated = {
        str(p): v for p, v in versions.items() if isinstance(v, int) and not isinstance(v, bool)
    }
    return {"format": FORMAT, "target": target, "rotated": dict(sorted(rotated.items()))}


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
