"""http.Request and http.Download against a real HTTP server on 127.0.0.1 (stdlib, in a thread).

The server records what it received, so each test checks both sides: what the task sent and
what it made of the answer. The last tests run whole flows with `kflow run`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import ssl
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kflow.cli import main
from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.storage import LocalStorage
from kflow.runtime_shims.tasks import implementation

REQUEST = "io.kestra.plugin.core.http.Request"
DOWNLOAD = "io.kestra.plugin.core.http.Download"
PASSWORD = "pa55-w0rd-xyz"
TOKEN = "tok-123-secret"
CSV = b"id,name\n1,ada\n2,grace\n"


# -- the server ----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[dict[str, Any]]
    release: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a stopped task) is expected here; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        seen = {
            "method": self.command,
            "path": parts.path,
            "target": self.path,
            "query": parse_qs(parts.query),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", errors="replace"),
        }
        self.server.seen.append(seen)
        path = parts.path
        if path == "/echo":
            self._reply(200, json.dumps(seen).encode(), "application/json", {"X-Multi": ["a", "b"]})
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._reply(code, f"status {code} body".encode(), "text/plain")
        elif path == "/redirect":
            self._reply(302, b"", "text/plain", {"Location": ["/echo"]})
        elif path == "/slow":
            self.server.release.wait(10)
            self._reply(200, b"late", "text/plain")
        elif path == "/files/data.csv":
            self._reply(200, CSV, "text/csv")
        elif path == "/attachment":
            disposition = 'attachment; filename="../report 1.txt"'
            self._reply(200, b"report", "text/plain", {"Content-Disposition": [disposition]})
        elif path == "/empty":
            self._reply(200, b"", "text/plain")
        elif path == "/protected":
            # echoes the credentials it got, as some servers do in their error pages
            given = self.headers.get("Authorization", "")
            if given == "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode():
                self._reply(200, b"welcome", "text/plain")
            else:
                self._reply(401, f"bad credentials: {given}".encode(), "text/plain")
        elif path == "/digest":
            if _digest_ok(self.command, self.headers.get("Authorization", "")):
                self._reply(200, b"digest welcome", "text/plain")
            else:
                challenge = f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth"'
                self._reply(401, b"", "text/plain", {"WWW-Authenticate": [challenge]})
        else:
            self._reply(404, b"no such page", "text/plain")

    def _reply(
        self,
        code: int,
        body: bytes,
        content_type: str,
        headers: dict[str, list[str]] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, values in (headers or {}).items():
            for value in values:
                self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


REALM, NONCE = "kflow-tests", "abc123"


def _digest_ok(method: str, header: str) -> bool:
    """Whether `header` is an RFC 7616 (MD5, qop=auth) answer for user/PASSWORD."""
    if not header.startswith("Digest "):
        return False
    fields = dict(
        (key.strip(), value.strip().strip('"'))
        for key, _, value in (part.partition("=") for part in header[7:].split(","))
    )

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"user:{REALM}:{PASSWORD}")
    ha2 = md5(f"{method}:{fields.get('uri')}")
    expected = md5(
        f"{ha1}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:{fields.get('qop')}:{ha2}"
    )
    return fields.get("username") == "user" and fields.get("response") == expected


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    httpd.release = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


def base(httpd: _Server) -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}"


# -- running one task ------------------------------------------------------------------------------


@dataclass
class Run:
    """Runs HTTP tasks with a real LocalStorage and the templating shim; keeps the logs."""

    storage: LocalStorage
    logs: list[tuple[str, str]] = field(default_factory=list)

    def context(self, type_name: str) -> TaskContext:
        from kflow.runtime_shims.templating import render_value

        variables: dict[str, Any] = {
            "flow": {"id": "flow", "namespace": "dev"},
            "execution": {"id": "exec1"},
            "task": {"id": "t1", "type": type_name},
            "taskrun": {"id": "run1"},
            "outputs": {},
            "inputs": {},
            "vars": {"password": PASSWORD},
        }
        return TaskContext(
            execution_id="exec1",
            namespace="dev",
            flow_id="flow",
            task_id="t1",
            task_run_id="run1",
            task_type=type_name,
            variables=variables,
            storage=self.storage,
            log=lambda level, message: self.logs.append((level, message)),
            renderer=render_value,
        )

    def __call__(self, type_name: str, **props: Any) -> dict[str, Any]:
        run = implementation(type_name)
        assert run is not None
        return run(self.context(type_name), props)

    def fails(self, type_name: str, **props: Any) -> str:
        with pytest.raises(TaskFailure) as caught:
            self(type_name, **props)
        return str(caught.value)

    def log_text(self) -> str:
        return "\n".join(message for _, message in self.logs)


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(LocalStorage(tmp_path / "storage"))


# -- Request: what is sent -------------------------------------------------------------------------


def test_get_with_params_and_headers(run: Run, server: _Server) -> None:
    out = run(
        REQUEST,
        uri=base(server) + "/echo?fixed=1",
        params={"q": "{{ 'kestra' | upper }}", "tags": ["a", "b"]},
        headers={"X-Trace": "{{ flow.id }}-42"},
    )
    seen = server.seen[-1]
    assert seen["method"] == "GET"
    assert seen["query"] == {"fixed": ["1"], "q": ["KESTRA"], "tags": ["a", "b"]}
    assert seen["headers"]["x-trace"] == "flow-42"
    assert seen["headers"]["user-agent"] == "kflow"
    assert out["code"] == 200
    assert out["uri"] == base(server) + "/echo?fixed=1&q=KESTRA&tags=a&tags=b"
    # the body is text, as in Kestra: JSON is not parsed
    assert isinstance(out["body"], str) and json.loads(out["body"])["path"] == "/echo"
    assert out["headers"]["Content-Type"] == ["application/json"]
    assert out["headers"]["X-Multi"] == ["a", "b"]
    assert set(out) == {"uri", "code", "headers", "body"}
    assert ("INFO", f"GET {out['uri']}: HTTP 200 OK, {len(out['body'])} bytes") in run.logs


def test_post_json_body(run: Run, server: _Server) -> None:
    run(REQUEST, uri=base(server) + "/echo", method="post", body='{"title": "{{ flow.id }}"}')
    seen = server.seen[-1]
    assert seen["method"] == "POST"
    assert json.loads(seen["body"]) == {"title": "flow"}
    assert seen["headers"]["content-type"] == "application/json; charset=UTF-8"


def test_form_data_is_url_encoded(run: Run, server: _Server) -> None:
    run(
        REQUEST,
        uri=base(server) + "/echo",
        method="POST",
        formData={"user": "ada lovelace", "n": 3, "flow": "{{ flow.id }}"},
    )
    seen = server.seen[-1]
    assert seen["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(seen["body"]) == {"user": ["ada lovelace"], "n": ["3"], "flow": ["flow"]}


def test_form_data_with_a_storage_file_is_multipart(run: Run, server: _Server) -> None:
    uri = run.storage.put("in/data.csv", CSV)
    run(
        REQUEST,
        uri=base(server) + "/echo",
        method="POST",
        formData={"file": uri, "named": {"name": "renamed.csv", "content": uri}, "note": "hi"},
    )
    seen = server.seen[-1]
    assert seen["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    body = seen["body"]
    assert 'name="file"; filename="data.csv"' in body
    assert 'name="named"; filename="renamed.csv"' in body
    assert 'name="note"\r\n\r\nhi\r\n' in body
    assert body.count(CSV.decode()) == 2


def test_basic_auth_reaches_the_server(run: Run, server: _Server) -> None:
    out = run(
        REQUEST,
        uri=base(server) + "/protected",
        options={"auth": {"type": "BASIC", "username": "user", "password": "{{ vars.password }}"}},
    )
    assert out["body"] == "welcome"
    # the deprecated flat form means the same
    out = run(
        REQUEST,
        uri=base(server) + "/protected",
        options={"basicAuthUser": "user", "basicAuthPassword": PASSWORD},
    )
    assert out["body"] == "welcome"
    assert PASSWORD not in run.log_text()


def test_bearer_auth_reaches_the_server(run: Run, server: _Server) -> None:
    run(REQUEST, uri=base(server) + "/echo", options={"auth": {"type": "BEARER", "token": TOKEN}})
    assert server.seen[-1]["headers"]["authorization"] == f"Bearer {TOKEN}"


def test_digest_auth_answers_the_challenge(run: Run, server: _Server) -> None:
    out = run(
        REQUEST,
        uri=base(server) + "/digest",
        options={"auth": {"type": "DIGEST", "username": "user", "password": PASSWORD}},
    )
    assert out["body"] == "digest welcome"
    assert [s["path"] for s in server.seen] == ["/digest", "/digest"]
    message = run.fails(
        REQUEST,
        uri=base(server) + "/digest",
        options={"auth": {"type": "DIGEST", "username": "user", "password": "wrong"}},
    )
    assert "HTTP 401 Unauthorized" in message


def test_http_proxy_gets_the_request(run: Run, server: _Server) -> None:
    host, port = server.server_address[:2]
    out = run(
        REQUEST,
        uri="http://kflow.invalid/echo?x=1",
        options={
            "proxy": {
                "type": "HTTP",
                "address": str(host),
                "port": port,
                "username": "px",
                "password": PASSWORD,
            }
        },
    )
    seen = server.seen[-1]
    # a proxy is sent the whole URL, and its own credentials
    assert seen["target"] == "http://kflow.invalid/echo?x=1"
    expected = base64.b64encode(f"px:{PASSWORD}".encode()).decode()
    assert seen["headers"]["proxy-authorization"] == f"Basic {expected}"
    assert out["code"] == 200 and out["uri"] == "http://kflow.invalid/echo?x=1"
    # the deprecated flat form means the same
    run(REQUEST, uri="http://kflow.invalid/echo", options={"proxyAddress": host, "proxyPort": port})
    assert server.seen[-1]["target"] == "http://kflow.invalid/echo"


def test_wrong_password_fails_without_showing_it(run: Run, server: _Server) -> None:
    wrong = "not-the-" + PASSWORD
    message = run.fails(
        REQUEST,
        uri=base(server) + "/protected",
        options={"auth": {"type": "BASIC", "username": "user", "password": wrong}},
        headers={"X-Api-Key": "x"},
    )
    assert message.startswith(f"http.Request: HTTP 401 Unauthorized from {base(server)}/protected")
    # the server echoed the Authorization header back: its value is masked in the message
    echoed = base64.b64encode(f"user:{wrong}".encode()).decode()
    assert "bad credentials: Basic ******" in message
    assert wrong not in message and echoed not in message


def test_url_password_is_used_but_never_shown(run: Run, server: _Server) -> None:
    host_port = base(server).removeprefix("http://")
    out = run(REQUEST, uri=f"http://user:{PASSWORD}@{host_port}/protected")
    assert out["body"] == "welcome"
    assert out["uri"] == f"http://user@{host_port}/protected"
    assert PASSWORD not in run.log_text()
    message = run.fails(REQUEST, uri=f"http://user:{PASSWORD}@{host_port}/status/500")
    assert PASSWORD not in message and f"http://user@{host_port}/status/500" in message


# -- Request: response codes -----------------------------------------------------------------------


def test_404_fails_with_a_readable_message(run: Run, server: _Server) -> None:
    message = run.fails(REQUEST, uri=base(server) + "/status/404")
    assert message == f"http.Request: HTTP 404 Not Found from {base(server)}/status/404\n" + (
        "status 404 body"
    )


def test_404_with_allow_failed_succeeds(run: Run, server: _Server) -> None:
    out = run(REQUEST, uri=base(server) + "/status/404", options={"allowFailed": True})
    assert out["code"] == 404 and out["body"] == "status 404 body"
    # the deprecated top-level form, and a template
    out = run(REQUEST, uri=base(server) + "/status/500", allowFailed="{{ 1 == 1 }}")
    assert out["code"] == 500


def test_allowed_response_codes(run: Run, server: _Server) -> None:
    out = run(REQUEST, uri=base(server) + "/status/404", options={"allowedResponseCodes": [404]})
    assert out["code"] == 404
    # any code outside the list fails, a 200 too
    message = run.fails(
        REQUEST, uri=base(server) + "/echo", options={"allowedResponseCodes": [201, 404]}
    )
    assert "HTTP 200 OK from" in message and "allowedResponseCodes: [201, 404]" in message


def test_redirects_followed_or_not(run: Run, server: _Server) -> None:
    out = run(REQUEST, uri=base(server) + "/redirect")
    assert out["code"] == 200 and [s["path"] for s in server.seen] == ["/redirect", "/echo"]
    out = run(REQUEST, uri=base(server) + "/redirect", options={"followRedirects": False})
    assert out["code"] == 302 and out["headers"]["Location"] == ["/echo"]
    assert len(server.seen) == 3


def test_head_has_no_body(run: Run, server: _Server) -> None:
    out = run(REQUEST, uri=base(server) + "/files/data.csv", method="HEAD")
    assert out["code"] == 200 and "body" not in out
    assert out["headers"]["Content-Length"] == [str(len(CSV))]


def test_encrypt_body_is_refused_before_sending(run: Run, server: _Server) -> None:
    message = run.fails(REQUEST, uri=base(server) + "/echo", encryptBody=True)
    assert "encryptBody: true is not supported" in message
    assert server.seen == []


# -- network failures ------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_fails_readably(run: Run) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/x"
    message = run.fails(REQUEST, uri=url)
    assert message.startswith(f"http.Request: cannot connect to {url}: ")
    assert "refused" in message.lower() and "Traceback" not in message


def test_read_timeout_fails_readably(run: Run, server: _Server) -> None:
    started = time.monotonic()
    message = run.fails(
        REQUEST, uri=base(server) + "/slow", options={"timeout": {"readIdleTimeout": "PT0.3S"}}
    )
    assert time.monotonic() - started < 5
    assert message == (
        f"http.Request: no data from {base(server)}/slow for too long "
        "(options.timeout.readIdleTimeout)"
    )


def test_bad_uri_and_options_fail_readably(run: Run) -> None:
    assert "is not an http:// or https:// URL" in run.fails(REQUEST, uri="ftp://example.com/x")
    assert "is not an http:// or https:// URL" in run.fails(REQUEST, uri="no-scheme")
    message = run.fails(
        REQUEST, uri="http://127.0.0.1:1/", options={"timeout": {"connectTimeout": "soon"}}
    )
    assert message.startswith("http.Request: options.timeout.connectTimeout: 'soon' is not")


def test_a_stopped_task_ends_at_once(run: Run, server: _Server) -> None:
    context = run.context(REQUEST)
    task = implementation(REQUEST)
    assert task is not None
    box: dict[str, BaseException] = {}

    def call() -> None:
        try:
            task(context, {"uri": base(server) + "/slow"})
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    while not server.seen:  # the request reached the server: the task waits for its answer
        time.sleep(0.01)
    context.stop()
    thread.join(3)
    assert not thread.is_alive()
    assert isinstance(box["error"], TaskFailure)
    assert str(box["error"]) == f"http.Request: stopped while talking to {base(server)}/slow"


def test_self_signed_certificate_is_refused_unless_trusted(run: Run, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=kflow"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.release = [], threading.Event()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}/echo"
        message = run.fails(REQUEST, uri=url)
        assert message.startswith(f"http.Request: TLS certificate of {url} not trusted")
        assert "insecureTrustAllCertificates" in message
        out = run(REQUEST, uri=url, options={"ssl": {"insecureTrustAllCertificates": True}})
        assert out["code"] == 200
        # the deprecated top-level form
        out = run(REQUEST, uri=url, sslOptions={"insecureTrustAllCertificates": "{{ true }}"})
        assert out["code"] == 200
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- Download --------------------------------------------------------------------------------------


def test_download_streams_the_body_to_storage(run: Run, server: _Server) -> None:
    out = run(DOWNLOAD, uri=base(server) + "/files/data.csv")
    assert out["code"] == 200 and out["length"] == len(CSV)
    assert out["uri"].startswith("kestra:///dev/flow/executions/exec1/tasks/t1/run1/")
    assert out["uri"].endswith("/data.csv")
    assert run.storage.path(out["uri"]).read_bytes() == CSV
    assert out["headers"]["Content-Type"] == ["text/csv"]
    assert set(out) == {"uri", "code", "headers", "length"}


def test_download_names_the_file_from_content_disposition(run: Run, server: _Server) -> None:
    out = run(DOWNLOAD, uri=base(server) + "/attachment")
    # the directories of the header's name are dropped
    assert out["uri"].endswith("/report%201.txt")
    assert run.storage.path(out["uri"]).read_bytes() == b"report"


def test_download_of_an_empty_body(run: Run, server: _Server) -> None:
    message = run.fails(DOWNLOAD, uri=base(server) + "/empty")
    assert message.startswith(f"http.Download: empty response from {base(server)}/empty")
    out = run(DOWNLOAD, uri=base(server) + "/empty", failOnEmptyResponse=False)
    assert out["length"] == 0 and run.storage.path(out["uri"]).read_bytes() == b""
    assert ("WARN", f"File '{base(server)}/empty' is empty") in run.logs


def test_download_fails_on_404_unless_allowed(run: Run, server: _Server) -> None:
    message = run.fails(DOWNLOAD, uri=base(server) + "/status/404")
    assert message == (
        f"http.Download: HTTP 404 Not Found from {base(server)}/status/404\nstatus 404 body"
    )
    out = run(DOWNLOAD, uri=base(server) + "/status/404", options={"allowFailed": True})
    assert out["code"] == 404
    assert run.storage.path(out["uri"]).read_bytes() == b"status 404 body"


# -- whole flows -----------------------------------------------------------------------------------


def _run_flow(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> tuple[int, dict[str, Any], str]:
    flow = tmp_path / "flow.yml"
    flow.write_text(textwrap.dedent(text), encoding="utf-8")
    state = str(tmp_path / "state")
    code = main(["run", str(flow), "--output", "json", "--state-dir", state])
    report = json.loads(capsys.readouterr().out)
    assert main(["executions", "logs", "--id", report["id"], "--state-dir", state]) == 0
    return code, report, capsys.readouterr().out


def test_flow_reads_a_downloaded_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: _Server
) -> None:
    code, report, logs = _run_flow(
        capsys,
        tmp_path,
        f"""
        id: fetch
        namespace: dev.http
        tasks:
          - id: dl
            type: {DOWNLOAD}
            uri: {base(server)}/files/data.csv
          - id: size
            type: io.kestra.plugin.core.storage.Size
            uri: "{{{{ outputs.dl.uri }}}}"
          - id: post
            type: {REQUEST}
            uri: {base(server)}/echo
            method: POST
            body: "size={{{{ outputs.size.size }}}} code={{{{ outputs.dl.code }}}}"
        """,
    )
    assert code == 0, report
    outputs = {run["taskId"]: run["outputs"] for run in report["taskRuns"]}
    assert outputs["size"] == {"size": len(CSV)}
    assert server.seen[-1]["body"] == f"size={len(CSV)} code=200"
    assert outputs["post"]["code"] == 200
    assert f"GET {base(server)}/files/data.csv: HTTP 200 OK, {len(CSV)} bytes" in logs


def test_flow_failure_hides_the_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: _Server
) -> None:
    code, report, logs = _run_flow(
        capsys,
        tmp_path,
        f"""
        id: login
        namespace: dev.http
        tasks:
          - id: call
            type: {REQUEST}
            uri: {base(server)}/protected
            options:
              logs: [REQUEST_HEADERS, RESPONSE_BODY]
              auth:
                type: BASIC
                username: user
                password: wrong-{PASSWORD}
        """,
    )
    assert code == 1 and report["state"] == "FAILED"
    assert "HTTP 401 Unauthorized" in logs
    assert "Authorization: ******" in logs
    everything = json.dumps(report) + logs
    assert PASSWORD not in everything
    assert base64.b64encode(f"user:wrong-{PASSWORD}".encode()).decode() not in everything


def test_flow_task_timeout_stops_a_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: _Server
) -> None:
    started = time.monotonic()
    code, report, logs = _run_flow(
        capsys,
        tmp_path,
        f"""
        id: slow
        namespace: dev.http
        tasks:
          - id: call
            type: {REQUEST}
            uri: {base(server)}/slow
            timeout: PT0.5S
        """,
    )
    assert code == 1 and report["state"] == "FAILED"
    assert "timed out after PT0.5S" in logs
    assert time.monotonic() - started < 8
