"""The round trip every corpus config must survive (issue 10 item 5), as steps that report
instead of raising, so one run can say which step failed first and why.

Chains (each stops at its first failure; the CLI runs in-process through ``run``):

- ``seed``: the test server takes the entry's Ory Network seed (``corpus.network_seed``); a
  document from Ory Network itself must keep every key it has (Ory returned them, so it
  accepts them: the server may not drop one).
- live as desired state: the identity config ``GET /projects/{id}`` returns, written by hand
  as an environment file → ``validate`` exits 0 → ``plan --detailed-exitcode`` exits 0.
- export: ``export`` → ``validate`` 0 → ``plan --detailed-exitcode`` 0.
- Kratos file (self-hosted kinds): a copy of the file, ``selfservice.methods`` declared as
  the file has them → plan 0 → one method's ``enabled`` flipped → ``apply --yes`` → the file
  holds the new value, plan 0, and every comment line of the file is still there.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler.jsontypes import JSONObject, get_at
from reconciler.loading.yamlio import dump_plain, load_with_positions
from reconciler.services import registry

from corpus import NETWORK_KINDS, Entry, content, network_seed
from ory_server import OryTestServer

#: How ``export`` lists the variables it wrote (reconciler/usecases/export.py).
_VARIABLE_LINE = re.compile(
    r"^  ([A-Z][A-Z0-9_]*): (the password in|the value of) (/\S*)$", re.MULTILINE
)
#: Lines that say why: ``file:line:column: message``, ``Error: …``, a bug report, a change.
_TELLING = re.compile(r"^(?!Warning).*\.ya?ml:\d+|^Error|^Unexpected|^[~+-] /|^Plan: ")
_SCHEMA_FINDING = re.compile(r"^\s*(?:Error|Warning) \[schema\]", re.MULTILINE)
_TEMP_PREFIX = re.compile(r"(?<!\S)/\S*?/(?=(?:environments|deploy)/)")

#: The steps, in report order.
STEPS = (
    "seed",
    "live-validate",
    "live-plan",
    "export",
    "export-validate",
    "export-plan",
    "file-plan",
    "file-apply",
    "file-replan",
)


class Outcome(Protocol):
    """What a CLI run reports (``conftest.Result``)."""

    @property
    def code(self) -> int: ...
    @property
    def out(self) -> str: ...
    @property
    def err(self) -> str: ...


Runner = Callable[..., Outcome]


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str = ""  # why it failed: the first line that says so
    reasons: tuple[str, ...] = ()  # every line that says why, for the tally's grouping
    schema_findings: int = 0  # `[schema]` findings it printed, errors and warnings alike


class _Chain:
    """Steps of one chain: once one fails, the rest are not run (and not reported)."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.broken = False

    def check(self, name: str, result: Outcome, expected: int = 0) -> bool:
        if self.broken:
            return False
        ok = result.code == expected
        found = len(_SCHEMA_FINDING.findall(result.out + result.err))
        self.steps.append(Step(name, True, schema_findings=found) if ok else _failure(name, result))
        self.broken = not ok
        return ok

    def passed(self, name: str) -> None:
        if not self.broken:
            self.steps.append(Step(name, True))

    def fail(self, name: str, detail: str) -> None:
        if not self.broken:
            self.steps.append(Step(name, False, detail, (detail,)))
            self.broken = True


def _reasons(result: Outcome) -> tuple[str, ...]:
    """The lines of output that explain a non-zero (or unexpected) exit, with the temporary
    directory left out of file names; the last line when none says why."""
    lines = [line.strip() for line in (result.err + "\n" + result.out).splitlines()]
    telling = [line for line in lines if _TELLING.search(line)] or [x for x in lines if x][-1:]
    return tuple(dict.fromkeys(_TEMP_PREFIX.sub("", line)[:300] for line in telling))


def _failure(name: str, result: Outcome) -> Step:
    reasons = _reasons(result) or ("(no output)",)
    found = len(_SCHEMA_FINDING.findall(result.out + result.err))
    return Step(name, False, f"exit {result.code}: {reasons[0]}", reasons, found)


def escape_dollars(value: Any) -> Any:
    """Values as an environment file must hold them: a literal ``$`` is written ``$$``."""
    if isinstance(value, dict):
        return {key: escape_dollars(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escape_dollars(item) for item in value]
    return value.replace("$", "$$") if isinstance(value, str) else value


def _write_environment(
    root: Path, name: str, target: JSONObject, config: JSONObject, key: str = "identity_config"
) -> None:
    document = {"target": target, key: escape_dollars(config)}
    path = root / "environments" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_plain(document), encoding="utf-8")


def network_env(server: OryTestServer) -> dict[str, str]:
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, "ORY_CONSOLE_API_URL": server.base_url}


def secret_values(exported: Outcome, stored: JSONObject) -> dict[str, str]:
    """The variables ``export`` listed, each set to the secret the project holds, as its
    owner would set them."""
    values: dict[str, str] = {}
    for name, part, pointer in _VARIABLE_LINE.findall(exported.err):
        _, value = get_at(stored, pointer)
        if part == "the password in" and isinstance(value, str):
            value = urlsplit(value).password
        values[name] = value if isinstance(value, str) else f"stand-in-{name.lower()}"
    return values


