"""A self-hosted Kratos config file as the live state: the identity config, the one service a
Kratos file holds (an environment setting another is refused by ``loading/validate.py``).

The revision is the SHA-256 of the file's bytes, so a file edited between plan and apply is
refused. Apply patches the round-trip document in place (comments, key order and formatting
survive), writes a sibling temp file and renames it over the original under a lock.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from reconciler import blobs
from reconciler.errors import (
    ApplyError,
    ConfigError,
    ConflictError,
    InterruptedWriteError,
    RemoteError,
    Terminated,
    signal_name,
)
from reconciler.jsontypes import JSONValue, Pointer
from reconciler.loading import yamlio
from reconciler.repository import file_refs
from reconciler.repository.atomic import write_atomically
from reconciler.repository.paths import inside_repository
from reconciler.services import registry
from reconciler.targets import (
    ApplyOutcome,
    LiveState,
    Opening,
    ServiceOperation,
    TargetInfo,
    TargetKind,
)

KIND = "kratos_file"


def open_target(opening: Opening) -> KratosFile:
    """The Kratos file ``target.kratos_file.path`` names, relative to the environment file; it
    must stay inside the repository (ConfigError otherwise)."""
    written = str(opening.settings["path"])
    environment = opening.environment
    path = inside_repository(
        opening.root,
        environment.path.parent / written,
        written,
        environment.location("/target/kratos_file/path"),
    )
    return KratosFile(path, opening.root)


class KratosFile:
    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        # file:// references in the Kratos file are hashed only when they stay below this.
        self.root = root.resolve()

    @property
    def description(self) -> str:
        return f"Kratos config file {self.path}"

    @property
    def kind(self) -> TargetKind:
        return KIND

    @property
    def source_file(self) -> Path:
        return self.path

    @property
    def returns_secrets(self) -> bool:
        return True  # the file holds every value as written

    @property
    def fills_in_values(self) -> bool:
        return False

    def warned_key(self, warning: str) -> Pointer | None:
        return None  # a Kratos file never warns

    def fetch(self) -> LiveState:
        return self._state(self._read())

    def apply(self, operations: Sequence[ServiceOperation], revision: str) -> ApplyOutcome:
        others = sorted({service for service, _ in operations} - {registry.IDENTITY.name})
        if others:
            raise ApplyError(
                f"a Kratos config file holds the identity config only, not {', '.join(others)}; "
                "nothing was written"
            )
        patch = [operation for _, operation in operations]
        written: list[str] = []  # the revision the file will have, once it is known
        try:
            with self._locked():
                text = self._read()
                if _revision(text) != revision:
                    raise ConflictError(
                        f"{self.path} changed since this plan was made; nothing was written. "
                        "Run plan again."
                    )
                document = self._parse(text)
                # Imported on the first write: reading a Kratos file (validate) never needs it.
                from reconciler.comparing.patch import apply_operations

                apply_operations(document, patch, in_place=True)
                new_text = yamlio.dump_roundtrip(document, like=text)
                written.append(_revision(new_text))
                self._write(new_text)
        except (KeyboardInterrupt, Terminated) as stop:
            raise self._interrupted(revision, written, stop) from None
        return ApplyOutcome(state=self._state(new_text))

    def _interrupted(
        self, revision: str, written: list[str], stop: BaseException
    ) -> InterruptedWriteError:
        """SIGINT or SIGTERM during the write: the rename is atomic, so the file holds the
        old text or the new one, and its hash says which."""
        head = f"Interrupted ({signal_name(stop)}) while writing {self._shown_path()}"
        try:
            now = _revision(self._read())
        except RemoteError as exc:
            return InterruptedWriteError(
                f"{head}: could not tell whether it was written ({exc}).", stop, None
            )
        if now == revision:
            return InterruptedWriteError(
                f"{head}: the change did not land (the file is unchanged).", stop, False
            )
        if written and now == written[0]:
            return InterruptedWriteError(
                f"{head}: the change landed (the file holds this plan's changes).", stop, True
            )
        return InterruptedWriteError(
            f"{head}: could not tell whether the change landed: the file changed, but not to "
            "what this plan writes (someone else edited it?). Run plan to see.",
            stop,
            None,
        )

    def close(self) -> None:
        pass

    @property
    def counts_identities(self) -> bool:
        return False  # a file holds no identities; its Kratos' admin API is not ours to call

    def positions(self) -> dict[Pointer, tuple[int, int]]:
        """Where each key of the file is written (1-based line and column), by pointer."""
        return self._load(self._read()).positions

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RemoteError(f"{self.path}: Kratos config file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RemoteError(f"{self.path}: cannot read the Kratos config file: {exc}") from None

    def _parse(self, text: str) -> object:
        """The file as the round-trip reader keeps it (comments and layout), to write back."""
        try:
            document = yamlio.parse_roundtrip(text)
        except yamlio.YamlSyntaxError as exc:
            raise self._syntax_error(exc) from None
        if document is None:
            return yamlio.parse_roundtrip("{}")
        self._check_mapping(document)
        return document

    def _load(self, text: str) -> yamlio.PositionedDocument:
        """The file as plain data and positions: what plans read. Not through ``_parse``: the
        round-trip reader is pure Python, and reading each file twice was half of a Kratos
        file's plan (tests/usecases/test_corpus.py: 147 reads, 2.5 s)."""
        try:
            loaded = yamlio.load_with_positions(text)
        except yamlio.YamlSyntaxError as exc:
            raise self._syntax_error(exc) from None
        if loaded.data is not None:
            self._check_mapping(loaded.data)
        return loaded

    def _syntax_error(self, exc: yamlio.YamlSyntaxError) -> RemoteError:
        # The file's own line numbers: a Kratos file is read as it is written.
        return RemoteError(f"{self.path}:{exc.line}:{exc.column}: {exc.prefix}{exc}")

    def _check_mapping(self, document: object) -> None:
        if not isinstance(document, dict):
            raise RemoteError(f"{self.path}: a Kratos config file must be a YAML mapping")

    def _state(self, text: str) -> LiveState:
        data = self._load(text).data or {}
        assert isinstance(data, dict)
        return LiveState(
            configs={registry.IDENTITY.name: data},
            revision=_revision(text),
            known_digests=self._file_digests(data),
            target=self._info(),
        )

    def _info(self) -> TargetInfo:
        shown = self._shown_path()
        return TargetInfo(KIND, f"Kratos config file {shown}", {"path": shown})

    def _shown_path(self) -> str:
        """The file relative to the repository: a plan never shows the runner's paths."""
        resolved = self.path.resolve()
        if resolved.is_relative_to(self.root):
            return resolved.relative_to(self.root).as_posix()
        return self.path.name

    def _file_digests(self, value: JSONValue) -> dict[str, str]:
        # Kratos reads file:// references itself; hash them so they compare with base64://.
        found: dict[str, str] = {}
        if isinstance(value, dict):
            for child in value.values():
                found.update(self._file_digests(child))
        elif isinstance(value, list):
            for child in value:
                found.update(self._file_digests(child))
        elif isinstance(value, str):
            referenced = self.linked_file(value)
            if referenced is not None:
                with contextlib.suppress(OSError):
                    found[value] = blobs.sha512_hex(referenced.read_bytes())
        return found

    def linked_file(self, value: str) -> Path | None:
        """The file a ``file://`` value names (relative to the Kratos file), when it is a
        file inside the repository: a link or ``..`` leading elsewhere is never read."""
        if not file_refs.is_reference(value):
            return None
        try:
            return file_refs.resolve(self.root, self.path.parent, value, None)
        except ConfigError:
            return None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # filelock: an OS lock on Linux, macOS and Windows alike; imported here, as only
        # apply needs it.
        from filelock import FileLock

        with FileLock(self.path.with_name(self.path.name + ".lock")):
            yield

    def _write(self, text: str) -> None:
        write_atomically(self.path, text, self.path.stat().st_mode & 0o7777)


def _revision(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
