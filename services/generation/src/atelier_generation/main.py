"""Composition root of the generation service: the catalogue behind gRPC, and the providers."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Sequence

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_generation.adapters.catalogue_file import CatalogueError, load_catalogue
from atelier_generation.api.generation_servicer import GenerationServicer
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.providers.local.catalogue_fit import check_local_models
from atelier_generation.providers.local.provider import NAME as LOCAL
from atelier_generation.providers.local.running import running_local_provider
from atelier_generation.providers.provider import ADAPTER_NAMES
from atelier_generation.settings import GenerationSettings
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.resources import open_bus, open_database
from atelier_runtime.service import ServiceScope, run_service
from atelier_runtime.settings import EXIT_BAD_SETTINGS, exit_on_bad_settings

_log = logging.getLogger(__name__)
SERVICE_NAME = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name


def service_catalogue(settings: GenerationSettings) -> Catalogue:
    """ATELIER_CATALOG (or the shipped one), checked; CatalogueError names what is wrong."""
    return load_catalogue(settings.catalog, ADAPTER_NAMES, checks=[check_local_models])


async def build(
    settings: GenerationSettings, scope: ServiceScope, catalogue: Catalogue | None = None
) -> Sequence[GrpcService]:
    catalogue = catalogue if catalogue is not None else service_catalogue(settings)
    # Opening the database and the bus first means SERVING implies both are reachable.
    await open_database(scope, settings)
    await open_bus(scope, settings, stream_of="generation")
    if any(model.provider == LOCAL for tool in catalogue.tools for model in tool.models):
        # Started with the service so its file server is up before the saga runs jobs on it.
        local = await scope.enter(running_local_provider(settings.local_provider()))
        _log.info("local provider serving its files", extra={"url": local.files_url})
    servicer = GenerationServicer(CatalogueQueries(catalogue))
    return [
        GrpcService.of(
            SERVICE_NAME, generation_pb2_grpc.add_GenerationServiceServicer_to_server, servicer
        )
    ]


def main() -> None:
    # A bad catalogue is bad configuration, like a bad variable: one line naming the file, the
    # key and the reason, exit status 2, before anything starts. (run_service reads the
    # settings again; reading them has no side effect.)
    try:
        catalogue = service_catalogue(exit_on_bad_settings(GenerationSettings))
    except CatalogueError as error:
        print(error, file=sys.stderr)
        sys.exit(EXIT_BAD_SETTINGS)
    run_service(GenerationSettings, functools.partial(build, catalogue=catalogue))


if __name__ == "__main__":
    main()
