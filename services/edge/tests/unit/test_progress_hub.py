"""The hub's promise, under any interleaving of events, connections, resumes, slow clients and
evictions: each client sees every event of its generation once, in order, either live or inside
the snapshot it was sent when its resume point was no longer held."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from atelier_edge.live.events import Cursor, LiveEvent
from atelier_edge.live.hub import HistoryLimits, ProgressHub

GENERATIONS = ("gen-a", "gen-b", "gen-c")


def event(seq: int, generation_id: str, kind: str = "progress") -> LiveEvent:
    return LiveEvent(seq, generation_id, "acct-1", kind, "{}", occurred_us=seq * 10)


class Inbox:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.queue: deque[LiveEvent] = deque()
        self.overflowed = False

    def offer(self, e: LiveEvent) -> bool:
        if len(self.queue) >= self.capacity:
            self.overflowed = True
            return False
        self.queue.append(e)
        return True


@dataclass
class Client:
    generation_id: str
    capacity: int
    cursor: Cursor | None = None
    inbox: Inbox | None = None
    live: list[int] = field(default_factory=list)
    in_snapshots: set[int] = field(default_factory=set)
    snapshots: int = 0

    def take(self, e: LiveEvent) -> None:
        assert self.cursor is not None
        if self.cursor.admits(e):
            self.live.append(e.seq)
            self.cursor = self.cursor.past(e)


class World:
    def __init__(self, hub: ProgressHub, schedule: list[LiveEvent]) -> None:
        self.hub = hub
        self.schedule = schedule
        self.published = 0

    def of(self, generation_id: str, upto: int) -> list[LiveEvent]:
        return [e for e in self.schedule[:upto] if e.generation_id == generation_id]

    def connect(self, client: Client, lead: int) -> None:
        if client.inbox is not None:
            return
        client.inbox = Inbox(client.capacity)
        attached = self.hub.attach(client.generation_id, client.inbox, client.cursor)
        if not attached.covered:
            # A snapshot read from the database, which may be ahead of the bus by `lead` events.
            seen = self.of(client.generation_id, min(len(self.schedule), self.published + lead))
            client.in_snapshots |= {e.seq for e in seen}
            client.snapshots += 1
            reflected = seen[-1].occurred_us if seen else None
            client.cursor = Cursor(attached.cursor.seq, reflected)
            return
        for e in attached.backlog:
            client.take(e)

    def drain(self, client: Client) -> None:
        if client.inbox is None:
            return
        if client.inbox.overflowed:  # the stream was cut; what it held is never sent
            self.disconnect(client)
            return
        while client.inbox.queue:
            client.take(client.inbox.queue.popleft())

    def disconnect(self, client: Client) -> None:
        if client.inbox is not None:
            self.hub.detach(client.generation_id, client.inbox)
            client.inbox = None

    def publish(self) -> None:
        if self.published < len(self.schedule):
            self.hub.publish(self.schedule[self.published])
            self.published += 1


operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["publish", "publish", "publish", "connect", "drain", "disconnect", "tick"]
        ),
        st.integers(0, 3),
        st.integers(0, 3),
    ),
    max_size=120,
)


@settings(max_examples=400, deadline=None)
@given(
    owners=st.lists(st.sampled_from(GENERATIONS), min_size=1, max_size=40),
    before_start=st.integers(0, 3),
    capacities=st.lists(st.integers(1, 4), min_size=4, max_size=4),
    limits=st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(5, 40)),
    script=operations,
)
def test_every_client_sees_each_event_once_in_order_live_or_in_a_snapshot(
    owners: list[str],
    before_start: int,
    capacities: list[int],
    limits: tuple[int, int, int],
    script: list[tuple[str, int, int]],
) -> None:
    now = [0.0]
    hub = ProgressHub(HistoryLimits(*limits), clock=lambda: now[0])
    schedule = [event(seq, owner) for seq, owner in enumerate(owners, start=1)]
    world = World(hub, schedule)
    # Events stored before this edge subscribed: only snapshots can tell of them.
    world.published = min(before_start, len(schedule))
    hub.begin(after_seq=world.published)
    clients = [Client(GENERATIONS[n % len(GENERATIONS)], capacities[n]) for n in range(4)]
    actions: dict[str, Callable[[Client, int], None]] = {
        "publish": lambda c, lead: world.publish(),
        "connect": world.connect,
        "drain": lambda c, lead: world.drain(c),
        "disconnect": lambda c, lead: world.disconnect(c),
        "tick": lambda c, lead: now.__setitem__(0, now[0] + 7),
    }
    for action, who, lead in script:
        actions[action](clients[who], lead)
    while world.published < len(schedule):
        world.publish()
        for client in clients:
            world.drain(client)
    for client in clients:
        world.drain(client)
        world.connect(client, 0)
        world.drain(client)

    for client in clients:
        everything = [e.seq for e in schedule if e.generation_id == client.generation_id]
        assert client.live == sorted(set(client.live)), "live events repeat or go back"
        assert not set(client.live) & client.in_snapshots, "an event sent live and in a snapshot"
        assert set(client.live) | client.in_snapshots == set(everything), "an event was lost"
    assert hub.streams == sum(1 for c in clients if c.inbox is not None)


def test_a_resume_within_the_history_gets_the_missed_events_and_no_snapshot() -> None:
    hub = ProgressHub()
    hub.begin(after_seq=10)
    for seq in (11, 12, 13):
        hub.publish(event(seq, "gen-a"))

    attached = hub.attach("gen-a", Inbox(8), Cursor(11))

    assert attached.covered
    assert [e.seq for e in attached.backlog] == [12, 13]


def test_a_resume_from_before_the_subscription_began_needs_a_snapshot() -> None:
    hub = ProgressHub()
    hub.begin(after_seq=10)
    hub.publish(event(11, "gen-a"))

    attached = hub.attach("gen-a", Inbox(8), Cursor(9))

    assert not attached.covered
    assert attached.cursor == Cursor(11)


def test_a_resume_past_the_terminal_event_is_told_the_generation_ended() -> None:
    hub = ProgressHub()
    hub.begin(after_seq=0)
    hub.publish(event(1, "gen-a"))
    hub.publish(event(2, "gen-a", "succeeded"))

    assert hub.attach("gen-a", Inbox(8), Cursor(2)).ended
    assert not hub.attach("gen-a", Inbox(8), Cursor(1)).ended


def test_a_client_that_cannot_keep_up_is_dropped_and_counted() -> None:
    hub = ProgressHub()
    hub.begin(after_seq=0)
    inbox = Inbox(1)
    hub.attach("gen-a", inbox, None)

    hub.publish(event(1, "gen-a"))
    hub.publish(event(2, "gen-a"))

    assert inbox.overflowed
    assert hub.dropped_slow == 1
    assert hub.streams == 0


def test_an_evicted_generation_sends_its_resumes_to_a_snapshot() -> None:
    hub = ProgressHub(HistoryLimits(generations=1))
    hub.begin(after_seq=0)
    hub.publish(event(1, "gen-a"))
    hub.publish(event(2, "gen-a"))
    hub.publish(event(3, "gen-b"))

    assert not hub.attach("gen-a", Inbox(8), Cursor(1)).covered
    assert hub.attach("gen-a", Inbox(8), Cursor(2)).covered


def test_ids_round_trip_and_foreign_ids_are_refused() -> None:
    for cursor in (Cursor(42), Cursor(42, 1_700_000_000_000_000)):
        assert Cursor.parse(cursor.text) == cursor
    for bad in ("", "abc", "-1", "1-", "1-x", "\uff11\uff12", "9" * 65, "1\x00"):
        try:
            Cursor.parse(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_a_generation_past_its_event_limit_sends_older_resumes_to_a_snapshot() -> None:
    hub = ProgressHub(HistoryLimits(events_per_generation=2))
    hub.begin(after_seq=0)
    for seq in (1, 2, 3, 4):
        hub.publish(event(seq, "gen-a"))

    assert not hub.attach("gen-a", Inbox(8), Cursor(1)).covered
    assert [e.seq for e in hub.attach("gen-a", Inbox(8), Cursor(2)).backlog] == [3, 4]


def test_a_generation_seen_again_after_eviction_does_not_claim_what_was_evicted() -> None:
    hub = ProgressHub(HistoryLimits(generations=1))
    hub.begin(after_seq=0)
    hub.publish(event(1, "gen-a"))
    hub.publish(event(2, "gen-b"))  # evicts gen-a
    hub.publish(event(3, "gen-a"))  # evicts gen-b; gen-a's history starts again

    assert not hub.attach("gen-a", Inbox(8), Cursor(0)).covered
