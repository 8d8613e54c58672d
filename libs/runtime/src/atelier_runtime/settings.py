"""Typed, read-once service configuration from `ATELIER_*` environment variables."""

from __future__ import annotations

import sys
from typing import Any, Literal, NoReturn, TypeVar, get_args

import pydantic
import pydantic_settings
from pydantic import Field, SecretBytes, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from atelier_runtime.settings_problems import describe
from atelier_runtime.settings_types import DatabaseUrl, NatsUrl, PortOrAny

ENV_PREFIX = "ATELIER_"
EXIT_BAD_SETTINGS = 2

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ServiceSettings(BaseSettings):
    """Settings every service shares; each service subclasses it and defaults `service_name`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    service_name: str
    database_url: DatabaseUrl | None = None
    nats_url: NatsUrl = "nats://127.0.0.1:4222"
    nats_prefix: str = ""
    # Copies of each stream the service creates: 1 on one machine, 3 on a production cluster.
    nats_replicas: int = Field(default=1, ge=1, le=5)
    # A relay failing this long makes the service report NOT_SERVING until it recovers.
    relay_stuck_after_s: float = Field(default=60.0, gt=0)
    grpc_host: str = "127.0.0.1"
    grpc_port: PortOrAny = 0
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


class DatabaseServiceSettings(ServiceSettings):
    """Settings of a service that owns a PostgreSQL database: without its URL it cannot start."""

    database_url: DatabaseUrl


class SettingsError(Exception):
    """One or more environment variables are missing or malformed; the message names each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
AnySettingsT = TypeVar("AnySettingsT", bound=BaseSettings)


def load_settings(cls: type[AnySettingsT]) -> AnySettingsT:
    """Read `cls` from the environment, or raise SettingsError naming every bad variable."""
    try:
        return cls()  # type: ignore[call-arg]  # the values come from the environment
    except pydantic.ValidationError as exc:
        raise SettingsError([_describe(cls, error) for error in exc.errors()]) from None
    except pydantic_settings.SettingsError as exc:
        # Raised for values that are not even parseable (e.g. broken JSON for a list field).
        raise SettingsError([" ".join(str(exc).split())]) from None


def exit_on_bad_settings(cls: type[SettingsT]) -> SettingsT:
    """Load settings for a process entry point: on error print one line per problem, exit 2."""
    try:
        return load_settings(cls)
    except SettingsError as exc:
        exit_with(exc)


def exit_with(exc: SettingsError) -> NoReturn:
    """One line per problem on stderr, each naming its variable, then exit status 2."""
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    sys.exit(EXIT_BAD_SETTINGS)


def _describe(cls: type[BaseSettings], error: Any) -> str:
    if not error.get("loc"):
        # A check across several variables names them in its own message; the input is the
        # whole configuration, secrets included, so it is never echoed.
        return str(error.get("msg", "invalid configuration")).removeprefix("Value error, ")
    field = str(error["loc"][0])
    return describe(env_var_name(cls, field), error, secret=_is_secret(cls, field))


def env_var_name(cls: type[BaseSettings], field: str) -> str:
    """The environment variable that sets `field`, e.g. grpc_port -> ATELIER_GRPC_PORT."""
    prefix = str(cls.model_config.get("env_prefix", ENV_PREFIX))
    return f"{prefix}{field}".upper()


def _is_secret(cls: type[BaseSettings], field: str) -> bool:
    # Never echo a secret's value into logs, even a malformed one.
    info = cls.model_fields.get(field)
    return info is not None and _mentions_secret(info.annotation)


def _mentions_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_mentions_secret(argument) for argument in get_args(annotation))
