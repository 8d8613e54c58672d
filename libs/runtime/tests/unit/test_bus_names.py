from __future__ import annotations

import pytest

from atelier_runtime.bus_names import BusNames


def test_names_without_prefix_follow_the_architecture() -> None:
    names = BusNames()

    assert names.stream("credits") == "CREDITS"
    assert names.subject("credits", "frozen") == "atelier.credits.frozen"
    assert names.subjects("credits") == "atelier.credits.>"


def test_a_prefix_isolates_streams_and_subjects() -> None:
    names = BusNames("t3f9a1c2b")

    assert names.stream("credits") == "t3f9a1c2b_CREDITS"
    assert names.subject("credits", "frozen") == "t3f9a1c2b.atelier.credits.frozen"
    assert names.subjects("credits") == "t3f9a1c2b.atelier.credits.>"


def test_an_event_may_span_several_subject_tokens() -> None:
    subject = BusNames().subject("media", "fallback_due.med-42")

    assert subject == "atelier.media.fallback_due.med-42"


@pytest.mark.parametrize("service", ["", "credits.v1", "cred its", "*", ">"])
def test_a_service_name_that_would_break_subjects_is_refused(service: str) -> None:
    with pytest.raises(ValueError, match="service"):
        BusNames().subject(service, "frozen")


@pytest.mark.parametrize("event", ["", "frozen.", ".frozen", "fro*zen", "a.>"])
def test_an_event_name_that_would_break_subjects_is_refused(event: str) -> None:
    with pytest.raises(ValueError, match="event"):
        BusNames().subject("credits", event)


def test_a_prefix_with_a_dot_is_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        BusNames("a.b")
