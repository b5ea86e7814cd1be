"""An Ory Network project, read and written through the console API."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.client import OryClient, identity_config_of
from reconciler.jsontypes import JSONObject, Pointer
from reconciler.plan import prefixed
from reconciler.targets import ApplyOutcome, LiveState

IDENTITY_CONFIG = "/services/identity/config"
# Keys Ory Network sets itself; writes are ignored with a warning (ory-api.md §1a, ory/cli#179).
SERVER_MANAGED: tuple[Pointer, ...] = ("/serve", "/cookies", "/session/cookie")


class OryNetworkProject:
    def __init__(self, client: OryClient, project_id: str) -> None:
        self.client = client
        self.project_id = project_id

    @property
    def description(self) -> str:
        return f"Ory Network project {self.project_id} ({self.client.base_url})"

    @property
    def ignored(self) -> tuple[Pointer, ...]:
        return SERVER_MANAGED

    @property
    def requires_dsn(self) -> bool:
        return False

    def fetch(self) -> LiveState:
        project = self.client.get_project(self.project_id)
        return _state_of(project)

    def apply(self, operations: Sequence[JSONObject], revision: str) -> ApplyOutcome:
        wire = prefixed(operations, IDENTITY_CONFIG)
        update = self.client.patch_project(self.project_id, revision, wire)
        # The PATCH response is the new state: a GET right after it may still be stale
        # (ory-api.md §1a, "Eventual consistency").
        return ApplyOutcome(state=_state_of(update.project), warnings=update.warnings)

    def close(self) -> None:
        self.client.close()


def _state_of(project: JSONObject) -> LiveState:
    return LiveState(config=identity_config_of(project), revision=str(project["revision_id"]))
