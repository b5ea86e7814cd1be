"""Where a pipeline posts its one plan comment and finds the reviewed plans: GitHub or GitLab.

The comment is found again by a hidden marker in its body, so every push updates the same
comment instead of adding one. Its body is scrubbed of known secrets (``redact``) on the way out.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from reconciler import redact
from reconciler.ci import http
from reconciler.ci.job_output import JobOutput
from reconciler.errors import ReconcilerError

PLANS_ARTIFACT = "reconciler-plans"
PAGE_SIZE = 100


def marker(key: str) -> str:
    return f"<!-- reconciler-plan:{key} -->"


class Forge(Protocol):
    def upsert_comment(self, key: str, body: str) -> str | None:
        """Create or update the one comment marked ``key``; its id, None when not posted."""

    def download_reviewed(self, folder: Path) -> bool:
        """Put the reviewed plans of the merged change into ``folder``; False if none."""

    def fork(self) -> str | None:
        """The repository the change comes from when it is another one (a fork): its runs
        get no secrets and a read-only token. None when it is this repository's own."""


def post_comment(forge: Forge, log: JobOutput, key: str, body: str) -> str | None:
    """Post or update the comment; when the forge refuses to let this run write (the
    read-only token of a pull request from a fork, a job without the permission), say so
    in the job summary instead of failing on a raw 403. Its id, None when not posted."""
    try:
        return forge.upsert_comment(key, body)
    except http.ForgeError as exc:
        if exc.status not in (401, 403, 404):
            raise
        why = (
            f"The comment could not be posted on the pull request: this run's token may not "
            f"write there (the forge answered {exc.status}). A pull request from a fork gets "
            "a read-only token; otherwise give the job `pull-requests: write` (GitHub) or "
            "set GITLAB_API_TOKEN with the api scope (GitLab)."
        )
        log.summary(why)
        log.command("warning", why)
        return None


@dataclass(frozen=True)
class GitHub:
    """``GITHUB_*`` variables of a workflow run, and a token (``github-token``)."""

    environ: Mapping[str, str]

    @property
    def _api(self) -> str:
        repository = self.environ["GITHUB_REPOSITORY"]
        base = self.environ.get("GITHUB_API_URL", "https://api.github.com")
        return f"{base.rstrip('/')}/repos/{repository}"

    @property
    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.environ['GITHUB_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _event(self) -> dict[str, Any]:
        event = json.loads(Path(self.environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        if not isinstance(event, dict) or "pull_request" not in event:
            raise ReconcilerError("the action runs on pull_request events (opened … closed)")
        return event

    def _get(self, path: str) -> Any:
        return http.call("GET", f"{self._api}{path}", self._headers).json()

    def fork(self) -> str | None:
        """From the event: the pull request's head repository when it is not the base one
        (a deleted fork has none)."""
        pull_request = self._event()["pull_request"]
        head = (pull_request.get("head") or {}).get("repo") or {}
        base = (pull_request.get("base") or {}).get("repo") or {}
        head_name = str(head.get("full_name") or "a deleted fork")
        base_name = str(base.get("full_name") or self.environ["GITHUB_REPOSITORY"])
        return None if head_name.lower() == base_name.lower() else head_name

    def upsert_comment(self, key: str, body: str) -> str | None:
        number = self._event()["pull_request"]["number"]
        text = f"{marker(key)}\n{redact.scrub(body)}"
        for comment in self._comments(number):
            if marker(key) in str(comment.get("body", "")):
                url = f"{self._api}/issues/comments/{comment['id']}"
                http.call("PATCH", url, self._headers, {"body": text})
                return str(comment["id"])
        url = f"{self._api}/issues/{number}/comments"
        created = http.call("POST", url, self._headers, {"body": text}).json()
        return str(created["id"])

    def _comments(self, number: int) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            batch = self._get(f"/issues/{number}/comments?per_page={PAGE_SIZE}&page={page}")
            yield from batch
            if len(batch) < PAGE_SIZE:
                return
            page += 1

    def download_reviewed(self, folder: Path) -> bool:
        """The plans artifact of the newest successful run of this workflow on the pull
        request's head commit (the run that planned what was reviewed)."""
        head = self._event()["pull_request"]["head"]["sha"]
        workflow = self._get(f"/actions/runs/{self.environ['GITHUB_RUN_ID']}")["workflow_id"]
        query = f"head_sha={head}&event=pull_request&status=success&per_page={PAGE_SIZE}"
        runs = self._get(f"/actions/workflows/{workflow}/runs?{query}")["workflow_runs"]
        for run in runs:
            found = self._get(f"/actions/runs/{run['id']}/artifacts?name={PLANS_ARTIFACT}")
            for artifact in found["artifacts"]:
                if artifact["name"] == PLANS_ARTIFACT and not artifact.get("expired"):
                    archive = http.download(artifact["archive_download_url"], self._headers)
                    _unzip(archive, folder)
                    return True
        return False


@dataclass(frozen=True)
class GitLab:
    """``CI_*`` variables of a pipeline; ``GITLAB_API_TOKEN`` (api scope) to post the note.

    The apply job ``needs`` the plan job of the same pipeline, so GitLab has already put the
    reviewed plans where the plan job left them."""

    environ: Mapping[str, str]
    plans: Path

    @property
    def _notes(self) -> str:
        project = quote(self.environ["CI_PROJECT_ID"], safe="")
        request = self.environ["CI_MERGE_REQUEST_IID"]
        return f"{self.environ['CI_API_V4_URL']}/projects/{project}/merge_requests/{request}/notes"

    def upsert_comment(self, key: str, body: str) -> str | None:
        token = self.environ.get("GITLAB_API_TOKEN")
        if not token or not self.environ.get("CI_MERGE_REQUEST_IID"):
            return None  # the plan is still in the job log and the artifact
        headers = {"PRIVATE-TOKEN": token}
        text = f"{marker(key)}\n{redact.scrub(body)}"
        page = 1
        while True:
            notes = http.call("GET", f"{self._notes}?per_page={PAGE_SIZE}&page={page}", headers)
            batch = notes.json()
            for note in batch:
                if marker(key) in str(note.get("body", "")):
                    http.call("PUT", f"{self._notes}/{note['id']}", headers, {"body": text})
                    return str(note["id"])
            if len(batch) < PAGE_SIZE:
                break
            page += 1
        return str(http.call("POST", self._notes, headers, {"body": text}).json()["id"])

    def fork(self) -> str | None:
        """A merge request whose source project is not the target one (GitLab sets both
        paths in merge request pipelines)."""
        source = self.environ.get("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", "")
        target = self.environ.get("CI_MERGE_REQUEST_PROJECT_PATH", "")
        return source if source and target and source != target else None

    def download_reviewed(self, folder: Path) -> bool:
        found = sorted(self.plans.glob("*.json"))
        folder.mkdir(parents=True, exist_ok=True)
        for path in found:
            (folder / path.name).write_bytes(path.read_bytes())
        return bool(found)


def _unzip(archive: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        for member in bundle.namelist():
            name = Path(member).name  # flat: never write outside the folder
            if name.endswith(".json"):
                (folder / name).write_bytes(bundle.read(member))
