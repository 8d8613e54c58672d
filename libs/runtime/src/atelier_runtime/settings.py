"""Typed, read-once service configuration from `ATELIER_*` environment variables."""

from __future__ import annotations

import sys
from typing import Any, Literal, NoReturn, TypeVar, get_args

import pydantic
import pydantic_settings
from pydantic import Field, SecretBytes, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "ATELIER_"
EXIT_BAD_SETTINGS = 2

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ServiceSettings(BaseSettings):
    """Settings every service shares; each service subclasses it and defaults `service_name`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    service_name: str
    database_url: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    nats_prefix: str = ""
    # Copies of each stream the service creates: 1 on one machine, 3 on a production cluster.
    nats_replicas: int = Field(default=1, ge=1, le=5)
    # A relay failing this long makes the service report NOT_SERVING until it recovers.
    relay_stuck_after_s: float = Field(default=60.0, gt=0)
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, ge=0, le=65535)
    log_level: str = "INFO"
    shutdown_grace_s: float = Field(default=10.0, ge=0)
    shutdown_drain_s: float = Field(default=0.5, ge=0)
    otel_exporter: Literal["none", "console", "otlp"] = "none"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level


class SettingsError(Exception):
    """One or more environment variables are missing or malformed; the message names each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Read `cls` from the environment, or raise SettingsError naming every bad variable."""
    try:
        return cls()  # type: ignore[call-arg]  # the values come from the environment
    except pydantic.ValidationError as exc:
        raise SettingsError([_describe(cls, error) for error in exc.errors()]) from None
    except pydantic_settings.SettingsError as exc:
        # Raised for values that are not even parseable (e.g. broken JSON for a list field).
        raise SettingsError([str(exc)]) from None


def exit_on_bad_settings(cls: type[SettingsT]) -> SettingsT:
    """Load settings for a process entry point: on error print the problems and exit with 2."""
    try:
        return load_settings(cls)
    except SettingsError as exc:
        _exit_with(exc)


def _exit_with(exc: SettingsError) -> NoReturn:
    print("invalid configuration:", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    sys.exit(EXIT_BAD_SETTINGS)


def _describe(cls: type[ServiceSettings], error: Any) -> str:
    location = error.get("loc") or ("?",)
    field = str(location[0])
    variable = env_var_name(cls, field)
    if error.get("type") == "missing":
        return f"{variable}: required but not set"
    message = str(error.get("msg", "invalid value"))
    if _is_secret(cls, field):
        return f"{variable}: {message}"
    return f"{variable}: {message}, got {error.get('input')!r}"


def env_var_name(cls: type[ServiceSettings], field: str) -> str:
    """The environment variable that sets `field`, e.g. grpc_port -> ATELIER_GRPC_PORT."""
    prefix = str(cls.model_config.get("env_prefix", ENV_PREFIX))
    return f"{prefix}{field}".upper()


def _is_secret(cls: type[ServiceSettings], field: str) -> bool:
    # Never echo a secret's value into logs, even a malformed one.
    info = cls.model_fields.get(field)
    return info is not None and _mentions_secret(info.annotation)


def _mentions_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_mentions_secret(argument) for argument in get_args(annotation))
