"""What a backup keeps of a secret: where it was and its fingerprint, never the value.

Backups leave the machine that made them (the pipeline keeps them as an artifact, people copy
them), so no secret is written in one. A live value is kept out when it sits at one of Ory's
secret paths (an OIDC ``client_secret``), when the environment declares it secret (``${VAR}``,
``!secret``, ``secrets:``), or when it holds a value the run knows is secret (``redact``: a
live list may hold a declared secret at another index). The backup holds ``(sensitive)``
there, and an HMAC-SHA256 fingerprint keyed with a random per-backup salt, as saved plans do.

Restore cannot take such a value from the backup. It puts back live's value when it is still
the one backed up, else the value the environment declares there when that is the one;
otherwise live's value is left as it is, and restore says so.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Collection
from dataclasses import dataclass

from reconciler import redact
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    copy_json,
    get_at,
    remove_at,
    set_at,
)
from reconciler.plan.planfile import fingerprint
from reconciler.secrets import MASK, SecretPaths
from reconciler.services import registry

_SALT_BYTES = 32


@dataclass(frozen=True)
class KeptOut:
    """A secret left out of a backup: where it was, and its fingerprint."""

    pointer: Pointer
    fingerprint: str


@dataclass(frozen=True)
class BackupContent:
    """A backed-up config with its secrets left out (``(sensitive)`` in their place)."""

    config: JSONObject
    kept_out: tuple[KeptOut, ...] = ()
    salt: bytes = b""

    def matches(self, kept: KeptOut, value: JSONValue) -> bool:
        return hmac.compare_digest(fingerprint(self.salt, value), kept.fingerprint)


def keep_out(
    config: JSONObject,
    sensitive: Collection[Pointer],
    secret_paths: SecretPaths = registry.IDENTITY.secrets,
) -> BackupContent:
    """A service's ``config`` as a backup holds it: every secret in it (see the module
    docstring; ``secret_paths``: the service's) masked."""
    salt = os.urandom(_SALT_BYTES)
    kept: list[KeptOut] = []

    def note(pointer: Pointer, value: JSONValue) -> JSONValue:
        kept.append(KeptOut(pointer, fingerprint(salt, value)))
        return MASK

    def known(pointer: Pointer, leaf: JSONValue) -> JSONValue:
        return note(pointer, leaf) if isinstance(leaf, str) and redact.holds(leaf) else leaf

    masked = secret_paths.mask(config, "", sensitive, secret=note, other=known)
    assert isinstance(masked, dict)
    return BackupContent(masked, tuple(kept), salt)


def to_json(content: BackupContent) -> JSONObject:
    return {
        "config": content.config,
        "secrets": [{"pointer": k.pointer, "fingerprint": k.fingerprint} for k in content.kept_out],
        "salt": content.salt.hex(),
    }


def from_json(document: JSONObject, config: JSONObject) -> BackupContent:
    """A backup's content as read (a backup written before secrets were kept out has none)."""
    entries = document.get("secrets")
    salt = document.get("salt")
    if not isinstance(entries, list) or not isinstance(salt, str):
        return BackupContent(config)
    kept = tuple(
        KeptOut(str(entry["pointer"]), str(entry["fingerprint"]))
        for entry in entries
        if isinstance(entry, dict) and "pointer" in entry and "fingerprint" in entry
    )
    return BackupContent(config, kept, bytes.fromhex(salt))


def put_back(
    content: BackupContent, live: JSONObject, declared: JSONObject
) -> tuple[JSONObject, list[str]]:
    """The backed-up config with each kept-out secret put back where that is possible, and a
    line for every one that is not (live's value stays there)."""
    wanted = copy_json(content.config)
    cannot: list[str] = []
    for kept in content.kept_out:
        in_live, live_value = get_at(live, kept.pointer)
        in_declared, declared_value = get_at(declared, kept.pointer)
        if in_live and content.matches(kept, live_value):
            set_at(wanted, kept.pointer, live_value)  # unchanged since the backup
        elif in_declared and content.matches(kept, declared_value):
            set_at(wanted, kept.pointer, declared_value)  # the environment still declares it
        elif in_live:
            set_at(wanted, kept.pointer, live_value)
            cannot.append(f"{kept.pointer}: left as it is live")
        else:
            remove_at(wanted, kept.pointer)
            cannot.append(f"{kept.pointer}: not set live, and not restored")
    return wanted, cannot
