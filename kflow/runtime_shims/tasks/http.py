"""The HTTP tasks: `http.Request` and `http.Download`, with httpx's synchronous client.

What both send (Kestra's `AbstractHttp`):
- `uri` rendered (spaces written `%20`), `method` (default GET, upper-cased), `params` added to
  the query, `headers` rendered (they replace a header kflow would set of the same name).
- `formData`: form-urlencoded; multipart when `contentType` is `multipart/form-data` or a value is
  a file: a `kestra://` URI, or `{name, content}` (content a `kestra://` URI, sent as `name`).
  Other values are sent as text (maps and lists as JSON). Else `body` (text, encoded in
  `options.defaultCharset`, sent as `contentType; charset=…`). Without either, `contentType` is
  still sent as the Content-Type header, as Kestra does.
- `options`: `timeout.connectTimeout` (default 3 minutes), `timeout.readIdleTimeout` (the longest
  wait for data, default 5 minutes), `followRedirects` (default true), `allowFailed`,
  `allowedResponseCodes` (when given, only those codes succeed), `auth` (BASIC, BEARER, DIGEST),
  `proxy` (HTTP, the default when an address is given; SOCKS when httpx's SOCKS extra is
  installed), `ssl.insecureTrustAllCertificates`, `logs` (request/response headers and bodies
  logged at INFO, credentials hidden), and the deprecated flat forms (`basicAuthUser`,
  `readTimeout`, `proxyAddress`, `logLevel`, top-level `allowFailed` and `sslOptions`, …).

A response code of 400 or more fails the task (`HTTP 404 Not Found from URL`, then the start of
the body) unless `allowFailed`; with `allowedResponseCodes`, any other code fails. Network errors
(refused, DNS, TLS, timeouts) fail with a one-line message. Passwords, tokens and the URL's
password never appear in logs, messages or outputs (the `uri` output drops the URL's password).
A task stopped by its timeout shuts its sockets down, so a blocked read ends at once.

- `http.Request` → `{uri, code, headers, body}`: `headers` maps each name (as the server wrote
  it) to its values; `body` is the text of the response decoded as UTF-8 whatever its charset
  (JSON is not parsed), absent when the response has none (HEAD, 204, 304).
  `encryptBody: true` fails: kflow has no encryption key to encrypt outputs with.
- `http.Download` → `{uri, code, headers, length}`: the body is streamed to a file of internal
  storage named from Content-Disposition, else from the last segment of the URL path, else
  `download`. An empty body fails unless `failOnEmptyResponse: false` (then a warning) or
  `allowFailed`.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
import socket
import tempfile
import threading
from collections.abc import Mapping
from contextlib import ExitStack, suppress
from email.message import Message
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

import httpx

from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.durations import DurationError, parse_duration
from kflow.runtime_shims.tasks._common import (
    as_text,
    failure,
    flag,
    integer,
    rendered,
    required_text,
    storage_path,
    text,
)

CONNECT_TIMEOUT = 180.0  # seconds; Apache HttpClient's default, which Kestra uses
READ_IDLE_TIMEOUT = 300.0  # seconds; Kestra's documented readIdleTimeout default
USER_AGENT = "kflow"
EXCERPT = 1000  # characters of a failed response's body put in the message
CHUNK = 64 * 1024
MASK = "******"

_LOGS = ("REQUEST_HEADERS", "REQUEST_BODY", "RESPONSE_HEADERS", "RESPONSE_BODY")
_LOG_LEVELS = {
    "TRACE": _LOGS,
    "DEBUG": ("REQUEST_HEADERS", "RESPONSE_HEADERS"),
    "INFO": ("RESPONSE_HEADERS",),
}
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_METHOD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_NO_BODY_CODES = frozenset({204, 205, 304})


def request(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """http.Request: send the request; the response's code, headers and body are the outputs."""
    if flag(ctx, props, "encryptBody", False):
        raise failure(
            ctx,
            "encryptBody: true is not supported: kflow has no encryption key to encrypt "
            "outputs with; remove it, or use http.Download to keep the body in a file",
        )
    with _Exchange(ctx, props) as exchange:
        response = exchange.send(stream=False)
        body = None
        if exchange.method != "HEAD" and response.status_code not in _NO_BODY_CODES:
            body = response.content.decode("utf-8", errors="replace")
        exchange.check_code(response, body)
        if "RESPONSE_BODY" in exchange.logs and body is not None:
            ctx.log("INFO", exchange.redact(f"Response body: {body}"))
        exchange.log_done(response, len(response.content))
        outputs: dict[str, Any] = {
            "uri": exchange.shown_url,
            "code": response.status_code,
            "headers": _headers(response),
        }
        if body is not None:
            outputs["body"] = body
        return outputs


