"""A generation's live event as the edge streams it, and the resume cursor an SSE id encodes."""

from __future__ import annotations

from dataclasses import dataclass, field

TERMINAL_KINDS = frozenset({"succeeded", "failed", "canceled"})
# Longer ids are refused before parsing: a real one is two integers.
MAX_ID_CHARS = 64


@dataclass(frozen=True)
class LiveEvent:
    """One event of one generation; `seq` is its place in the generation stream, the same on
    every edge replica, so it serves as the SSE id. The frame is rendered once for every client."""

    seq: int
    generation_id: str
    account_id: str
    kind: str
    data: str  # JSON
    occurred_us: int  # the generation's recorded change, microseconds since the epoch
    frame: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        frame = f"id: {self.seq}\nevent: {self.kind}\ndata: {self.data}\n\n".encode()
        object.__setattr__(self, "frame", frame)

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS


@dataclass(frozen=True)
class Cursor:
    """Where a stream stands: every event up to stream sequence `seq` was sent, and, after a
    snapshot, every change recorded at or before `reflected_us` was part of that snapshot."""

    seq: int
    reflected_us: int | None = None

    def admits(self, event: LiveEvent) -> bool:
        if event.seq <= self.seq:
            return False
        return self.reflected_us is None or event.occurred_us > self.reflected_us

    def past(self, event: LiveEvent) -> Cursor:
        """The cursor once `event` was sent (its successors were recorded after it)."""
        return Cursor(event.seq)

    @property
    def text(self) -> str:
        """The SSE id: `<seq>` after an event, `<seq>-<reflected µs>` after a snapshot."""
        return str(self.seq) if self.reflected_us is None else f"{self.seq}-{self.reflected_us}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor an id names; ValueError when it is not one this edge hands out."""
        if len(text) > MAX_ID_CHARS:
            raise ValueError(f"at most {MAX_ID_CHARS} characters")
        seq, dash, reflected = text.partition("-")
        if not seq.isascii() or not seq.isdigit() or (dash and not _digits(reflected)):
            raise ValueError("must be an event id this stream sent")
        return cls(int(seq), int(reflected) if dash else None)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
