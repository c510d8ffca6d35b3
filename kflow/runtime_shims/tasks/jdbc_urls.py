"""Where a JDBC task connects: its `url`, `username` and `password`, as driver arguments.

The three come from the task's properties (pluginDefaults are already merged into them), else
from the environment: `KFLOW_JDBC_<DB>_URL`, `KFLOW_JDBC_<DB>_USERNAME` and
`KFLOW_JDBC_<DB>_PASSWORD`, where `<DB>` is `POSTGRESQL`, `MYSQL`, `SQLITE` or `DUCKDB`. The user
and password are taken from the `username`/`password` properties first, then from the URL (its
`user:password@` part or its `user=`/`password=` parameters), then from the environment.

URLs are JDBC URLs: `jdbc:postgresql://host:5432/db?params` (several `host:port` separated by
commas, `jdbc:postgresql:db` for localhost), `jdbc:mysql://host:3306/db?params` (or
`jdbc:mariadb://`). The connection timeout is 10 seconds unless the URL sets `connectTimeout`
(seconds for PostgreSQL, milliseconds for MySQL, as their JDBC drivers read it). URL parameters
kflow has no use for are logged and ignored.

Passwords never reach a message: `scrub` masks them, and `scrubbed()` applies it to every failure
a block raises.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.tasks._common import as_text, failure

__all__ = [
    "CONNECT_TIMEOUT",
    "Credentials",
    "Server",
    "credentials",
    "mysql_server",
    "postgres_server",
    "scrub",
    "scrubbed",
]

CONNECT_TIMEOUT = 10.0  # seconds
MASK = "******"

_PASSWORD_ASSIGNMENT = re.compile(r"(password\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s&;,]+)", re.I)
_URL_USERINFO = re.compile(r"(://[^/@\s:]*:)[^@\s/]*@")

# pgjdbc's targetServerType → libpq's target_session_attrs (libpq has no "prefer primary")
_TARGETS = {
    "any": "any",
    "primary": "read-write",
    "master": "read-write",
    "secondary": "standby",
    "slave": "standby",
    "preferprimary": "any",
    "prefersecondary": "prefer-standby",
    "preferslave": "prefer-standby",
}

# Connector/J settings that change nothing for a Python client
_MYSQL_HARMLESS = frozenset(
    {
        "useunicode",
        "characterencoding",
        "servertimezone",
        "allowmultiqueries",
        "allowpublickeyretrieval",
        "autoreconnect",
        "rewritebatchedstatements",
        "uselegacydatetimecode",
        "zerodatetimebehavior",
    }
)


@dataclass(frozen=True)
class Credentials:
    """The connection properties of a task, after the environment fallback."""

    url: str | None
    username: str | None  # from the property (None when absent)
    password: str | None
    env_username: str | None = None  # from the environment: the last resort
    env_password: str | None = None

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.env_password) if s]


@dataclass
class Server:
    """A database server to connect to: driver arguments and how messages name it."""

    where: str  # host:port/database, no credentials
    arguments: dict[str, Any]
    secrets: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # URL parameters kflow does not use


def credentials(ctx: TaskContext, props: Mapping[str, Any], database: str) -> Credentials:
    """`url`, `username`, `password` of the task, with the `KFLOW_JDBC_<database>_*` fallback."""
    prefix = f"KFLOW_JDBC_{database.upper()}_"

    def prop(name: str) -> str | None:
        value = props.get(name)
        if value is None:
            return None
        rendered = as_text(ctx.render(value))
        return rendered if rendered.strip() else None

    url = prop("url") or os.environ.get(prefix + "URL") or None
    return Credentials(
        url=url.strip() if url else None,
        username=prop("username"),
        password=prop("password"),
        env_username=os.environ.get(prefix + "USERNAME") or None,
        env_password=os.environ.get(prefix + "PASSWORD") or None,
    )


def postgres_server(ctx: TaskContext, creds: Credentials) -> Server:
    """psycopg arguments for a `jdbc:postgresql:` URL."""
    url = _required_url(ctx, creds, "postgresql", "jdbc:postgresql://host:5432/database")
    rest = url[len("jdbc:postgresql:") :]
    rest, _, query = rest.partition("?")
    if rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        database = unquote(path)
    else:
        authority, database = "", unquote(rest.lstrip("/"))
    url_user, url_password, authority = _userinfo(authority)
    hosts, ports = [], []
    for part in authority.split(",") if authority else ["localhost"]:
        host, port = _host_port(ctx, part, url, 5432)
        hosts.append(host)
        ports.append(str(port))
    arguments: dict[str, Any] = {
        "host": ",".join(hosts),
        "port": ",".join(ports),
        "connect_timeout": _timeout_text(CONNECT_TIMEOUT),
    }
    if database:
        arguments["dbname"] = database
    ignored: list[str] = []
    params = _params(query)
    url_user = params.pop("user", None) or url_user
    url_password = params.pop("password", None) or url_password
    options: list[str] = []
    for name, value in params.items():
        key = name.lower()
        if key in ("connecttimeout", "logintimeout"):
            arguments["connect_timeout"] = _timeout_text(_number(ctx, name, value))
        elif key == "sslmode":
            arguments["sslmode"] = value.lower()
        elif key == "ssl":
            if value.lower() in ("true", "1", ""):
                arguments.setdefault("sslmode", "require")
        elif key in ("sslrootcert", "sslcert", "sslkey", "sslpassword"):
            arguments[key] = value
        elif key == "applicationname":
            arguments["application_name"] = value
        elif key == "currentschema":
            options.append("-c search_path=" + value.replace("\\", "\\\\").replace(" ", "\\ "))
        elif key == "options":
            options.append(value)
        elif key == "tcpkeepalive":
            arguments["keepalives"] = "1" if value.lower() == "true" else "0"
        elif key == "targetservertype":
            arguments["target_session_attrs"] = _TARGETS.get(value.lower(), "any")
        else:
            ignored.append(name)
    if options:
        arguments["options"] = " ".join(options)
    arguments.setdefault("application_name", "kflow")
    user = creds.username or url_user or creds.env_username
    password = creds.password or url_password or creds.env_password
    if user:
        arguments["user"] = user
    if password:
        arguments["password"] = password
    where = f"{_hosts_text(hosts, ports)}/{database}"
    secrets = [*creds.secrets(), url_password or "", arguments.get("sslpassword") or ""]
    return Server(
        where=where, arguments=arguments, secrets=[s for s in secrets if s], ignored=ignored
    )


def mysql_server(ctx: TaskContext, creds: Credentials) -> Server:
    """PyMySQL arguments for a `jdbc:mysql:` (or `jdbc:mariadb:`) URL."""
    url = _required_url(ctx, creds, "mysql", "jdbc:mysql://host:3306/database")
    prefix = "jdbc:mysql:" if url.lower().startswith("jdbc:mysql:") else "jdbc:mariadb:"
    rest = url[len(prefix) :]
    rest, _, query = rest.partition("?")
    if not rest.startswith("//"):
        raise failure(ctx, f"url must look like jdbc:mysql://host:3306/database, not {_shown(url)}")
    authority, _, path = rest[2:].partition("/")
    url_user, url_password, authority = _userinfo(authority)
    if "," in authority or "(" in authority:
        raise failure(ctx, f"url names several hosts; kflow connects to one: {_shown(url)}")
    host, port = _host_port(ctx, authority or "localhost", url, 3306)
    database = unquote(path)
    arguments: dict[str, Any] = {
        "host": host,
        "port": port,
        "connect_timeout": CONNECT_TIMEOUT,
        "charset": "utf8mb4",
    }
    if database:
        arguments["database"] = database
    params = _params(query)
    url_user = params.pop("user", None) or url_user
    url_password = params.pop("password", None) or url_password
    ignored: list[str] = []
    ssl_mode: str | None = None
    for name, value in params.items():
        key = name.lower()
        if key == "connecttimeout":
            arguments["connect_timeout"] = max(_number(ctx, name, value) / 1000.0, 1.0)
        elif key == "sockettimeout":
            seconds = _number(ctx, name, value) / 1000.0
            if seconds > 0:
                arguments["read_timeout"] = arguments["write_timeout"] = seconds
        elif key == "usessl":
            ssl_mode = ssl_mode or ("REQUIRED" if value.lower() == "true" else "DISABLED")
        elif key == "sslmode":
            ssl_mode = value.upper()
        elif key in _MYSQL_HARMLESS:
            continue
        else:
            ignored.append(name)
    context = _mysql_tls(ctx, ssl_mode)
    if context is not None:
        arguments["ssl"] = context
    arguments["user"] = creds.username or url_user or creds.env_username or ""
    arguments["password"] = creds.password or url_password or creds.env_password or ""
    secrets = [*creds.secrets(), *([url_password] if url_password else [])]
    where = f"{_hosts_text([host], [str(port)])}/{database}"
    return Server(where=where, arguments=arguments, secrets=secrets, ignored=ignored)


def _mysql_tls(ctx: TaskContext, mode: str | None) -> Any:
    """An SSLContext for Connector/J's sslMode (PREFERRED, its default, is plain here)."""
    if mode in (None, "DISABLED", "PREFERRED"):
        return None
    import ssl

    if mode not in ("REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"):
        raise failure(
            ctx,
            f"url parameter sslMode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
            f"VERIFY_IDENTITY, not {mode!r}",
        )
    context = ssl.create_default_context()
    if mode != "VERIFY_IDENTITY":
        context.check_hostname = False
    if mode == "REQUIRED":
        context.verify_mode = ssl.CERT_NONE
    return context


