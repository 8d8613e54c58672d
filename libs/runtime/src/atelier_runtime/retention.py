"""How long messages stay in a stream, and how long consumers remember what they processed.

A message can only be redelivered while its stream still holds it, so a consumer that remembers
each processed id for longer than the stream's max age can never mistake a redelivery for a new
message. The margin covers a redelivery fetched just before the message aged out and handled
late, and clocks that disagree a little.
"""

from __future__ import annotations

from datetime import timedelta

# Every service stream keeps a message this long (pass `STREAM_MAX_AGE_S` to ensure_stream).
STREAM_MAX_AGE = timedelta(days=7)
STREAM_MAX_AGE_S = STREAM_MAX_AGE.total_seconds()
# A processed message id is kept this long: past it, no redelivery of that message can exist.
PROCESSED_ID_RETENTION = STREAM_MAX_AGE + timedelta(days=1)
# How often a consumer deletes expired ids, and how many rows one delete statement takes at
# most, so pruning never holds locks on a large table for long.
PRUNE_INTERVAL = timedelta(minutes=10)
PRUNE_BATCH = 1_000