def download(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """http.Download: stream the response body into internal storage; its URI is `uri`."""
    fail_on_empty = flag(ctx, props, "failOnEmptyResponse", True)
    with _Exchange(ctx, props) as exchange, tempfile.TemporaryDirectory(prefix="kflow-") as tmp:
        target = Path(tmp) / "body"
        response = exchange.send(stream=True)
        exchange.check_code(response, None)
        size = exchange.save(response, target)
        if size == 0:
            if not fail_on_empty:
                ctx.log("WARN", f"File '{exchange.shown_url}' is empty")
            elif not exchange.allow_failed:
                raise exchange.failure(
                    f"empty response from {exchange.shown_url} ({_status(response)}); "
                    "set failOnEmptyResponse: false to accept an empty file"
                )
        name = _file_name(response, exchange.url)
        uri = ctx.storage.put(ctx.storage_key(name), target)
        exchange.log_done(response, size)
        return {
            "uri": uri,
            "code": response.status_code,
            "headers": _headers(response),
            "length": size,
        }


# -- one exchange ---------------------------------------------------------------------------------


class _Exchange:
    """One HTTP exchange: the rendered request, its client, and what a stop must cut."""

    def __init__(self, ctx: TaskContext, props: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.secrets: list[str] = []
        self._stack = ExitStack()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        try:
            self.client = self._prepare(props)
        except BaseException:
            self._stack.close()  # files opened for a multipart body
            raise

    def _prepare(self, props: Mapping[str, Any]) -> httpx.Client:
        ctx = self.ctx
        options = _section(ctx, props, "options")
        self.url = self._url(ctx, props)
        self.shown_url = _without_password(self.url)
        method = text(ctx, props, "method") or "GET"
        if not _METHOD.fullmatch(method.strip()):
            raise self.failure(f"invalid method {method!r}")
        self.method = method.strip().upper()
        self.allow_failed = flag(ctx, options, "allowFailed", False) or flag(
            ctx, props, "allowFailed", False
        )
        self.allowed_codes = _codes(ctx, options.get("allowedResponseCodes"))
        self.logs = _log_kinds(ctx, options)
        self.auth, auth_headers = self._auth(options)
        self.headers = {"User-Agent": USER_AGENT, **auth_headers}
        self.body: dict[str, Any] = self._body(props, options)
        self.params = _mapping(ctx, props, "params")
        user_headers = _mapping(ctx, props, "headers")
        for name, value in user_headers.items():
            for existing in [k for k in self.headers if k.lower() == str(name).lower()]:
                del self.headers[existing]
            self.headers[str(name)] = as_text(value)
            if str(name).lower() in _SECRET_HEADERS:
                self.secrets.extend(_credentials(as_text(value)))
        return httpx.Client(
            timeout=_timeout(ctx, options),
            follow_redirects=flag(ctx, options, "followRedirects", True),
            verify=not _insecure(ctx, props, options),
            proxy=self._proxy(options),
            auth=self.auth,
            event_hooks={"request": [self._log_request], "response": [self._log_response]},
        )

    # -- lifetime --

    def __enter__(self) -> _Exchange:
        self._stack.callback(self.client.close)
        self.ctx.on_kill(self._kill)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _kill(self) -> None:
        """Stop the exchange from another thread: shut its sockets down, so a read ends now."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        # httpcore tells each new connection; keep its socket so that `_kill` can shut it down
        if not event.endswith("connect_tcp.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
            if self.ctx.cancelled.is_set():
                _shutdown(sock)

    # -- sending --

    def send(self, stream: bool) -> httpx.Response:
        """Send the request; the response with its body read, unless `stream`."""
        if self.ctx.cancelled.is_set():
            raise self.failure(f"stopped before calling {self.shown_url}")
        try:
            request = self.client.build_request(
                self.method,
                # added to the query the URI may have (httpx's `params` would replace it)
                self.url.copy_merge_params(self.params) if self.params else self.url,
                headers=self.headers,
                extensions={"trace": self._trace},
                **self.body,
            )
            self.shown_url = _without_password(request.url)  # with `params` in the query
            response = self.client.send(request, stream=True)
            self._stack.callback(response.close)
            if not stream:
                response.read()
            return response
        except httpx.HTTPError as error:
            raise self._network_failure(error) from None

    def save(self, response: httpx.Response, target: Path) -> int:
        """Stream the body of `response` into `target`; the number of bytes written."""
        size = 0
        try:
            with target.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    if self.ctx.cancelled.is_set():
                        raise self.failure(f"stopped while downloading {self.shown_url}")
                    out.write(chunk)
                    size += len(chunk)
        except httpx.HTTPError as error:
            raise self._network_failure(error) from None
        return size

    def check_code(self, response: httpx.Response, body: str | None) -> None:
        """Fail when the response code is not accepted (allowFailed, allowedResponseCodes)."""
        code = response.status_code
        if self.allowed_codes:
            accepted = code in self.allowed_codes
        else:
            accepted = self.allow_failed or code < 400
        if accepted:
            return
        if body is None and self.method != "HEAD":
            body = _excerpt(response)
        message = f"HTTP {_status(response)} from {self.shown_url}"
        if self.allowed_codes:
            message += f" (allowedResponseCodes: {self.allowed_codes})"
        if body and body.strip():
            cut = body.strip()
            message += "\n" + (cut[:EXCERPT] + "…" if len(cut) > EXCERPT else cut)
        raise self.failure(message)

    def log_done(self, response: httpx.Response, size: int) -> None:
        """The one INFO line of a finished exchange."""
        self.ctx.log(
            "INFO", f"{self.method} {self.shown_url}: HTTP {_status(response)}, {size} bytes"
        )

    # -- messages --

    def failure(self, message: str) -> TaskFailure:
        """A TaskFailure with the secrets of this request hidden."""
        return failure(self.ctx, self.redact(message))

    def redact(self, message: str) -> str:
        """`message` with every password and token of this request replaced by `******`."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            message = message.replace(secret, MASK)
        return message

    def _network_failure(self, error: httpx.HTTPError) -> TaskFailure:
        where = self.shown_url
        if self.ctx.cancelled.is_set():
            return self.failure(f"stopped while talking to {where}")
        reason = str(error) or type(error).__name__
        if isinstance(error, httpx.ConnectTimeout):
            return self.failure(f"timed out connecting to {where} (options.timeout.connectTimeout)")
        if isinstance(error, (httpx.ReadTimeout, httpx.WriteTimeout)):
            return self.failure(
                f"no data from {where} for too long (options.timeout.readIdleTimeout)"
            )
        if isinstance(error, httpx.ConnectError):
            if "CERTIFICATE_VERIFY_FAILED" in reason:
                return self.failure(
                    f"TLS certificate of {where} not trusted ({reason}); "
                    "options.ssl.insecureTrustAllCertificates: true skips the check"
                )
            return self.failure(f"cannot connect to {where}: {reason}")
        if isinstance(error, httpx.TooManyRedirects):
            return self.failure(f"too many redirects from {where}")
        if isinstance(error, httpx.UnsupportedProtocol):
            return self.failure(f"uri: {where} is not an http:// or https:// URL")
        if isinstance(error, httpx.RemoteProtocolError):
            return self.failure(f"{where} broke the HTTP exchange: {reason}")
        return self.failure(f"request to {where} failed: {reason}")

    # -- reading the properties --

    def _url(self, ctx: TaskContext, props: Mapping[str, Any]) -> httpx.URL:
        raw = required_text(ctx, props, "uri").strip().replace(" ", "%20")
        try:
            url = httpx.URL(raw)
        except httpx.InvalidURL as error:
            raise failure(
                ctx, f"uri: invalid URL {_without_password_text(raw)!r}: {error}"
            ) from None
        if url.password:
            self.secrets.append(url.password)
            self.secrets.append(quote(url.password, safe=""))
        if url.scheme not in ("http", "https") or not url.host:
            raise self.failure(f"uri: {_without_password(url)!r} is not an http:// or https:// URL")
        return url

    def _auth(self, options: Mapping[str, Any]) -> tuple[httpx.Auth | None, dict[str, str]]:
        ctx = self.ctx
        auth = _section(ctx, options, "auth")
        kind = (text(ctx, auth, "type") or "").strip().upper() if auth else ""
        if not auth and options.get("basicAuthUser") is not None:
            kind = "BASIC"
            auth = {
                "username": options["basicAuthUser"],
                "password": options.get("basicAuthPassword"),
            }
        if not kind:
            return None, {}
        if kind == "BEARER":
            token = text(ctx, auth, "token")
            if not token:
                raise self.failure("options.auth: BEARER needs a 'token'")
            self.secrets.append(token)
            return None, {"Authorization": f"Bearer {token}"}
        if kind not in ("BASIC", "DIGEST"):
            raise self.failure(f"options.auth: unknown type {kind!r}; use BASIC, BEARER or DIGEST")
        username = text(ctx, auth, "username")
        password = text(ctx, auth, "password") or ""
        if not username:
            raise self.failure(f"options.auth: {kind} needs a 'username'")
        if password:
            self.secrets.append(password)
            pair = f"{username}:{password}".encode()
            self.secrets.append(base64.b64encode(pair).decode("ascii"))
        if kind == "DIGEST":
            return httpx.DigestAuth(username, password), {}
        return httpx.BasicAuth(username, password), {}

    def _proxy(self, options: Mapping[str, Any]) -> httpx.Proxy | None:
        ctx = self.ctx
        proxy = dict(_section(ctx, options, "proxy"))
        for flat, name in (
            ("proxyType", "type"),
            ("proxyAddress", "address"),
            ("proxyPort", "port"),
            ("proxyUsername", "username"),
            ("proxyPassword", "password"),
        ):
            if options.get(flat) is not None and proxy.get(name) is None:
                proxy[name] = options[flat]
        address = (text(ctx, proxy, "address") or "").strip()
        # an address without a type is an HTTP proxy (Kestra refuses DIRECT with an address)
        kind = (text(ctx, proxy, "type") or "HTTP").strip().upper()
        if not address or kind == "DIRECT":
            return None
        port = integer(ctx, proxy, "port")
        if port is None:
            raise self.failure("options.proxy: 'port' is required with an 'address'")
        if kind == "SOCKS":
            try:
                import socksio  # noqa: F401  # httpx's SOCKS support needs it
            except ImportError:
                raise self.failure(
                    "options.proxy: SOCKS proxies need httpx's SOCKS support "
                    "(pip install 'httpx[socks]')"
                ) from None
            scheme = "socks5"
        elif kind == "HTTP":
            scheme = "http"
        else:
            raise self.failure(f"options.proxy: unknown type {kind!r}; use DIRECT, HTTP or SOCKS")
        username = text(ctx, proxy, "username")
        password = text(ctx, proxy, "password")
        if password:
            self.secrets.append(password)
        host = f"[{address}]" if ":" in address else address
        auth = (username, password or "") if username else None
        return httpx.Proxy(f"{scheme}://{host}:{port}", auth=auth)

    def _body(self, props: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        """The httpx arguments of the body: `data`, `files` or `content`."""
        ctx = self.ctx
        content_type = text(ctx, props, "contentType", default="application/json") or ""
        form = _mapping(ctx, props, "formData")
        if form:
            multipart = content_type.split(";")[0].strip().lower() == "multipart/form-data"
            if multipart or any(_is_file(value) for value in form.values()):
                return {"files": [self._part(str(k), v) for k, v in form.items()]}
            return {"data": {str(k): as_text(v) for k, v in form.items()}}
        if props.get("body") is not None:
            charset = (text(ctx, options, "defaultCharset") or "UTF-8").strip()
            try:
                encoded = (text(ctx, props, "body") or "").encode(codecs.lookup(charset).name)
            except LookupError:
                raise self.failure(f"options.defaultCharset: unknown charset {charset!r}") from None
            except UnicodeEncodeError as error:
                raise self.failure(
                    f"body: cannot be written in {charset}: {error.reason}"
                ) from None
            if content_type and "charset=" not in content_type.lower():
                content_type = f"{content_type}; charset={charset}"
            self.headers["Content-Type"] = content_type
            return {"content": encoded}
        if content_type:
            self.headers["Content-Type"] = content_type
        return {}

    def _part(self, name: str, value: Any) -> tuple[str, Any]:
        """One multipart field: a file (a `kestra://` URI, or `{name, content}`), or text."""
        if isinstance(value, str) and value.startswith("kestra://"):
            path = storage_path(self.ctx, value, f"formData '{name}'")
            return name, (path.name, self._open(path), "application/octet-stream")
        if isinstance(value, Mapping) and "name" in value and "content" in value:
            uri = as_text(value["content"])
            path = storage_path(self.ctx, uri, f"formData '{name}'")
            return name, (as_text(value["name"]), self._open(path), "application/octet-stream")
        return name, (None, as_text(value))

    def _open(self, path: Path) -> BinaryIO:
        return self._stack.enter_context(path.open("rb"))

    # -- logs option --

    def _log_request(self, request: httpx.Request) -> None:
        if "REQUEST_HEADERS" in self.logs:
            self.ctx.log("INFO", self._header_lines("Request", request.headers))
        if "REQUEST_BODY" in self.logs:
            try:
                content = request.content
            except httpx.RequestNotRead:
                self.ctx.log("INFO", "Request body: (a multipart stream, not logged)")
                return
            if content:
                body = content.decode("utf-8", errors="replace")
                self.ctx.log("INFO", self.redact(f"Request body: {body}"))

    def _log_response(self, response: httpx.Response) -> None:
        if "RESPONSE_HEADERS" in self.logs:
            self.ctx.log("INFO", self._header_lines("Response", response.headers))

    def _header_lines(self, what: str, headers: httpx.Headers) -> str:
        lines = [f"{what} headers:"]
        for raw_name, raw_value in headers.raw:
            name = raw_name.decode("latin-1")
            shown = MASK if name.lower() in _SECRET_HEADERS else _header_text(raw_value)
            lines.append(f"  {name}: {shown}")
        return self.redact("\n".join(lines))


# -- helpers --------------------------------------------------------------------------------------


def _section(ctx: TaskContext, props: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested block of properties (`options`, `auth`, …) as written; empty when absent."""
    value = props.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise failure(ctx, f"'{name}' must be a mapping")
    return value


def _mapping(ctx: TaskContext, props: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A map property rendered: a mapping, or a template rendering to a JSON object."""
    value = rendered(ctx, props, name)
    if value is None:
        return {}
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise failure(ctx, f"'{name}' must be a mapping, or a JSON object") from None
    if not isinstance(value, Mapping):
        raise failure(ctx, f"'{name}' must be a mapping, not {type(value).__name__}")
    return dict(value)


def _codes(ctx: TaskContext, value: Any) -> list[int]:
    """`allowedResponseCodes`: a list of codes, or a template rendering to a JSON list."""
    if value is None:
        return []
    found = ctx.render(value)
    if isinstance(found, str):
        try:
            found = json.loads(found) if found.strip() else []
        except json.JSONDecodeError:
            found = None
    if isinstance(found, list):
        codes = []
        for item in found:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item)
            if not isinstance(item, int) or isinstance(item, bool):
                break
            codes.append(item)
        else:
            return codes
    raise failure(ctx, f"options.allowedResponseCodes must be a list of codes, not {found!r}")


def _log_kinds(ctx: TaskContext, options: Mapping[str, Any]) -> frozenset[str]:
    kinds = rendered(ctx, options, "logs")
    if kinds is None:
        level = (text(ctx, options, "logLevel") or "").strip().upper()
        return frozenset(_LOG_LEVELS.get(level, ()))
    if isinstance(kinds, str):
        kinds = [kinds]
    found = {as_text(kind).strip().upper() for kind in kinds}
    unknown = sorted(found - set(_LOGS))
    if unknown:
        raise failure(ctx, f"options.logs: unknown {unknown[0]!r}; use {', '.join(_LOGS)}")
    return frozenset(found)


def _timeout(ctx: TaskContext, options: Mapping[str, Any]) -> httpx.Timeout:
    block = _section(ctx, options, "timeout")
    connect = _seconds(ctx, block, "connectTimeout", "options.timeout.connectTimeout")
    if connect is None:
        connect = _seconds(ctx, options, "connectTimeout", "options.connectTimeout")
    read = _seconds(ctx, block, "readIdleTimeout", "options.timeout.readIdleTimeout")
    for flat in ("readTimeout", "readIdleTimeout"):
        if read is None:
            read = _seconds(ctx, options, flat, f"options.{flat}")
    read = READ_IDLE_TIMEOUT if read is None else read
    return httpx.Timeout(
        connect=CONNECT_TIMEOUT if connect is None else connect, read=read, write=read, pool=None
    )


def _seconds(ctx: TaskContext, block: Mapping[str, Any], name: str, where: str) -> float | None:
    value = text(ctx, block, name)
    if value is None or not value.strip():
        return None
    try:
        seconds = parse_duration(value)
    except DurationError as error:
        raise failure(ctx, f"{where}: {error}") from None
    if seconds <= 0:
        raise failure(ctx, f"{where}: must be longer than zero, not {value!r}")
    return seconds


def _insecure(ctx: TaskContext, props: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    for block in (_section(ctx, options, "ssl"), _section(ctx, props, "sslOptions")):
        if flag(ctx, block, "insecureTrustAllCertificates", False):
            return True
    return False


def _is_file(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("kestra://")
    return isinstance(value, Mapping) and "name" in value and "content" in value


def _shutdown(sock: socket.socket) -> None:
    with suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


def _credentials(value: str) -> list[str]:
    """The secret parts of an Authorization header value: all of it, and what follows the scheme."""
    found = [value.strip()]
    rest = value.strip().partition(" ")[2]
    if rest.strip():
        found.append(rest.strip())
    return [part for part in found if part]


def _status(response: httpx.Response) -> str:
    reason = response.reason_phrase
    if not reason:
        try:
            reason = HTTPStatus(response.status_code).phrase
        except ValueError:
            reason = ""
    return f"{response.status_code} {reason}".strip()


def _excerpt(response: httpx.Response) -> str:
    """The start of a streamed body, for a failure message (errors reading it are ignored)."""
    data = b""
    try:
        for chunk in response.iter_bytes(EXCERPT * 4):
            data += chunk
            if len(data) >= EXCERPT * 4:
                break
    except httpx.HTTPError:
        pass
    return data.decode("utf-8", errors="replace")


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    """The response headers as Kestra gives them: name → values, names sorted ignoring case."""
    found: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for raw_name, raw_value in response.headers.raw:
        name = raw_name.decode("latin-1")
        shown = names.setdefault(name.lower(), name)
        found.setdefault(shown, []).append(_header_text(raw_value))
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def _header_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _file_name(response: httpx.Response, url: httpx.URL) -> str:
    """The stored file's name: Content-Disposition's, else the URL path's last segment."""
    disposition = response.headers.get("content-disposition")
    candidates = []
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        candidates.append(message.get_filename())
    candidates.append(unquote(PurePosixPath(url.path).name))
    for candidate in candidates:
        name = _safe_name(candidate)
        if name:
            return name
    return "download"


def _safe_name(name: str | None) -> str | None:
    """A file name without directories or control characters; None when nothing is left."""
    if not name:
        return None
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    if name in ("", ".", ".."):
        return None
    return name[:200]


def _without_password(url: httpx.URL) -> str:
    """`url` as text with the password of its userinfo left out (the user name is kept)."""
    if not url.password:
        return str(url)
    username = quote(url.username, safe="")
    return str(url.copy_with(userinfo=username.encode("ascii")))


def _without_password_text(raw: str) -> str:
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:]*):[^/@]*@", r"\1@", raw)