def _live_chain(
    run: Runner, server: OryTestServer, project: str, root: Path, service: str = "identity"
) -> list[Step]:
    steps: list[Step] = []
    chain = _Chain(steps)
    document = server.project_document(project)
    live = document["services"][service]["config"]
    key = registry.named(service).key
    _write_environment(root, "live", {"ory_network": {"project": project}}, live, key)
    env = network_env(server)
    if chain.check("live-validate", run("validate", "live", env=env, root=root)):
        chain.check("live-plan", run("plan", "live", "--detailed-exitcode", env=env, root=root))
    return steps


def _export_chain(run: Runner, server: OryTestServer, project: str, root: Path) -> list[Step]:
    steps: list[Step] = []
    chain = _Chain(steps)
    env = network_env(server)
    (root / "environments").mkdir(parents=True, exist_ok=True)
    exported = run("export", "exported", "--target-project", project, env=env, root=root)
    if not chain.check("export", exported):
        return steps
    env = {**env, **secret_values(exported, server.stored_identity_config(project))}
    if chain.check("export-validate", run("validate", "exported", env=env, root=root)):
        planned = run("plan", "exported", "--detailed-exitcode", env=env, root=root)
        chain.check("export-plan", planned)
    return steps


def _has_file_url(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_file_url(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_file_url(item) for item in value)
    return isinstance(value, str) and value.startswith("file://")


def declared_methods(config: dict[str, Any]) -> dict[str, Any]:
    """``selfservice.methods`` as the file has them, minus methods that reference files (an
    environment file reads ``file://`` relative to itself, the Kratos file does not)."""
    methods = config.get("selfservice", {}).get("methods", {})
    return {name: copy.deepcopy(m) for name, m in methods.items() if not _has_file_url(m)}


def _comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def _file_chain(run: Runner, entry: Entry, root: Path) -> list[Step]:
    steps: list[Step] = []
    chain = _Chain(steps)
    kratos = root / "deploy" / "kratos.yml"
    kratos.parent.mkdir(parents=True)
    original = content(entry.layers[0])
    kratos.write_bytes(original)
    config: Any = load_with_positions(original.decode()).data
    methods = declared_methods(config)
    flippable = [name for name, m in methods.items() if isinstance(m.get("enabled"), bool)]
    if not flippable:
        chain.fail("file-plan", "no selfservice.methods entry with a boolean `enabled`")
        return steps
    target: JSONObject = {"kratos_file": {"path": "../deploy/kratos.yml"}}
    _write_environment(root, "file", target, {"selfservice": {"methods": methods}})
    if not chain.check("file-plan", run("plan", "file", "--detailed-exitcode", root=root)):
        return steps
    # Turn a method on when one is off; turning one off may weaken security, which apply
    # refuses without --allow-weaken (a safety rail this step is not about).
    method = min(flippable, key=lambda name: bool(methods[name]["enabled"]))
    methods[method]["enabled"] = not methods[method]["enabled"]
    _write_environment(root, "file", target, {"selfservice": {"methods": methods}})
    weaken = () if methods[method]["enabled"] else ("--allow-weaken",)
    applied = run("apply", "file", "--yes", *weaken, root=root)
    if applied.code != 0:
        chain.steps.append(_failure("file-apply", applied))
        chain.broken = True
        return steps
    after = kratos.read_text(encoding="utf-8")
    written_config: Any = load_with_positions(after).data
    written = written_config["selfservice"]["methods"][method].get("enabled")
    if written != methods[method]["enabled"]:
        chain.fail("file-apply", f"selfservice.methods.{method}.enabled is {written!r}")
        return steps
    lost = [line for line in _comment_lines(original.decode()) if line not in after]
    if lost:
        chain.fail("file-apply", f"{len(lost)} comment line(s) lost, first: {lost[0][:120]}")
        return steps
    chain.passed("file-apply")
    chain.check("file-replan", run("plan", "file", "--detailed-exitcode", root=root))
    return steps


def dropped_keys(sent: Any, kept: Any, pointer: str = "") -> list[str]:
    """Pointers of the mapping keys of ``sent`` that ``kept`` lacks (lists are not entered:
    the server renames and merges identity schemas)."""
    if not isinstance(sent, dict):
        return []
    if not isinstance(kept, dict):
        return [pointer or "/"]
    missing = []
    for key, value in sent.items():
        below = f"{pointer}/{key}"
        missing += dropped_keys(value, kept[key], below) if key in kept else [below]
    return missing


def _seed(entry: Entry, server: OryTestServer) -> tuple[Step, str | None]:
    seed = network_seed(entry)
    try:
        if entry.service == "identity":
            project = server.add_project(seed)
        else:
            project = server.add_project()
            server.seed_service(entry.service, seed, project)
    except ValueError as exc:
        return Step("seed", False, str(exc)[:300], (str(exc)[:300],)), None
    dropped = dropped_keys(seed, server.stored_service_config(entry.service, project))
    if entry.kind in NETWORK_KINDS and dropped:
        detail = f"the test server dropped keys Ory Network returned: {', '.join(dropped)}"
        return Step("seed", False, detail[:300], (detail[:300],)), None
    return Step("seed", True), project


def round_trip(entry: Entry, server: OryTestServer, run: Runner, workdir: Path) -> list[Step]:
    """Every step of every chain that ran, in :data:`STEPS` order."""
    seeded, project = _seed(entry, server)
    steps = [seeded]
    if project is not None:
        steps += _live_chain(run, server, project, workdir / "live", entry.service)
        steps += _export_chain(run, server, project, workdir / "export")
    if entry.kratos_file:
        steps += _file_chain(run, entry, workdir / "file")
    return steps
