"""An Ory Network project, read and written through the console API: every config service
the project holds (``services/``), read with one GET and written with one PATCH, each
operation under its service's place in the project document.

A PATCH that got no answer (timeout, dropped connection, 5xx) is never blindly resent. The
project is read again first:

* revision unchanged, also on a few more reads spread over a few seconds (a read right after
  a write may be stale, ory-network-behaviour.md §4): nothing was applied, so the PATCH is
  sent once more (see ``_resend`` for why that cannot apply twice);
* revision moved and the live config shows every change of the plan: it was applied, and the
  re-read state is the outcome;
* otherwise: a RemoteError saying what is known, and nothing more is sent.

A 409 is not always a stale revision (Ory answers 409 for an identity schema in use too,
ory-network-behaviour.md §1.1): only when the project's revision has moved does the user hear
"changed since this plan"; otherwise Ory's own message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from reconciler.comparing.diff import DEFAULT_SCHEMA, SCHEMAS
from reconciler.comparing.schema_match import ContentIndex
from reconciler.comparing.values import EqualityRules, StoredEquality
from reconciler.errors import (
    ConfigError,
    ConflictError,
    InterruptedWriteError,
    OutcomeUnknownError,
    RemoteError,
    Terminated,
    signal_name,
)
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, get_at
from reconciler.loading.repository_settings import check_project_allowed
from reconciler.repository.paths import display_path
from reconciler.services import registry
from reconciler.targets import (
    ApplyOutcome,
    LiveState,
    Opening,
    ServiceOperation,
    TargetInfo,
    TargetKind,
    endpoints,
)
from reconciler.targets.client import OryClient
from reconciler.targets.project_document import ProjectUpdate, config_of

# After a write without an answer, how often the project is read again, and how long to wait
# before each read, before "the revision has not moved" is believed: TF caches the PATCH
# response because a GET right after it may be stale (ory-network-behaviour.md §4, §8.1 #11).
SETTLE_WAITS_SECONDS: tuple[float, ...] = (0.0, 1.0, 2.0)
log = logging.getLogger("reconciler.ory_network")

KIND = "ory_network"
API_KEY_VARIABLE = "ORY_WORKSPACE_API_KEY"


def open_target(opening: Opening) -> OryNetworkProject:
    """The project ``target.ory_network`` names, through a client for the console API: only a
    project ``reconciler.yaml`` allows, and the workspace key only to the configured API
    (``endpoints``), both settled before anything is sent."""
    project = str(opening.settings["project"])
    environment = opening.environment
    check_project_allowed(opening.root, project)
    # Where the key may go is settled before anything else: a file cannot redirect it.
    written = opening.settings.get("api_url")
    base_url = endpoints.api_base_url(
        opening.environ,
        written if isinstance(written, str) else None,
        environment.location("/target/ory_network/api_url"),
    )
    api_key = opening.environ.get(API_KEY_VARIABLE) or None
    if api_key is None:
        where = environment.location("/target") or display_path(environment.path)
        raise ConfigError(
            [f"{where}: {API_KEY_VARIABLE} is not set; it is needed for ory_network targets"]
        )
    clients, make = opening.clients, opening.client_factory or OryClient
    client = clients.get(base_url, api_key) if clients is not None else make(base_url, api_key)
    return OryNetworkProject(client, project, opening.equality)


class OryNetworkProject:
    def __init__(
        self,
        client: OryClient,
        project_id: str,
        equality: Mapping[str, EqualityRules] | None = None,
    ) -> None:
        """``equality``: how the planner compares each service's values (its secrets and
        defaults, by service name), for judging an apply whose answer was lost the way the
        plan was made."""
        self.client = client
        self.project_id = project_id
        self.equality = dict(equality or {})

    @property
    def description(self) -> str:
        return f"Ory Network project {self.project_id} ({self.client.base_url})"

    @property
    def kind(self) -> TargetKind:
        return KIND

    @property
    def source_file(self) -> None:
        return None

    @property
    def returns_secrets(self) -> bool:
        return False  # write-only values are left out of reads (SecretPaths.is_withheld)

    @property
    def fills_in_values(self) -> bool:
        return True  # Account Experience URLs, the project's own domain (usecases/export.py)

    @property
    def counts_identities(self) -> bool:
        return True  # GET /admin/identities of its project API (targets/project_api.py)

    def positions(self) -> dict[Pointer, tuple[int, int]]:
        return {}

    def linked_file(self, value: str) -> None:
        return None

    def warned_key(self, warning: str) -> Pointer | None:
        return warned_key(warning)

    def fetch(self) -> LiveState:
        project = self.client.get_project(self.project_id)
        return replace(_state_of(project), target=self._info(project))

    def _info(self, project: JSONObject) -> TargetInfo:
        """The project as its GET names it (ory-api.md: ``name``, ``slug``, ``environment``)."""
        facts = {
            "project": self.project_id,
            "name": str(project.get("name") or ""),
            "slug": str(project.get("slug") or ""),
            "environment": str(project.get("environment") or ""),
            "api_url": self.client.base_url,
        }
        return TargetInfo(KIND, _heading(facts), facts)

    def apply(self, operations: Sequence[ServiceOperation], revision: str) -> ApplyOutcome:
        try:
            return self._apply(operations, revision)
        except (KeyboardInterrupt, Terminated) as stop:
            raise self._interrupted(operations, revision, stop) from None

    def _apply(self, operations: Sequence[ServiceOperation], revision: str) -> ApplyOutcome:
        try:
            return _outcome_of(self._patch(operations, revision))
        except ConflictError as conflict:
            raise self._conflict(conflict, revision) from None
        except OutcomeUnknownError as failure:
            live = self._settled(failure, revision)
            if live.revision == revision:
                return self._resend(operations, revision)
            return self._judge(operations, live, failure)

    def _interrupted(
        self, operations: Sequence[ServiceOperation], revision: str, stop: BaseException
    ) -> InterruptedWriteError:
        """SIGINT or SIGTERM while the PATCH was in flight (or waiting to be sent): read the
        project again, as after a lost answer, and say whether the change landed."""
        head = f"Interrupted ({signal_name(stop)}) while applying to project {self.project_id}"
        try:
            live = self._settled(RemoteError(head), revision)
        except RemoteError as failure:  # it says that the change may or may not have landed
            return InterruptedWriteError(str(failure), stop, None)
        except (KeyboardInterrupt, Terminated):
            return InterruptedWriteError(
                f"{head}, and again while reading it back: whether the change landed could "
                "not be told. Run plan to see.",
                stop,
                None,
            )
        if live.revision == revision:
            return InterruptedWriteError(
                f"{head}: the change did not land (the project is still at revision {revision}).",
                stop,
                False,
            )
        if shows_changes(operations, live, self.equality):
            return InterruptedWriteError(
                f"{head}: the change landed (the project is now at revision {live.revision} "
                "and shows every change of this plan).",
                stop,
                True,
            )
        return InterruptedWriteError(
            f"{head}: could not tell whether the change landed: the project is now at "
            f"revision {live.revision} but does not show every change of this plan (someone "
            "else changed it too?). Run plan to see.",
            stop,
            None,
        )

    def _conflict(self, conflict: ConflictError, revision: str) -> RemoteError:
        """Stale revision, or another conflict (Ory's message)? The live revision tells."""
        try:
            moved = self.fetch().revision != revision
        except RemoteError:
            moved = False
        if moved:
            return ConflictError(
                f"project {self.project_id} changed since this plan was made (the revision it "
                "was planned against is no longer current); nothing was changed. Run plan again."
            )
        return RemoteError(f"{_sentence(conflict)}; nothing was changed.")

    def _settled(self, failure: RemoteError, revision: str) -> LiveState:
        """Read the project until its revision moves, or the settle window has passed."""
        live = self._reread(failure)
        for wait in SETTLE_WAITS_SECONDS[1:]:
            if live.revision != revision:
                break
            log.info("revision unchanged; reading again in %.1f s in case the read was stale", wait)
            self.client.retry.sleep(wait)
            live = self._reread(failure)
        return live

    def close(self) -> None:
        self.client.close()

    def _patch(self, operations: Sequence[ServiceOperation], revision: str) -> ProjectUpdate:
        wire = [
            {**operation, "path": f"{registry.named(service).place}{operation['path']}"}
            for service, operation in operations
        ]
        return self.client.patch_project(self.project_id, revision, wire)

    def _resend(self, operations: Sequence[ServiceOperation], revision: str) -> ApplyOutcome:
        # The project is still at ``revision``: the first PATCH did not take effect. Sending
        # it once more cannot apply it twice, because it is pinned to ``revision``: had the
        # first one landed after all (a stale read, ory-api.md §1a "Eventual consistency"),
        # the revision has moved and the server answers 409 instead of applying it again.
        try:
            return _outcome_of(self._patch(operations, revision))
        except (OutcomeUnknownError, ConflictError) as failure:
            live = self._settled(failure, revision)
            if live.revision != revision:
                return self._judge(operations, live, failure)
            raise RemoteError(
                f"{_sentence(failure)}; nothing was changed: project {self.project_id} is still "
                f"at revision {revision} after two attempts. Try again later."
            ) from None

    def _reread(self, failure: RemoteError) -> LiveState:
        try:
            return self.fetch()
        except RemoteError as exc:
            raise RemoteError(
                f"{_sentence(failure)}; the change may or may not have been applied, and "
                f"reading project {self.project_id} again failed too ({exc}). "
                "Run plan to see whether it was."
            ) from None

    def _judge(
        self, operations: Sequence[ServiceOperation], live: LiveState, failure: RemoteError
    ) -> ApplyOutcome:
        """The revision moved while the answer was lost: did it move because of us?"""
        if shows_changes(operations, live, self.equality):
            note = (
                f"{_sentence(failure)}, so project {self.project_id} was read again: it is now at "
                f"revision {live.revision} and shows every change of this plan, so the apply "
                "took effect (nothing was sent twice)."
            )
            return ApplyOutcome(state=live, notes=(note,))
        raise RemoteError(
            f"{_sentence(failure)}; project {self.project_id} has changed since (it is now at "
            f"revision {live.revision}) but does not show all of this plan's changes: someone "
            "else changed it at the same time, or the change was not applied. Nothing was "
            "sent again. Run plan to see the current state."
        )


def _heading(facts: dict[str, str]) -> str:
    named = f' "{facts["name"]}"' if facts["name"] else ""
    environment = f"environment {facts['environment']}" if facts["environment"] else ""
    shown = ", ".join(
        fact for fact in (f"slug {facts['slug']}" if facts["slug"] else "", environment) if fact
    )
    about = f" ({shown})" if shown else ""
    return f"Ory Network project {facts['project']}{named}{about} at {facts['api_url']}"


# The only warning text on record (ory/cli#179, ory-network-behaviour.md §3).
_IGNORED_KEY = re.compile(r"^Configuration key `([^`]+)` can not be set and will be ignored\.?$")


def warned_key(warning: str) -> Pointer | None:
    """``Configuration key `serve.*` can not be set…`` -> ``/serve``; None when unknown."""
    match = _IGNORED_KEY.match(warning)
    if match is None:
        return None
    return "/" + match.group(1).removesuffix(".*").replace(".", "/")


def _outcome_of(update: ProjectUpdate) -> ApplyOutcome:
    # The PATCH response is the new state: a GET right after it may still be stale
    # (ory-api.md §1a, "Eventual consistency").
    return ApplyOutcome(state=_state_of(update.project), warnings=update.warnings)


def _state_of(project: JSONObject) -> LiveState:
    configs = {service.name: config_of(project, service) for service in registry.carried_by(KIND)}
    return LiveState(configs=configs, revision=str(project["revision_id"]))


def _sentence(error: Exception) -> str:
    return str(error).rstrip(".")


def shows_changes(
    operations: Sequence[ServiceOperation],
    live: LiveState,
    equality: Mapping[str, EqualityRules],
) -> bool:
    """Whether ``live`` holds every value the plan's add/replace operations write, each in its
    service's config (``equality``: how the planner compared that service's values).

    Compared with the planner's own equality (``values``: durations, content-addressed files,
    redacted secrets, defaults) and its schema matching (identity schemas renamed to their
    content hash), so the judge and the plan never disagree. Resets cannot be checked (the
    server puts back its default, which we may not know), so a plan made only of resets is
    never confirmed this way. When unsure, the answer is False: a false "not confirmed"
    costs a plan; a false "applied" loses a change.
    """
    writes = [(service, op) for service, op in operations if op.get("op") in ("add", "replace")]
    judges = {
        service: _Judge(
            live.configs.get(service, {}),
            [op for named, op in writes if named == service],
            replace(equality.get(service, EqualityRules()), known_digests=live.known_digests),
        )
        for service in {service for service, _ in writes}
    }
    return bool(writes) and all(judges[service].shows(op) for service, op in writes)


class _Judge:
    """One service's config: does it show what the plan writes there?"""

    def __init__(
        self, config: JSONObject, writes: Sequence[JSONObject], rules: EqualityRules
    ) -> None:
        self.config = config
        self.writes = writes
        self.rules = rules
        self.equality = StoredEquality(rules)
        self.schemas = ContentIndex(rules.known_digests, {})

    def shows(self, operation: JSONObject) -> bool:
        pointer, value = str(operation["path"]), operation.get("value")
        if pointer == SCHEMAS + "/-":
            return isinstance(value, dict) and self._shows_schema(value)
        if pointer.endswith("/-"):
            found, items = get_at(self.config, pointer[:-2])
            return (
                found
                and isinstance(items, list)
                and any(self.equality.same(value, i, pointer) for i in items)
            )
        found, live = get_at(self.config, pointer)
        if not found and self.rules.secret_paths.is_withheld(pointer):
            return get_at(self.config, pointer.rsplit("/", 1)[0])[0]  # Ory leaves it out of reads
        if pointer == DEFAULT_SCHEMA and value != live:
            return found and self._renamed_default_schema(value, live)
        return found and self.equality.holds(value, live, pointer)

    def _live_schemas(self) -> list[JSONObject]:
        _, schemas = get_at(self.config, SCHEMAS)
        return [s for s in schemas if isinstance(s, dict)] if isinstance(schemas, list) else []

    def _shows_schema(self, entry: JSONObject) -> bool:
        """A schema live holds by content, as the planner matches them (``diff._schema``):
        Ory may have renamed it to its content hash, so its id and url are not compared as
        strings; every other key is."""
        return any(
            all(
                key in match and self.equality.same(value, match[key], f"{SCHEMAS}/-/{key}")
                for key, value in entry.items()
                if key not in ("id", "url")
            )
            for match in self.schemas.matching(entry, self._live_schemas())
        )

    def _renamed_default_schema(self, desired: JSONValue, live: JSONValue) -> bool:
        """Whether the live default is the schema this plan added as ``desired``, stored under
        another id (Ory names custom schemas after the SHA-512 of their content, ory-api.md
        §1a)."""
        live_entries = [s for s in self._live_schemas() if s.get("id") == live]
        added = [op.get("value") for op in self.writes if op.get("path") == SCHEMAS + "/-"]
        return any(
            self.schemas.same(new, old)
            for new in added
            if isinstance(new, dict) and new.get("id") == desired
            for old in live_entries
        )
