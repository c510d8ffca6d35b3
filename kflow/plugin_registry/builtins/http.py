"""Properties models of the HTTP tasks, and the request options the HTTP trigger shares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kflow.plugin_registry.types import Duration, Properties, Templated, Text


class HttpTimeout(Properties):
    """options.timeout."""

    connectTimeout: Duration | None = Field(None, description="Time allowed to connect.")
    readIdleTimeout: Duration | None = Field(None, description="Time a read may stay idle.")


class HttpProxy(Properties):
    """options.proxy."""

    type: Templated[Literal["DIRECT", "HTTP", "SOCKS"]] = Field("DIRECT", description="Proxy type.")
    address: Text | None = Field(None, description="Proxy host.")
    port: Templated[int] | None = Field(None, description="Proxy port.")
    username: Text | None = Field(None, description="Proxy user.")
    password: Text | None = Field(None, description="Proxy password.")


class HttpAuth(Properties):
    """options.auth: BASIC (username, password) or BEARER (token)."""

    type: Literal["BASIC", "BEARER", "DIGEST"] = Field(description="The authentication scheme.")
    username: Text | None = Field(None, description="User (BASIC, DIGEST).")
    password: Text | None = Field(None, description="Password (BASIC, DIGEST).")
    token: Text | None = Field(None, description="Token (BEARER).")


class HttpSsl(Properties):
    """options.ssl."""

    insecureTrustAllCertificates: Templated[bool] | None = Field(
        None, description="Trust every certificate (tests only)."
    )


_Logs = Literal["REQUEST_HEADERS", "REQUEST_BODY", "RESPONSE_HEADERS", "RESPONSE_BODY"]


class HttpOptions(Properties):
    """`options` of the HTTP tasks and trigger; the flat names are Kestra's deprecated forms."""

    timeout: HttpTimeout | None = Field(None, description="Connection and read timeouts.")
    proxy: HttpProxy | None = Field(None, description="Proxy settings.")
    auth: HttpAuth | None = Field(None, description="Authentication.")
    ssl: HttpSsl | None = Field(None, description="TLS settings.")
    followRedirects: Templated[bool] = Field(True, description="Follow redirects.")
    allowFailed: Templated[bool] = Field(False, description="Accept response codes ≥ 400.")
    allowedResponseCodes: Templated[list[int]] | None = Field(
        None, description="Only these response codes succeed."
    )
    defaultCharset: Text = Field("UTF-8", description="Charset of request bodies.")
    logs: list[_Logs] | None = Field(None, description="What to log of requests and responses.")
    connectTimeout: Duration | None = Field(None, deprecated="write 'timeout.connectTimeout'")
    readTimeout: Duration | None = Field(None, deprecated="write 'timeout.readIdleTimeout'")
    readIdleTimeout: Duration | None = Field(None, deprecated="write 'timeout.readIdleTimeout'")
    connectionPoolIdleTimeout: Duration | None = Field(None, deprecated="no longer used")
    maxContentLength: int | None = Field(None, deprecated="no longer used")
    proxyType: Literal["DIRECT", "HTTP", "SOCKS"] | None = Field(
        None, deprecated="write 'proxy.type'"
    )
    proxyAddress: Text | None = Field(None, deprecated="write 'proxy.address'")
    proxyPort: int | None = Field(None, deprecated="write 'proxy.port'")
    proxyUsername: Text | None = Field(None, deprecated="write 'proxy.username'")
    proxyPassword: Text | None = Field(None, deprecated="write 'proxy.password'")
    basicAuthUser: Text | None = Field(None, deprecated="write 'auth: {type: BASIC, username}'")
    basicAuthPassword: Text | None = Field(None, deprecated="write 'auth: {type: BASIC, password}'")
    logLevel: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "NOT_SPECIFIED"] | None = (
        Field(None, deprecated="write 'logs'")
    )


class HttpRequestProperties(Properties):
    """What every HTTP request has: uri, method, body or form data, headers, options."""

    uri: Text = Field(description="The URL to call.")
    method: Text = Field("GET", description="The HTTP method.")
    body: Text | None = Field(None, description="The request body.")
    formData: Templated[dict[str, Any]] | None = Field(None, description="Form fields to send.")
    contentType: Text = Field("application/json", description="The request content type.")
    headers: Templated[dict[str, Text]] | None = Field(None, description="Request headers.")
    params: Templated[dict[str, Any]] | None = Field(None, description="Query parameters.")
    options: HttpOptions | None = Field(None, description="Client options.")
    sslOptions: HttpSsl | None = Field(None, deprecated="write 'options.ssl'")


class DownloadProperties(HttpRequestProperties):
    """io.kestra.plugin.core.http.Download."""

    failOnEmptyResponse: Templated[bool] = Field(True, description="Fail on an empty body.")
    allowFailed: Templated[bool] | None = Field(None, deprecated="write 'options.allowFailed'")


class RequestProperties(HttpRequestProperties):
    """io.kestra.plugin.core.http.Request."""

    encryptBody: Templated[bool] = Field(
        False, description="Output the body encrypted, as `encryptedBody`."
    )
    allowFailed: Templated[bool] | None = Field(None, deprecated="write 'options.allowFailed'")
