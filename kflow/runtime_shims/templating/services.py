"""What a template may ask of the outside world: secrets, files, the KV store, environment."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Services", "env_secret", "env_variables"]

ENV_PREFIX = "ENV_"
SECRET_PREFIX = "SECRET_"


@dataclass
class Services:
    """Hooks for the functions that need the outside world; every field is optional.

    ``secret`` returns None when the secret does not exist (the default backend reads
    ``SECRET_<NAME>`` from the environment, base64-encoded, as Kestra OSS does); ``on_secret`` is
    called with every secret value a template reads, so that the caller can mask it in logs.
    """

    secret: Callable[[str], str | None] | None = None
    read: Callable[[str], str] | None = None
    file_uri: Callable[[str], str] | None = None
    kv: Callable[[str, str | None], Any] | None = None
    on_secret: Callable[[str], None] | None = None


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Kestra OSS's secret backend: the base64-encoded environment variable ``SECRET_<NAME>``.

    Returns None when the variable is absent; a value that is not valid base64 is an error
    (without the value in the message).
    """
    raw = (os.environ if environ is None else environ).get(SECRET_PREFIX + name)
    if raw is None:
        return None
    try:
        return base64.b64decode(raw.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(
            f"environment variable {SECRET_PREFIX}{name} is not base64-encoded UTF-8"
        ) from None


def env_variables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``envs`` variable: each ``ENV_FOO_BAR`` environment variable as ``foo_bar``.

    Kestra strips the ``ENV_`` prefix and lower-cases the rest.
    """
    source = os.environ if environ is None else environ
    return {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in source.items()
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX)
    }
