"""Where a pipeline posts its one plan comment and reads the reviewed one back: GitHub or
GitLab.

The comment is found again by a hidden marker at the start of its body, so every push updates
the same comment instead of adding one. Its second line records, per environment, the digest
of the operations the comment shows (``digests_line``): after merge, the apply job reads it
back through the forge's API, from a comment written by the bot account only (the pull
request's author cannot write as the bot), and applies only a plan with the same digest. Its
body is scrubbed of known secrets (``redact``) on the way out.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from reconciler import redact
from reconciler.ci import http
from reconciler.ci.job_output import JobOutput
from reconciler.errors import ReconcilerError

PAGE_SIZE = 100
DIGESTS = "<!-- reconciler-digests "
# The deployments the apply job records its rotations with (GitHub).
DEPLOYMENT_TASK = "reconciler:apply"
# The account GitHub's workflow token posts as.
GITHUB_ACTIONS_BOT = "github-actions[bot]"


def rotation_variable(environment: str) -> str:
    """The GitLab CI/CD variable holding ``environment``'s rotation record: a key may hold
    letters, digits and ``_`` only, so any other character is written as its code."""
    name = re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}_", environment)
    return f"RECONCILER_ROTATIONS_{name}"


def marker(key: str) -> str:
    return f"<!-- reconciler-plan:{key} -->"


def digests_line(digests: Mapping[str, str]) -> str:
    """The comment's second line: ``{environment: operations digest}`` as JSON inside an HTML
    comment, with ``<``, ``>`` and ``&`` escaped so no name can end the comment."""
    text = json.dumps(dict(sorted(digests.items())), ensure_ascii=True, separators=(",", ":"))
    for char in "<>&":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return f"{DIGESTS}{text} -->"


def read_digests(body: str, key: str) -> dict[str, str] | None:
    """The digests a plan comment records; None when ``body`` is not one (read from the
    start of the body only: nothing the plan shows further down can pose as them)."""
    head, _, rest = body.partition("\n")
    line = rest.split("\n", 1)[0]
    if head != marker(key) or not (line.startswith(DIGESTS) and line.endswith(" -->")):
        return None
    try:
        digests = json.loads(line[len(DIGESTS) : -len(" -->")])
    except ValueError:
        return None
    if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
        return None
    return {str(name): str(digest) for name, digest in digests.items()}


class Forge(Protocol):
    def upsert_comment(self, key: str, body: str, *, merged: bool = False) -> str | None:
        """Create or update the one comment marked ``key`` on the change under review (on the
        merged one after merge: ``merged``); its id, None when not posted."""

    def reviewed_comment(self, key: str) -> str | None:
        """The body of the plan comment marked ``key`` on the merged change, written by the
        bot account (the token's user); None when there is none."""

    def fork(self) -> str | None:
        """The repository the change comes from when it is another one (a fork): its runs
        get no secrets and a read-only token. None when it is this repository's own."""

    def last_applied(self, environment: str) -> object:
        """The rotation record kept with ``environment``'s last successful apply (by the bot
        account), as kept; None when there is none."""

    def approval_problem(self, environment: str) -> str | None:
        """Why the forge's environment ``environment`` (where an apply job runs) does not
        gate the job behind someone's approval; None when it does."""

    def record_applied(self, environment: str, record: Mapping[str, object]) -> None:
        """Keep ``record`` with this successful apply of ``environment``."""


@dataclass
class Refusal:
    """Whether the forge refused what ``warned_if_refused`` wrapped: its status, or None."""

    status: int | None = None


@contextlib.contextmanager
def warned_if_refused(log: JobOutput, say: Callable[[int], str]) -> Iterator[Refusal]:
    """Run the block; when the forge refuses this run's token (401, 403, 404: a read-only
    token of a pull request from a fork, a job without the permission), warn with
    ``say(status)`` instead of failing on a raw error. Any other error goes on."""
    refusal = Refusal()
    try:
        yield refusal
    except http.ForgeError as exc:
        if exc.status not in (401, 403, 404):
            raise
        refusal.status = exc.status
        log.command("warning", say(exc.status))


def post_comment(forge: Forge, log: JobOutput, key: str, body: str) -> str | None:
    """Post or update the comment; when the forge refuses to let this run write, say so in
    the job summary too. Its id, None when not posted."""

    def why(status: int) -> str:
        return (
            f"The comment could not be posted on the pull request: this run's token may not "
            f"write there (the forge answered {status}). A pull request from a fork gets "
            "a read-only token; otherwise give the job `pull-requests: write` (GitHub) or "
            "set GITLAB_API_TOKEN with the api scope (GitLab)."
        )

    with warned_if_refused(log, why) as refusal:
        return forge.upsert_comment(key, body)
    assert refusal.status is not None
    log.summary(why(refusal.status))
    return None


@dataclass(frozen=True)
class GitHub:
    """``GITHUB_*`` variables of a workflow run, a token (``github-token``), and the login
    the plan comment is posted as (``comment-author``)."""

    environ: Mapping[str, str]
    author: str = GITHUB_ACTIONS_BOT

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

    def upsert_comment(self, key: str, body: str, *, merged: bool = False) -> str | None:
        number = self._event()["pull_request"]["number"]  # merged or not: the event's
        text = f"{marker(key)}\n{redact.scrub(body)}"
        for comment in self._comments(number):
            if _marked(comment.get("body"), key) and self._by_bot(comment):
                url = f"{self._api}/issues/comments/{comment['id']}"
                http.call("PATCH", url, self._headers, {"body": text})
                return str(comment["id"])
        url = f"{self._api}/issues/{number}/comments"
        created = http.call("POST", url, self._headers, {"body": text}).json()
        return str(created["id"])

    def _comments(self, number: int) -> Iterator[dict[str, Any]]:
        return self._pages(f"/issues/{number}/comments")

    def _pages(self, path: str, query: str = "") -> Iterator[dict[str, Any]]:
        """Every item of a listed resource, a page at a time, read only as far as needed."""
        page = 1
        while True:
            batch = self._get(f"{path}?{query}per_page={PAGE_SIZE}&page={page}")
            yield from batch
            if len(batch) < PAGE_SIZE:
                return
            page += 1

    def reviewed_comment(self, key: str) -> str | None:
        number = self._event()["pull_request"]["number"]
        found = [
            str(comment["body"])
            for comment in self._comments(number)
            if _marked(comment.get("body"), key) and self._by_bot(comment)
        ]
        return found[-1] if found else None  # the newest, should there be more than one

    def _by_bot(self, comment: dict[str, Any], field: str = "user") -> bool:
        user = comment.get(field)
        return isinstance(user, dict) and user.get("login") == self.author

    def find_issue(self, key: str) -> int | None:
        """The open issue whose body opens with ``key`` (a marker), by the bot; its number.
        The list holds pull requests too (https://docs.github.com/en/rest/issues/issues)."""
        for issue in self._pages("/issues", "state=open&"):
            body = issue.get("body")
            opens = isinstance(body, str) and body.startswith(key + "\n")
            if opens and "pull_request" not in issue and self._by_bot(issue):
                return int(issue["number"])
        return None

    def open_issue(self, key: str, title: str, body: str) -> int:
        text = {"title": title, "body": f"{key}\n{redact.scrub(body)}"}
        created = http.call("POST", f"{self._api}/issues", self._headers, text)
        return int(created.json()["number"])

    def update_issue(self, number: int, key: str, body: str) -> None:
        text = {"body": f"{key}\n{redact.scrub(body)}"}
        http.call("PATCH", f"{self._api}/issues/{number}", self._headers, text)

    def close_issue(self, number: int, comment: str) -> None:
        url = f"{self._api}/issues/{number}"
        http.call("POST", f"{url}/comments", self._headers, {"body": redact.scrub(comment)})
        closed = {"state": "closed", "state_reason": "completed"}
        http.call("PATCH", url, self._headers, closed)

    def approval_problem(self, environment: str) -> str | None:
        """Whether the GitHub Environment exists and has required reviewers; a job naming one
        that does not exist creates it, without any protection."""
        named = f"the GitHub Environment `{environment}`"
        try:
            found = self._get(f"/environments/{quote(environment, safe='')}")
        except http.ForgeError as exc:
            if exc.status == 404:
                return (
                    f"{named} does not exist: GitHub would create it without protection when "
                    "the apply job names it, and the change would apply with nobody's "
                    "approval. Create it (Settings > Environments) with required reviewers"
                )
            if exc.status == 403:
                return (
                    f"{named} cannot be read (the forge answered 403): give the job "
                    "`actions: read`, so that the pipeline can check it requires reviewers"
                )
            raise
        rules = found.get("protection_rules") if isinstance(found, dict) else None
        if not any(
            isinstance(rule, dict) and rule.get("type") == "required_reviewers"
            for rule in rules or []
        ):
            return (
                f"{named} has no required reviewers: the change would apply with nobody's "
                "approval. Add required reviewers to it (Settings > Environments)"
            )
        return None

    def last_applied(self, environment: str) -> object:
        """From the newest deployment of ``environment`` the apply job made (task
        ``reconciler:apply``, by the bot): its payload's record. Deployments come newest
        first (https://docs.github.com/en/rest/deployments/deployments)."""
        query = urlencode({"environment": environment, "task": DEPLOYMENT_TASK, "per_page": 30})
        for deployment in self._get(f"/deployments?{query}"):
            payload = deployment.get("payload")
            if self._by_bot(deployment, "creator") and isinstance(payload, dict):
                return payload.get("rotations")
        return None

    def record_applied(self, environment: str, record: Mapping[str, object]) -> None:
        """A deployment of the merge commit to ``environment`` carrying ``record``, marked
        successful. ``auto_merge: false`` and no required contexts: a record, not a request
        to deploy."""
        pull_request = self._event()["pull_request"]
        sha = pull_request.get("merge_commit_sha") or self.environ["GITHUB_SHA"]
        deployment: dict[str, object] = {
            "ref": sha,
            "task": DEPLOYMENT_TASK,
            "environment": environment,
            "auto_merge": False,
            "required_contexts": [],
            "payload": {"rotations": dict(record)},
            "description": "reconciler apply: the rotate: versions sent",
        }
        created = http.call("POST", f"{self._api}/deployments", self._headers, deployment)
        status = {"state": "success", "description": "applied by reconciler"}
        url = f"{self._api}/deployments/{created.json()['id']}/statuses"
        http.call("POST", url, self._headers, status)


@dataclass(frozen=True)
class GitLab:
    """``CI_*`` variables of a pipeline; ``GITLAB_API_TOKEN`` (api scope) to post the note on a
    merge request and, after merge, to read it back (the note must be by the token's user)."""

    environ: Mapping[str, str]

    def _api(self) -> str:
        return self.environ["CI_API_V4_URL"].rstrip("/")

    def _project(self) -> str:
        return f"{self._api()}/projects/{quote(self.environ['CI_PROJECT_ID'], safe='')}"

    def _notes(self, request: str) -> str:
        return f"{self._project()}/merge_requests/{request}/notes"

    def _headers(self) -> dict[str, str] | None:
        token = self.environ.get("GITLAB_API_TOKEN")
        return {"PRIVATE-TOKEN": token} if token else None

    def upsert_comment(self, key: str, body: str, *, merged: bool = False) -> str | None:
        # The default branch's plan job never posts: it would overwrite the reviewed note.
        headers = self._headers()
        if merged:
            request = self._merged_request(headers)
        else:
            request = self.environ.get("CI_MERGE_REQUEST_IID")
        if headers is None or not request:
            return None  # the plan is still in the job log
        text = f"{marker(key)}\n{redact.scrub(body)}"
        author = self._token_user(headers)
        for note in self._all_notes(request, headers):
            if _marked(note.get("body"), key) and _author_id(note) == author:
                http.call("PUT", f"{self._notes(request)}/{note['id']}", headers, {"body": text})
                return str(note["id"])
        created = http.call("POST", self._notes(request), headers, {"body": text})
        return str(created.json()["id"])

    def reviewed_comment(self, key: str) -> str | None:
        headers = self._headers()
        if headers is None:
            raise ReconcilerError(
                "GITLAB_API_TOKEN is not set: the reviewed plan note cannot be read back"
            )
        request = self._merged_request(headers)
        if request is None:
            return None
        author = self._token_user(headers)
        found = [
            str(note["body"])
            for note in self._all_notes(request, headers)
            if _marked(note.get("body"), key) and _author_id(note) == author
        ]
        return found[0] if found else None  # notes come newest first

    def _merged_request(self, headers: dict[str, str] | None) -> str | None:
        """The merge request this pipeline's commit merged (the default-branch pipeline)."""
        sha = self.environ.get("CI_COMMIT_SHA")
        if headers is None or not sha:
            return None
        url = f"{self._project()}/repository/commits/{sha}/merge_requests"
        merged = [m for m in http.call("GET", url, headers).json() if m.get("state") == "merged"]
        return str(merged[0]["iid"]) if merged else None

    def _token_user(self, headers: dict[str, str]) -> object:
        return http.call("GET", f"{self._api()}/user", headers).json().get("id")

    def _all_notes(self, request: str, headers: dict[str, str]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            url = f"{self._notes(request)}?per_page={PAGE_SIZE}&page={page}"
            batch = http.call("GET", url, headers).json()
            yield from batch
            if len(batch) < PAGE_SIZE:
                return
            page += 1

    def approval_problem(self, environment: str) -> str | None:
        """Whether the environment is protected: only the users it names may run the manual
        apply job (https://docs.gitlab.com/ee/ci/environments/protected_environments.html)."""
        headers = self._headers()
        if headers is None:
            raise ReconcilerError("GITLAB_API_TOKEN is not set: the environment cannot be checked")
        url = f"{self._project()}/protected_environments/{quote(environment, safe='')}"
        try:
            http.call("GET", url, headers)
        except http.ForgeError as exc:
            if exc.status == 404:
                return (
                    f"the GitLab environment `{environment}` is not protected: anyone who may "
                    "run the manual job applies. Protect it (Settings > CI/CD > Protected "
                    "environments) to choose who may"
                )
            raise
        return None

    def last_applied(self, environment: str) -> object:
        """The project CI/CD variable the apply job keeps the record in (JSON); only
        maintainers may write one (https://docs.gitlab.com/ee/api/project_level_variables.html).
        """
        headers = self._headers()
        if headers is None:
            return None
        try:
            answer = http.call("GET", self._variable(environment), headers).json()
        except http.ForgeError as exc:
            if exc.status == 404:
                return None
            raise
        try:
            return json.loads(str(answer.get("value")))
        except ValueError:
            return None

    def record_applied(self, environment: str, record: Mapping[str, object]) -> None:
        headers = self._headers()
        if headers is None:
            raise ReconcilerError("GITLAB_API_TOKEN is not set: the rotation record is not kept")
        value = json.dumps(dict(record), separators=(",", ":"))
        try:
            http.call("PUT", self._variable(environment), headers, {"value": value})
        except http.ForgeError as exc:
            if exc.status != 404:
                raise
            created = {"key": rotation_variable(environment), "value": value, "raw": True}
            http.call("POST", f"{self._project()}/variables", headers, created)

    def _variable(self, environment: str) -> str:
        return f"{self._project()}/variables/{rotation_variable(environment)}"

    def fork(self) -> str | None:
        """A merge request whose source project is not the target one (GitLab sets both
        paths in merge request pipelines)."""
        source = self.environ.get("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", "")
        target = self.environ.get("CI_MERGE_REQUEST_PROJECT_PATH", "")
        return source if source and target and source != target else None


def _marked(body: object, key: str) -> bool:
    """Whether a comment is the plan comment ``key``: the marker opens its body."""
    return isinstance(body, str) and body.startswith(marker(key) + "\n")


def _author_id(note: dict[str, Any]) -> object:
    author = note.get("author")
    return author.get("id") if isinstance(author, dict) else None
