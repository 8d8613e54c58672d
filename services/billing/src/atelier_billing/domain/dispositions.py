"""How processing left an event: done, waiting for something, or of no concern to billing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Disposition:
    # processed, parked or ignored.
    state: str
    reason: str = ""
    # For a parked event: the links or payment refs whose arrival lets it go on.
    waiting_for: tuple[str, ...] = ()


PROCESSED = Disposition("processed")


def parked(reason: str, waiting_for: tuple[str, ...]) -> Disposition:
    return Disposition("parked", reason, waiting_for)


def ignored(reason: str) -> Disposition:
    return Disposition("ignored", reason)
