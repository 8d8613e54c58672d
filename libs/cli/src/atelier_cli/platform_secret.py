"""The secret a platform's tokens are signed with: an exported ATELIER_JWT_SECRET wins over the
one `atelier up` generates and keeps in the home."""

from __future__ import annotations

import os
from collections.abc import Mapping

from atelier_cli.configuration_error import ConfigurationError
from atelier_cli.home import AtelierHome

JWT_SECRET_VARIABLE = "ATELIER_JWT_SECRET"
# The name under which the home keeps its generated secret (ATELIER_HOME/secrets/jwt).
HOME_SECRET_NAME = "jwt"


def exported_jwt_secret(environ: Mapping[str, str] | None = None) -> str | None:
    """The exported secret; an empty value counts as not exported."""
    return (os.environ if environ is None else environ).get(JWT_SECRET_VARIABLE) or None


def jwt_secret(home: AtelierHome, environ: Mapping[str, str] | None = None) -> str:
    """The exported secret, else the home's (generated on first use).

    A platform started with an exported secret ignores the home's, so a token signed with the
    home's would be refused: that is said here, before anything is signed.
    """
    exported = exported_jwt_secret(environ)
    if exported:
        return exported
    if _running_with_exported_secret(home):
        raise ConfigurationError(
            [
                f"{JWT_SECRET_VARIABLE}: the platform under {home.path} verifies tokens with an "
                f"exported {JWT_SECRET_VARIABLE}; export the same value here"
            ]
        )
    return home.secret(HOME_SECRET_NAME)


def _running_with_exported_secret(home: AtelierHome) -> bool:
    try:
        return home.read_record().jwt_secret_exported
    except FileNotFoundError:
        return False
