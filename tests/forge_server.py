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

GitLab, https://docs.gitlab.com/ee/api/notes.html (merge requests): ``GET``/``POST``
``/api/v4/projects/{id}/merge_requests/{iid}/notes`` (``per_page``, ``page``; newest first by
default), ``PUT .../notes/{note_id}``; each note carries ``author`` (``id``, ``username``).
https://docs.gitlab.com/ee/api/users.html: ``GET /api/v4/user`` is the token's user.
https://docs.gitlab.com/ee/api/commits.html ("List merge requests associated with a commit"):
``GET /api/v4/projects/{id}/repository/commits/{sha}/merge_requests``. Authenticated by a
``PRIVATE-TOKEN`` header, else ``401``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPOSITORY = "acme/identity-config"
TOKEN = "ghs_fake_token_for_tests_0c1d"
BOT = "github-actions[bot]"  # who TOKEN posts as
READ_ONLY_TOKEN = "ghs_fake_read_only_token_of_a_fork_run_7e2a"
NOT_ACCESSIBLE = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    "status": "403",
}
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
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._next_id = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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

    def _route(
        self, method: str, parts: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        answer = self._issues(method, parts, query, body)
        return answer or (404, {"message": "Not Found"}, {})

    def _issues(
        self, method: str, parts: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]] | None:
        match method, parts:
            case "GET", ["issues", _, "comments"]:
                per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                return 200, self.comments[(page - 1) * per_page : page * per_page], {}
            case "POST", ["issues", _, "comments"]:
                comment = {"id": self._new_id(), "body": body["body"], "user": {"login": BOT}}
                self.comments.append(comment)
                return 201, comment, {}
            case "PATCH", ["issues", "comments", comment_id]:
                for comment in self.comments:
                    if str(comment["id"]) == comment_id:
                        comment["body"] = body["body"]
                        return 200, comment, {}
        return None