def scrub(message: str, secrets: Iterable[str | None]) -> str:
    """`message` with each secret, any `password=…` and any URL's `:password@` masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        message = message.replace(secret, MASK)
    message = _PASSWORD_ASSIGNMENT.sub(lambda m: m.group(1) + MASK, message)
    return _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", message)


@contextmanager
def scrubbed(ctx: TaskContext, secrets: list[str]) -> Iterator[None]:
    """Re-raise any failure of the block as a TaskFailure whose message has no secret in it.

    `secrets` is read when a failure happens: the block may add the ones it learns.
    """
    try:
        yield
    except TaskFailure as error:
        raise TaskFailure(scrub(str(error), secrets)) from None
    except Exception as error:  # a driver error nobody expected: still no secret in it
        raise failure(ctx, scrub(f"{type(error).__name__}: {error}", secrets)) from None


# -- helpers --------------------------------------------------------------------------------------


def _required_url(ctx: TaskContext, creds: Credentials, scheme: str, example: str) -> str:
    url = creds.url
    env = f"KFLOW_JDBC_{scheme.upper()}_URL"
    if not url:
        raise failure(
            ctx, f"no 'url': set it in the task, in pluginDefaults, or in the {env} variable"
        )
    schemes = ("jdbc:mysql:", "jdbc:mariadb:") if scheme == "mysql" else (f"jdbc:{scheme}:",)
    if not url.lower().startswith(schemes):
        raise failure(ctx, f"url must be a JDBC URL like {example}, not {_shown(url)}")
    return url


def _shown(url: str) -> str:
    """A URL for a message: no password in it, and not too long."""
    text = scrub(url, [])
    return repr(text if len(text) <= 120 else text[:117] + "...")


def _userinfo(authority: str) -> tuple[str | None, str | None, str]:
    if "@" not in authority:
        return None, None, authority
    info, _, rest = authority.rpartition("@")
    user, sep, password = info.partition(":")
    return unquote(user) or None, (unquote(password) if sep else None) or None, rest


def _host_port(ctx: TaskContext, part: str, url: str, default: int) -> tuple[str, int]:
    part = part.strip()
    if part.startswith("["):
        close = part.find("]")
        host, rest = part[1:close], part[close + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = part.partition(":")
    if not port_text:
        return host or "localhost", default
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise failure(ctx, f"url has an invalid port {port_text!r}: {_shown(url)}")
    return host or "localhost", int(port_text)


def _hosts_text(hosts: list[str], ports: list[str]) -> str:
    shown = [f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in zip(hosts, ports, strict=True)]
    return ",".join(shown)


def _params(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True)) if query else {}


def _number(ctx: TaskContext, name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise failure(ctx, f"url parameter {name} must be a number, not {value!r}") from None
    if number < 0 or number != number:
        raise failure(ctx, f"url parameter {name} must be a positive number, not {value!r}")
    return number


def _timeout_text(seconds: float) -> str:
    # libpq reads whole seconds; 0 would mean "wait forever"
    return str(max(round(seconds), 1)) if seconds else "0"
