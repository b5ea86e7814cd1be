"""Write a file so that readers see the old content or the new, never a mix.

Below ``.reconciler`` nothing is written through a symbolic link (``workdir.refuse_links``);
elsewhere the rename replaces a link named ``path`` rather than writing where it points.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.repository.paths import display_path
from reconciler.repository.workdir import refuse_links


def write_atomically(path: Path, text: str | bytes, mode: int) -> None:
    """Write ``text`` to a sibling temp file, fsync it, then rename it over ``path``.
    ConfigError naming the file when it cannot be written (no folder, no permission, a full
    disk); ``path`` is then as it was."""
    refuse_links(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        _write(path, data, mode)
    except OSError as exc:
        raise ConfigError([f"{display_path(path)}: cannot write: {exc.strerror}"]) from None


def _write(path: Path, data: bytes, mode: int) -> None:
    import tempfile  # on the first write: commands that only read never load it (cold start)

    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(mode)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
