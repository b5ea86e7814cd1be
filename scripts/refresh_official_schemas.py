#!/usr/bin/env python3
"""Refresh the official schemas shipped in reconciler/official from a Kratos checkout.

    python -m scripts.refresh_official_schemas KRATOS_RELEASE_CHECKOUT --release-ref v26.2.0 \\
        [--master KRATOS_MASTER_CHECKOUT --master-ref <commit>] \\
        [--spec ORY_SDK/spec/client/vX.json --spec-ref <commit>] \\
        [--history KRATOS_GIT_DIR --ory-x ORY_X_GIT_DIR]

Copies, byte for byte, ``embedx/config.schema.json`` (release and, when given, master),
``oryx/otelx/config.schema.json`` and the identity meta-schema and extension vocabulary.
With ``--spec`` it regenerates the Ory Network overlay and the test fixture holding the part
of the spec the tests read. With ``--history`` (a clone of ory/kratos with its tags, and one
of ory/x) it copies the config schema of every Kratos release since the first whose config
knows ``version:``, with the ory/x tracing schema each ``$ref``s, stores identical ones once,
and writes ``kratos-releases/index.json`` (``reconciler/official/releases.py`` reads it).
Then it rewrites the checksum table of PROVENANCE.md (between its BEGIN/END markers). A
``--*-ref`` names the tag or commit; without it, ``git describe`` of the checkout is recorded.
Prose about the sources stays hand-written above the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler import official
from reconciler.jsontypes import JSONObject, JSONValue
from reconciler.official import releases
from scripts import generate_network_overlay, kratos_history

REPO = Path(__file__).resolve().parents[1]

BEGIN = "<!-- BEGIN checksums: written by scripts/refresh_official_schemas.py -->"
END = "<!-- END checksums -->"
# The component schemas the tests read, with everything they reference.
SPEC_ROOTS = ("project", "successfulProjectUpdate", "errorGeneric", "normalizedProjectRevision")
SPEC_FIXTURE = REPO / "tests" / "fixtures" / "ory-sdk" / "spec-subset.json"


@dataclass(frozen=True)
class Copy:
    """One shipped file: where it came from (``source`` in a checkout at ``ref``)."""

    name: str
    source: str
    ref: str


def release_files(ref: str) -> list[Copy]:
    return [
        Copy(official.KRATOS_RELEASE_CONFIG.name, "embedx/config.schema.json", ref),
        Copy(official.TRACING_CONFIG.name, "oryx/otelx/config.schema.json", ref),
        Copy(official.IDENTITY_META.name, "embedx/identity_meta.schema.json", ref),
        Copy(official.IDENTITY_EXTENSION.name, "embedx/identity_extension.schema.json", ref),
    ]


def copy_files(checkout: Path, copies: Iterable[Copy], destination: Path) -> None:
    for copy in copies:
        source = checkout / copy.source
        if not source.is_file():
            raise SystemExit(f"{source} does not exist: is {checkout} a Kratos checkout?")
        shutil.copyfile(source, destination / copy.name)


def git_blob(content: bytes) -> str:
    """The id git gives ``content`` as a blob (``git hash-object``), to compare with upstream."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def checksum_table(destination: Path, copies: Iterable[Copy]) -> str:
    rows = [
        "| file | copied from | ref | git blob | sha256 |",
        "|---|---|---|---|---|",
    ]
    for copy in sorted(copies, key=lambda c: c.name):
        content = (destination / copy.name).read_bytes()
        sha256 = hashlib.sha256(content).hexdigest()
        rows.append(
            f"| `{copy.name}` | {copy.source} | {copy.ref} | `{git_blob(content)}` | `{sha256}` |"
        )
    return "\n".join(rows)


def _table_rows(provenance: str) -> dict[str, list[str]]:
    """The cells of PROVENANCE.md's checksum table, by file name (backquotes stripped)."""
    inside = provenance.split(BEGIN, 1)[-1].split(END, 1)[0]
    rows: dict[str, list[str]] = {}
    for line in inside.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = [cell.strip("`") for cell in cells]
    return rows


def recorded_copies(provenance: str) -> dict[str, Copy]:
    return {name: Copy(name, cells[1], cells[2]) for name, cells in _table_rows(provenance).items()}


def recorded_sha256(provenance: str) -> dict[str, str]:
    """``{file name: sha256}`` as recorded in PROVENANCE.md."""
    return {name: cells[4] for name, cells in _table_rows(provenance).items()}


def rewrite_provenance(path: Path, table: str) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{BEGIN}\n{table}\n{END}{after}", encoding="utf-8")


def spec_subset(spec: JSONObject, roots: Sequence[str] = SPEC_ROOTS) -> JSONObject:
    """``roots`` of ``components.schemas`` and every schema they reference, nothing else."""
    components = spec.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        raise SystemExit("the spec has no components.schemas")
    kept: JSONObject = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in kept:
            kept[name] = schemas[name]
            pending.extend(_references(schemas[name]))
    return {"info": spec.get("info"), "components": {"schemas": dict(sorted(kept.items()))}}


