"""Plans and packs as configuration: what each Stripe price buys.

The shape is checked field by field (pydantic), the rules across fields by `check_plan_book`, so
a bad file is refused at start with the key that is wrong.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from atelier_billing.domain.errors import PlanProblem

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
PriceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,100}$")]
Credits = Annotated[int, Field(ge=0, le=10**9)]
Priority = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Plan(_Strict):
    """A subscription plan: its monthly credits and what else it puts the account on."""

    name: Name = "free"
    # None for the default plan, which nobody buys.
    price_id: PriceId | None = None
    monthly_credits: Credits
    # At most this much of a period's unspent credits stays usable one period longer.
    rollover_cap: Credits = 0
    # Credits draws higher priority first; within a priority, the earliest expiry.
    grant_priority: Priority = 0
    generation_priority: Annotated[int, Field(ge=0, le=100)] = 0
    media_retention_days: Annotated[int, Field(ge=1, le=36_500)] = 30
    daily_free_credits: Credits = 0


class Pack(_Strict):
    """A one-time purchase of credits that never expire."""

    name: Name = "pack"
    price_id: PriceId
    credits: Annotated[int, Field(ge=1, le=10**9)]
    grant_priority: Priority = 0


class PlanBook(_Strict):
    """Every plan and pack, looked up by name or by Stripe price id."""

    default_plan: Name
    # Daily free credits are drawn before anything else, so this must top every other priority.
    daily_grant_priority: Priority
    plans: dict[Name, Plan]
    packs: dict[Name, Pack] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _named_by_their_keys(cls, data: Any) -> Any:
        # Names are the mapping keys in the file; each entry is given its own.
        if isinstance(data, dict):
            data = dict(data)
            for section in ("plans", "packs"):
                entries = data.get(section)
                if isinstance(entries, dict):
                    data[section] = {
                        key: {**value, "name": key} if isinstance(value, dict) else value
                        for key, value in entries.items()
                    }
        return data

    @property
    def default(self) -> Plan:
        return self.plans[self.default_plan]

    def plan(self, name: str) -> Plan:
        """The named plan; the default for a name no longer configured."""
        return self.plans.get(name, self.default)

    def plan_for_price(self, price_id: str | None) -> Plan | None:
        return next((p for p in self.plans.values() if price_id and p.price_id == price_id), None)

    def pack_for_price(self, price_id: str | None) -> Pack | None:
        return next((p for p in self.packs.values() if price_id and p.price_id == price_id), None)


def check_plan_book(book: PlanBook) -> PlanBook:
    """The rules across entries; raises PlanProblem naming the key that breaks one."""
    if book.default_plan not in book.plans:
        raise PlanProblem("default_plan", f"names no plan under plans: {book.default_plan!r}")
    if book.default.price_id is not None:
        raise PlanProblem(f"plans.{book.default_plan}.price_id", "the default plan has no price")
    seen: dict[str, str] = {}
    entries = [(f"plans.{n}", p.price_id) for n, p in book.plans.items()]
    entries += [(f"packs.{n}", p.price_id) for n, p in book.packs.items()]
    for where, price in entries:
        if price is None and where != f"plans.{book.default_plan}":
            raise PlanProblem(f"{where}.price_id", "required for every plan but the default")
        if price is not None and price in seen:
            raise PlanProblem(f"{where}.price_id", f"{price!r} is also {seen[price]}'s price")
        if price is not None:
            seen[price] = where
    priorities = [(f"plans.{n}", p.grant_priority) for n, p in book.plans.items()]
    priorities += [(f"packs.{n}", p.grant_priority) for n, p in book.packs.items()]
    for where, priority in priorities:
        if priority >= book.daily_grant_priority:
            raise PlanProblem(
                f"{where}.grant_priority",
                f"must be below daily_grant_priority ({book.daily_grant_priority}), "
                "so the day's free credits are drawn first",
            )
    return book
