"""A deliberately naive credits ledger in plain dicts, written apart from the domain model.

Every operation returns ("ok", result tuple) or ("error", reason), in the shape of
`dataclasses.astuple` of the domain's results, so the state machine can compare the two.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

Outcome = tuple[str, Any]
DEFAULT_TTL = timedelta(minutes=30)


class ReferenceLedger:
    """Grants, freezes and revocations as dicts; every rule spelled out step by step."""

    def __init__(self) -> None:
        self.grants: dict[str, dict[str, Any]] = {}
        self.freezes: dict[str, dict[str, Any]] = {}
        self.revocations: dict[str, dict[str, Any]] = {}

    def grant(self, now: datetime, gid: str, amount: int, priority: int, expires: Any) -> Outcome:
        self._settle(now)
        if gid in self.grants:
            g = self.grants[gid]
            if (g["amount"], g["priority"], g["expires"]) != (amount, priority, expires):
                return ("error", "IDEMPOTENCY_CONFLICT")
        else:
            self.grants[gid] = {
                "seq": len(self.grants),
                "amount": amount,
                "priority": priority,
                "expires": expires,
                "available": amount,
                "frozen": 0,
                "consumed": 0,
                "expired": 0,
                "revoked": 0,
            }
            self._expire_grants(now)
        return ("ok", (gid, amount, "", priority, expires))

    def freeze(self, now: datetime, fid: str, amount: int, ttl: timedelta | None) -> Outcome:
        self._settle(now)
        ttl = ttl or DEFAULT_TTL
        if fid in self.freezes:
            f = self.freezes[fid]
            if (f["amount"], f["ttl"]) != (amount, ttl):
                return ("error", "IDEMPOTENCY_CONFLICT")
            return ("ok", (fid, amount, f["expires"], tuple(f["parts"])))
        if amount > self._live_total(now):
            return ("error", "INSUFFICIENT_CREDITS")
        parts = self._take(now, amount, "frozen")
        self.freezes[fid] = {
            "amount": amount,
            "ttl": ttl,
            "expires": now + ttl,
            "parts": parts,
            "state": "pending",
            "confirmed": 0,
            "reason": "",
        }
        return ("ok", (fid, amount, now + ttl, tuple(parts)))

    def confirm(self, now: datetime, fid: str, amount: int | None) -> Outcome:
        self._settle(now)
        if fid not in self.freezes:
            return ("error", "FREEZE_NOT_FOUND")
        f = self.freezes[fid]
        want = f["amount"] if amount is None else amount
        if want > f["amount"]:
            return ("error", "CONFIRM_EXCEEDS_FROZEN")
        if f["state"] == "rolled_back":
            return ("error", "FREEZE_ALREADY_RESOLVED")
        if f["state"] == "confirmed":
            if f["confirmed"] != want:
                return ("error", "IDEMPOTENCY_CONFLICT")
            return ("ok", (fid, want, f["amount"] - want))
        left = want
        for gid, n in f["parts"]:
            used = min(n, left)
            left -= used
            g = self.grants[gid]
            g["frozen"] -= n
            g["consumed"] += used
            g["available"] += n - used
        f["state"], f["confirmed"] = "confirmed", want
        self._expire_grants(now)
        return ("ok", (fid, want, f["amount"] - want))

    def rollback(self, now: datetime, fid: str, reason: str) -> Outcome:
        self._settle(now)
        if fid not in self.freezes:
            return ("error", "FREEZE_NOT_FOUND")
        f = self.freezes[fid]
        if f["state"] == "confirmed":
            return ("error", "FREEZE_ALREADY_RESOLVED")
        if f["state"] == "pending":
            self._release(f, reason)
            self._expire_grants(now)
        return ("ok", (fid, f["amount"], f["reason"]))

    def revoke(self, now: datetime, rid: str, amount: int, reason: str) -> Outcome:
        self._settle(now)
        if rid in self.revocations:
            r = self.revocations[rid]
            if (r["amount"], r["reason"]) != (amount, reason):
                return ("error", "IDEMPOTENCY_CONFLICT")
        else:
            taken = min(amount, self._live_total(now))
            self._take(now, taken, "revoked")
            self.revocations[rid] = {"amount": amount, "reason": reason, "taken": taken}
        r = self.revocations[rid]
        return ("ok", (rid, r["taken"], amount - r["taken"]))

    def sweep(self, now: datetime) -> None:
        self._settle(now)

    def next_expiry(self, now: datetime) -> datetime | None:
        """When a sweep has work: `now` if overdue, else the first pending or unspent expiry."""
        instants = [f["expires"] for f in self.freezes.values() if f["state"] == "pending"]
        instants += [
            g["expires"] for g in self.grants.values() if g["expires"] and g["available"] > 0
        ]
        return max(min(instants), now) if instants else None

    def next_expiry_after(self, now: datetime) -> datetime | None:
        """The first instant after `now` at which a pending freeze or a live grant expires."""
        instants = [f["expires"] for f in self.freezes.values() if f["state"] == "pending"]
        instants += [g["expires"] for g in self.grants.values() if g["expires"] is not None]
        return min((t for t in instants if t > now), default=None)

    def _settle(self, now: datetime) -> None:
        for f in self.freezes.values():
            if f["state"] == "pending" and f["expires"] <= now:
                self._release(f, "expired")
        self._expire_grants(now)

    def _release(self, f: dict[str, Any], reason: str) -> None:
        for gid, n in f["parts"]:
            self.grants[gid]["frozen"] -= n
            self.grants[gid]["available"] += n
        f["state"], f["reason"] = "rolled_back", reason

    def _expire_grants(self, now: datetime) -> None:
        for g in self.grants.values():
            if g["expires"] is not None and g["expires"] <= now:
                g["expired"] += g["available"]
                g["available"] = 0

    def _live(self, now: datetime) -> list[str]:
        ids = [gid for gid, g in self.grants.items() if g["expires"] is None or now < g["expires"]]
        ids.sort(key=lambda gid: self.grants[gid]["seq"])
        ids.sort(
            key=lambda gid: (
                self.grants[gid]["expires"] is None,
                self.grants[gid]["expires"] or now,
            )
        )
        ids.sort(key=lambda gid: -self.grants[gid]["priority"])
        return ids

    def _expiry_rank(self, gid: str, now: datetime) -> tuple[bool, datetime]:
        expires = self.grants[gid]["expires"]
        return (expires is None, expires or now)

    def _live_total(self, now: datetime) -> int:
        return sum(self.grants[gid]["available"] for gid in self._live(now))

    def _take(self, now: datetime, amount: int, bucket: str) -> list[tuple[str, int]]:
        parts = []
        for gid in self._live(now):
            n = min(self.grants[gid]["available"], amount)
            if n > 0:
                self.grants[gid]["available"] -= n
                self.grants[gid][bucket] += n
                parts.append((gid, n))
                amount -= n
        return parts
