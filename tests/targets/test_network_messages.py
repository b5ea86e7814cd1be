"""A request that gets no answer says why, in the words of its cause: refused, unknown host,
TLS handshake or certificate, timeout, a URL without a scheme; never only the class httpx
wraps it in (``ConnectError``, ``UnsupportedProtocol``). Real sockets on 127.0.0.1."""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import RemoteError
from reconciler.targets.client import OryClient, fetch_public
from reconciler.targets.retry import RetryPolicy

ONCE = RetryPolicy(attempts=1)
PROJECT = "6f0cae50-0000-4000-8000-000000000000"


def _no_answer(base_url: str, timeout: float = 5.0) -> str:
    client = OryClient(base_url, "ory_wak_test", timeout=timeout, retry=ONCE)
    with client, pytest.raises(RemoteError) as raised:
        client.get_project(PROJECT)
    message = str(raised.value)
    assert "Error" not in message, message  # no exception class stands in for the cause
    return message


@pytest.fixture(scope="module")
def plain_http() -> Iterator[int]:
    """A plain HTTP server: what an https:// URL meets when it names the wrong port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_refused_connection_is_said_to_be_refused() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    message = _no_answer(f"http://127.0.0.1:{port}")
    assert message == (
        f"request to the Ory API at http://127.0.0.1:{port} failed: the connection was refused "
        "(nothing listens on that host and port)"
    )


def test_an_unknown_host_is_said_to_be_unknown() -> None:
    message = _no_answer("https://no-such-host.invalid")  # .invalid never resolves (RFC 6761)
    assert message.endswith(
        "failed: unknown host (the DNS lookup found no such name); check the URL"
    )


def test_https_to_a_plain_http_server_is_a_tls_handshake_failure(plain_http: int) -> None:
    message = _no_answer(f"https://127.0.0.1:{plain_http}")
    assert "failed: the TLS handshake failed (" in message
    assert message.endswith("is it an https:// server?")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_a_certificate_nobody_signed_is_said_to_be_refused(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert),
        ],
        check=True,
        capture_output=True,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        message = _no_answer(f"https://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert "failed: its TLS certificate was not accepted (self-signed certificate)" in message
    assert message.endswith("give its CA certificate in SSL_CERT_FILE")


def test_a_server_that_never_answers_is_a_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        message = _no_answer(f"http://127.0.0.1:{port}", timeout=0.2)
    assert message == (
        f"request to the Ory API at http://127.0.0.1:{port} timed out after 0.2 s "
        "(set RECONCILER_TIMEOUT to wait longer)"
    )


def test_a_url_without_a_scheme_is_named_as_such() -> None:
    with pytest.raises(RemoteError) as raised:
        fetch_public("storage.googleapis.com/bac-gcs-x/abc.json")
    assert str(raised.value) == (
        "could not fetch storage.googleapis.com/bac-gcs-x/abc.json: failed: the URL does not "
        "start with https:// (or http://)"
    )
