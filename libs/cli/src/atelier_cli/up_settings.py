"""What `atelier up` reads from ATELIER_* variables, checked before anything starts.

An exported value always wins over what up would choose: a server given by URL is used instead
of a local one, an exported secret instead of the home's, exported addresses instead of free
ports. Whatever is not exported, up chooses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from atelier_cli.configuration_error import ConfigurationError
from atelier_cli.platform_spec import BACKEND_SERVICES, MEDIA_BUCKET, ServiceSpec
from atelier_cli.scale import ScaleError, scaled_services
from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY
from atelier_runtime.grpc_targets import GrpcAddresses, HostPort, InvalidAddresses, parse_addresses
from atelier_runtime.settings import ENV_PREFIX, SettingsError, load_settings
from atelier_runtime.settings_types import DatabaseUrl, HttpUrl, NatsUrl, PortNumber

_BUCKET_FORM = "an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens"
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class UpSettings(BaseSettings):
    """The variables `atelier up` itself acts on; an empty value counts as not exported."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", env_ignore_empty=True)

    edge_host: str = "127.0.0.1"
    edge_port: PortNumber = 8080
    grpc_host: str = "127.0.0.1"
    grpc_port: str | None = None
    database_url: DatabaseUrl | None = None
    nats_url: NatsUrl | None = None
    s3_endpoint: HttpUrl | None = None
    s3_access_key: str = ACCESS_KEY
    s3_secret_key: SecretStr = SecretStr(SECRET_KEY)
    s3_region: str = REGION
    s3_bucket: str = MEDIA_BUCKET
    jwt_secret: SecretStr | None = None
    instance_id: str | None = None
    credits_addr: GrpcAddresses | None = None
    generation_addr: GrpcAddresses | None = None
    media_addr: GrpcAddresses | None = None
    billing_addr: GrpcAddresses | None = None

    @field_validator("grpc_port")
    @classmethod
    def _no_single_grpc_port(cls, value: str | None) -> str | None:
        # One port cannot serve five processes; each backend's ports are its own variable.
        if value is not None:
            raise ValueError(
                "atelier up gives every backend process a port of its own; "
                "choose them with ATELIER_<SERVICE>_ADDR instead"
            )
        return value

    @field_validator("s3_bucket")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        if not _BUCKET_NAME.match(value):
            raise ValueError(f"must be {_BUCKET_FORM}")
        return value

    def given_addresses(self, spec: ServiceSpec) -> str | None:
        value: str | None = getattr(self, f"{spec.name}_addr")
        return value


@dataclass(frozen=True)
class UpPlan:
    """The checked settings, how many processes each backend runs, and the exported addresses."""

    settings: UpSettings
    replicas: dict[str, int]
    given_addresses: dict[str, tuple[HostPort, ...]]


def plan_up(scale_values: Sequence[str]) -> UpPlan:
    """Reads and checks everything; raises ConfigurationError naming every problem at once."""
    problems: list[str] = []
    try:
        scaled = scaled_services(scale_values)
    except ScaleError as error:
        problems.append(str(error))
        scaled = {}
    try:
        settings = load_settings(UpSettings)
    except SettingsError as error:
        raise ConfigurationError([*problems, *error.problems]) from None
    given: dict[str, tuple[HostPort, ...]] = {}
    for spec in BACKEND_SERVICES:
        value = settings.given_addresses(spec)
        if value is None:
            continue
        try:
            given[spec.name] = _addresses_to_listen_on(spec, value, scaled.get(spec.name))
        except ConfigurationError as error:
            problems.extend(error.problems)
    problems.extend(_shared_ports(settings, given))
    if problems:
        raise ConfigurationError(problems)
    replicas = {spec.name: _replica_count(spec.name, scaled, given) for spec in BACKEND_SERVICES}
    return UpPlan(settings, replicas, given)


def _replica_count(
    service: str, scaled: Mapping[str, int], given: Mapping[str, tuple[HostPort, ...]]
) -> int:
    # --scale decides; without it, one replica per exported address; otherwise one.
    if service in scaled:
        return scaled[service]
    return len(given.get(service, ())) or 1


def _addresses_to_listen_on(
    spec: ServiceSpec, value: str, scaled: int | None
) -> tuple[HostPort, ...]:
    """Up starts these replicas itself, so it needs one host:port per replica to listen on."""
    variable = spec.address_variable
    if value.strip().startswith("dns:"):
        raise ConfigurationError(
            [
                f"{variable}: atelier up runs {spec.name} itself and needs host:port addresses "
                f"to listen on (one per replica), got {value!r}"
            ]
        )
    try:
        addresses = parse_addresses(value)
    except InvalidAddresses as error:  # already refused by the settings; kept for the type
        raise ConfigurationError([f"{variable}: {error}"]) from None
    if scaled is not None and scaled != len(addresses):
        raise ConfigurationError(
            [
                f"{variable}: names {len(addresses)} addresses but --scale {spec.name}={scaled} "
                f"asks for {scaled} replicas; give one address per replica"
            ]
        )
    return addresses


def _shared_ports(settings: UpSettings, given: Mapping[str, tuple[HostPort, ...]]) -> list[str]:
    """Each exported port once: two processes of one machine cannot listen on the same one."""
    owners = {settings.edge_port: "ATELIER_EDGE_PORT"}
    problems = []
    for spec in BACKEND_SERVICES:
        for address in given.get(spec.name, ()):
            if address.port in owners:
                problems.append(
                    f"{spec.address_variable}: port {address.port} is also given by "
                    f"{owners[address.port]}; every process needs a port of its own"
                )
            owners[address.port] = spec.address_variable
    return problems
