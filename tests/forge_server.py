"""Small GitHub and GitLab REST APIs on 127.0.0.1 for the CI tests: pull-request comments
and merge-request notes, each with its author, recording every request.

Each behaviour follows GitHub's REST documentation (API version 2022-11-28):

* comments: https://docs.github.com/en/rest/issues/comments — list (``per_page``, ``page``,
  oldest first), create (201), update (``PATCH /repos/{o}/{r}/issues/comments/{id}``); each
  comment carries ``user.login``, its author: a workflow's ``GITHUB_TOKEN`` posts as
  ``github-actions[bot]`` (https://docs.github.com/en/actions/security-for-github-actions/
  security-guides/automatic-token-authentication), and an edit keeps the author;
* every API call needs ``Authorization: Bearer <token>``, else ``401``;
* the read-only ``GITHUB_TOKEN`` of a workflow run for a pull request from a fork
  (https://docs.github.com/en/actions/security-guides/automatic-token-authentication
  "Permissions for the GITHUB_TOKEN": read access only for pull requests from forks) reads,
  and any write is answered ``403`` with the body GitHub sends when a token lacks the
  permission, ``{"message": "Resource not accessible by integration", "documentation_url":
  …}`` (as reported in jayamanikharyono/airflow-dag-action#23 and
  microsoft/azure-pipelines-tasks#20278 for a comment on a pull request from a fork).

* issues: https://docs.github.com/en/rest/issues/issues — list (``GET /repos/{o}/{r}/issues``,
  ``state`` open by default, ``per_page``, ``page``; pull requests are listed too, with a
  ``pull_request`` key), create (``POST``, ``title`` and ``body``, 201, ``user.login`` the
  token's account), update (``PATCH .../issues/{number}``: ``body``, ``state: closed``,
  ``state_reason``); a comment on an issue is one on ``/issues/{number}/comments``;
* deployments: https://docs.github.com/en/rest/deployments/deployments — list
  (``GET /repos/{o}/{r}/deployments``, filtered by ``environment``, ``task``, ``sha``, ``ref``;
  newest first), create (``POST``, 201; ``ref`` required, ``payload`` kept as given, ``task``
  defaults to ``deploy``, ``creator.login`` the token's account); statuses
  (https://docs.github.com/en/rest/deployments/statuses: ``POST .../deployments/{id}/statuses``
  with ``state``, 201). A job's token lacking the ``deployments`` permission is answered 403
  "Resource not accessible by integration";
* environments: https://docs.github.com/en/rest/deployments/environments ("Get an
  environment": ``GET /repos/{o}/{r}/environments/{name}``, 404 when there is none, else its
  ``protection_rules``, each with a ``type``: ``required_reviewers`` (with ``reviewers``),
  ``wait_timer``, ``branch_policy``); GitHub creates an environment a job names that does not
  exist, without any protection rule
  (https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/
  managing-deployments/managing-environments-for-deployment: "Referencing an environment that
  does not exist will create an environment with the referenced name").

GitLab, https://docs.gitlab.com/ee/api/notes.html (merge requests): ``GET``/``POST``
``/api/v4/projects/{id}/merge_requests/{iid}/notes`` (``per_page``, ``page``; newest first by
default), ``PUT .../notes/{note_id}``; each note carries ``author`` (``id``, ``username``).
https://docs.gitlab.com/ee/api/users.html: ``GET /api/v4/user`` is the token's user.
https://docs.gitlab.com/ee/api/commits.html ("List merge requests associated with a commit"):
``GET /api/v4/projects/{id}/repository/commits/{sha}/merge_requests``. Authenticated by a
``PRIVATE-TOKEN`` header, else ``401``.
https://docs.gitlab.com/ee/api/project_level_variables.html: ``GET``/``PUT``
``/api/v4/projects/{id}/variables/{key}`` (404 ``{"message": "404 Variable Not Found"}`` when
there is none), ``POST /api/v4/projects/{id}/variables`` (``key``, ``value``; 201).
https://docs.gitlab.com/ee/api/protected_environments.html: ``GET
/api/v4/projects/{id}/protected_environments/{name}``, 404 when the environment is not
protected, else its ``deploy_access_levels`` and ``required_approval_count``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

REPOSITORY = "acme/identity-config"
TOKEN = "ghs_fake_token_for_tests_0c1d"
BOT = "github-actions[bot]"  # who TOKEN posts as
READ_ONLY_TOKEN = "ghs_fake_read_only_token_of_a_fork_run_7e2a"
NOT_ACCESSIBLE = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    "status": "403",
}
REQUIRED_REVIEWERS = {
    "id": 3755,
    "node_id": "MDQ6R2F0ZTM3NTU=",
    "type": "required_reviewers",
    "reviewers": [{"type": "Team", "reviewer": {"id": 1, "slug": "identity-admins"}}],
}
APPROVAL_ENVIRONMENTS = ("dev", "prod", "dev-allow-weaken", "prod-allow-weaken")
GITLAB_TOKEN = "glpat-fake-token-for-tests-93a1"
GITLAB_USER = {"id": 7, "username": "reconciler-bot"}  # GITLAB_TOKEN's user
GITLAB_PROJECT = "4711"
MERGE_REQUEST = 42
MERGE_COMMIT = "d4a1c0ffee5ba5eba11c0ffee5ba5eba11c0ffe"  # what merge request 42 merged into


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    authorized: bool
    body: Any


class FakeForge:
    def __init__(self) -> None:
        self.comments: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.merged = False  # merge request 42 merged (as MERGE_COMMIT)
        self.deployments: list[dict[str, Any]] = []
        self.statuses: dict[int, list[dict[str, Any]]] = {}
        # GitHub Environments: name -> protection rules (each approval environment the docs
        # ask for, with required reviewers); GitLab protected environments likewise.
        self.environments: dict[str, list[dict[str, Any]]] = {
            name: [REQUIRED_REVIEWERS] for name in APPROVAL_ENVIRONMENTS
        }
        self.protected_environments: set[str] = set(APPROVAL_ENVIRONMENTS)
        self.variables: dict[str, str] = {}  # GitLab project CI/CD variables
        self.issues: list[dict[str, Any]] = []  # GitHub issues (numbered from 1)
        self.denied: set[str] = set()  # permissions TOKEN's job was not given
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._next_id = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # Polled every 10 ms, so stop() returns at once (the default 0.5 s poll made each
        # test's teardown wait up to half a second).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )

    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeForge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_comment(self, body: str, login: str = "octocat") -> None:
        with self._lock:
            self.comments.append({"id": self._new_id(), "body": body, "user": {"login": login}})

    def add_note(self, body: str, author: dict[str, Any]) -> None:
        with self._lock:
            self.notes.append({"id": self._new_id(), "body": body, "author": author})

    def calls(self, method: str, prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                authorized = self.headers.get("Authorization") == f"Bearer {TOKEN}"
                with fake._lock:
                    fake.requests.append(Recorded(method, parts.path, query, authorized, body))
                    if parts.path.startswith("/api/v4/"):
                        token = self.headers.get("PRIVATE-TOKEN")
                        status, payload, headers = fake._gitlab(
                            method, parts.path, query, body, token
                        )
                    else:
                        status, payload, headers = fake._answer(
                            method, parts.path, query, body, self.headers.get("Authorization")
                        )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _answer(
        self, method: str, path: str, query: dict[str, str], body: Any, authorization: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        if authorization == f"Bearer {READ_ONLY_TOKEN}" and method != "GET":
            return 403, NOT_ACCESSIBLE, {}
        if authorization not in (f"Bearer {TOKEN}", f"Bearer {READ_ONLY_TOKEN}"):
            return 401, {"message": "Bad credentials"}, {}
        prefix = f"/repos/{REPOSITORY}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        return self._route(method, path[len(prefix) :].strip("/").split("/"), query, body)

    def _gitlab(
        self, method: str, path: str, query: dict[str, str], body: Any, token: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        if token != GITLAB_TOKEN:
            return 401, {"message": "401 Unauthorized"}, {}
        project = f"/api/v4/projects/{GITLAB_PROJECT}"
        notes = f"{project}/merge_requests/{MERGE_REQUEST}/notes"
        newest_first = list(reversed(self.notes))
        if method == "GET" and path == "/api/v4/user":
            return 200, GITLAB_USER, {}
        answer = self._gitlab_environments(method, path, body)
        if answer is not None:
            return answer
        if method == "GET" and path.startswith(f"{project}/repository/commits/"):
            sha = path.split("/")[-2]
            merged = self.merged and sha == MERGE_COMMIT
            request = {"iid": MERGE_REQUEST, "state": "merged", "merge_commit_sha": sha}
            return 200, [request] if merged else [], {}
        if method == "GET" and path == notes:
            per_page, page = int(query.get("per_page", 20)), int(query.get("page", 1))
            return 200, newest_first[(page - 1) * per_page : page * per_page], {}
        if method == "POST" and path == notes:
            note = {"id": self._new_id(), "body": body["body"], "author": dict(GITLAB_USER)}
            self.notes.append(note)
            return 201, note, {}
        for note in self.notes:
            if method == "PUT" and path == f"{notes}/{note['id']}":
                note["body"] = body["body"]
                return 200, note, {}
        return 404, {"message": "404 Not found"}, {}

    def _gitlab_environments(
        self, method: str, path: str, body: Any
    ) -> tuple[int, Any, dict[str, str]] | None:
        project = f"/api/v4/projects/{GITLAB_PROJECT}"
        if path.startswith(f"{project}/protected_environments/") and method == "GET":
            name = unquote(path.rsplit("/", 1)[1])
            if name not in self.protected_environments:
                return 404, {"message": "404 Not found"}, {}
            access = [{"access_level": 40, "access_level_description": "Maintainers"}]
            protected = {"name": name, "deploy_access_levels": access}
            return 200, {**protected, "required_approval_count": 0}, {}
        if path == f"{project}/variables" and method == "POST":
            self.variables[body["key"]] = body["value"]
            return 201, {"key": body["key"], "value": body["value"]}, {}
        if path.startswith(f"{project}/variables/"):
            key = path.rsplit("/", 1)[1]
            if key not in self.variables:
                return 404, {"message": "404 Variable Not Found"}, {}
            if method == "PUT":
                self.variables[key] = body["value"]
            return 200, {"key": key, "value": self.variables[key]}, {}
        return None

    def _route(
        self, method: str, parts: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        answer = (
            self._issues(method, parts, query, body)
            or self._deployments(method, parts, query, body)
            or self._environment(method, parts)
        )
        return answer or (404, {"message": "Not Found"}, {})

    def _deployments(
        self, method: str, parts: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]] | None:
        if parts[:1] != ["deployments"]:
            return None
        if "deployments" in self.denied:
            return 403, NOT_ACCESSIBLE, {}
        match method, parts:
            case "GET", ["deployments"]:
                filters = {k: v for k, v in query.items() if k in ("environment", "task", "sha")}
                found = [
                    d
                    for d in reversed(self.deployments)
                    if all(str(d.get(k)) == v for k, v in filters.items())
                ]
                return 200, found[: int(query.get("per_page", 30))], {}
            case "POST", ["deployments"]:
                deployment = {
                    "id": self._new_id(),
                    "sha": body["ref"],
                    "ref": body["ref"],
                    "task": body.get("task", "deploy"),
                    "payload": body.get("payload", {}),
                    "environment": body.get("environment", "production"),
                    "description": body.get("description"),
                    "creator": {"login": BOT},
                }
                self.deployments.append(deployment)
                return 201, deployment, {}
            case "POST", ["deployments", deployment_id, "statuses"]:
                status = {"id": self._new_id(), "state": body["state"]}
                self.statuses.setdefault(int(deployment_id), []).append(status)
                return 201, status, {}
        return None

    def _environment(self, method: str, parts: list[str]) -> tuple[int, Any, dict[str, str]] | None:
        if method != "GET" or len(parts) != 2 or parts[0] != "environments":
            return None
        if "actions" in self.denied:
            return 403, NOT_ACCESSIBLE, {}
        rules = self.environments.get(parts[1])
        if rules is None:
            return 404, {"message": "Not Found"}, {}
        return 200, {"id": 161088068, "name": parts[1], "protection_rules": rules}, {}

    def _issues(
        self, method: str, parts: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]] | None:
        match method, parts:
            case "GET", ["issues"]:
                state = query.get("state", "open")
                listed = [i for i in self.issues if state == "all" or i["state"] == state]
                per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                return 200, listed[(page - 1) * per_page : page * per_page], {}
            case "POST", ["issues"]:
                number = len(self.issues) + 1
                issue = {"number": number, "state": "open", "user": {"login": BOT}, **body}
                self.issues.append(issue)
                return 201, issue, {}
            case "PATCH", ["issues", number] if number.isdigit():
                (issue,) = [i for i in self.issues if i["number"] == int(number)]
                issue.update(body)
                return 200, issue, {}
            case "GET", ["issues", _, "comments"]:
                per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                return 200, self.comments[(page - 1) * per_page : page * per_page], {}
            case "POST", ["issues", number, "comments"]:
                comment = {"id": self._new_id(), "body": body["body"], "user": {"login": BOT}}
                comment["issue_number"] = int(number)
                self.comments.append(comment)
                return 201, comment, {}
            case "PATCH", ["issues", "comments", comment_id]:
                for comment in self.comments:
                    if str(comment["id"]) == comment_id:
                        comment["body"] = body["body"]
                        return 200, comment, {}
        return None