def _references(node: JSONValue) -> Iterable[str]:
    prefix = "#/components/schemas/"
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            yield ref[len(prefix) :]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def describe_ref(checkout: Path, given: str | None) -> str:
    if given:
        return given
    try:
        found = subprocess.run(
            ["git", "-C", str(checkout), "describe", "--tags", "--always", "--long"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return found.stdout.strip()


def refresh(args: argparse.Namespace) -> list[Copy]:
    destination: Path = args.destination
    previous = recorded_copies((destination / official.PROVENANCE.name).read_text("utf-8"))
    copies = release_files(describe_ref(args.release, args.release_ref))
    copy_files(args.release, copies, destination)
    master_name = official.KRATOS_MASTER_CONFIG.name
    if args.master is not None:
        master_ref = describe_ref(args.master, args.master_ref)
        master = Copy(master_name, "embedx/config.schema.json", master_ref)
        copy_files(args.master, [master], destination)
    else:
        master = previous[master_name]
    copies.append(master)
    overlay_name = official.NETWORK_OVERLAY.name
    if args.spec is not None:
        spec = json.loads(args.spec.read_text(encoding="utf-8"))
        kratos = generate_network_overlay.plain_kratos_schema(destination / master_name)
        documents = generate_network_overlay.network_documents()
        overlay = generate_network_overlay.build_overlay(spec, kratos, documents)
        (destination / overlay_name).write_text(generate_network_overlay.render(overlay), "utf-8")
        args.fixture.parent.mkdir(parents=True, exist_ok=True)
        args.fixture.write_text(json.dumps(spec_subset(spec), indent=1) + "\n", "utf-8")
        spec_ref = describe_ref(args.spec.parent, args.spec_ref)
        copies.append(
            Copy(overlay_name, f"generated from {args.spec.name} and the corpus", spec_ref)
        )
    else:
        copies.append(previous[overlay_name])
    if args.history is not None:
        copies += history_files(args.history, args.ory_x, destination)
    # Rows of files not refreshed this time (the older releases without --history) are kept;
    # --history rewrites the whole folder of older releases.
    refreshed = {copy.name for copy in copies}
    copies += [
        copy
        for name, copy in previous.items()
        if name not in refreshed
        and not (args.history and name.startswith(kratos_history.FOLDER + "/"))
    ]
    rewrite_provenance(destination / official.PROVENANCE.name, checksum_table(destination, copies))
    return copies


def history_files(kratos_dir: Path, ory_x_dir: Path | None, destination: Path) -> list[Copy]:
    """The config schema of every Kratos release (``scripts/kratos_history.py``), stored
    beside the newest one, which the release checkout must be."""
    kratos = kratos_history.Git(kratos_dir, "ory/kratos")
    ory_x = kratos_history.Git(ory_x_dir, "ory/x") if ory_x_dir is not None else None
    found = kratos_history.release_schemas(kratos, ory_x)
    newest = found[-1]
    if git_blob((destination / official.KRATOS_RELEASE_CONFIG.name).read_bytes()) != (
        newest.config.blob
    ):
        raise SystemExit(
            f"the release checkout is not {newest.tag}, the newest release of {kratos_dir}: "
            "refresh them together"
        )
    stored = kratos_history.store(found, kratos, ory_x, destination)
    index = releases.INDEX.relative_to(official.HERE).as_posix()
    copies = [
        Copy(item.name, item.source.origin, item.source.ref)
        for item in stored
        if item.name.startswith(kratos_history.FOLDER + "/")
    ]
    return [*copies, Copy(index, "generated from the release tags of ory/kratos", newest.tag)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", type=Path, help="checkout of a Kratos release tag")
    parser.add_argument("--release-ref", help="its tag and commit (default: git describe)")
    parser.add_argument("--master", type=Path, help="checkout of Kratos master (Ory Network)")
    parser.add_argument("--master-ref", help="its commit (default: git describe)")
    parser.add_argument("--spec", type=Path, help="Ory API spec (ory/sdk spec/client/vX.json)")
    parser.add_argument("--spec-ref", help="its version and ory/sdk commit")
    parser.add_argument("--history", type=Path, help="git directory of ory/kratos with its tags")
    parser.add_argument("--ory-x", type=Path, help="git directory of ory/x with its tags")
    parser.add_argument("--destination", type=Path, default=official.HERE, help=argparse.SUPPRESS)
    parser.add_argument("--fixture", type=Path, default=SPEC_FIXTURE, help=argparse.SUPPRESS)
    copies = refresh(parser.parse_args(argv))
    for copy in copies:
        print(f"{copy.name}: {copy.source} @ {copy.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
