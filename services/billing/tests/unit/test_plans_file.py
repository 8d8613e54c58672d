"""The plans file: the shipped defaults, and a bad file stopping the service with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier_billing.adapters.plan_file import PlanFileError, load_plans, parse_plans
from atelier_billing.main import main

VALID = """
default_plan: free
daily_grant_priority: 100
plans:
  free: {monthly_credits: 0, daily_free_credits: 10}
  pro: {price_id: price_pro, monthly_credits: 2000, rollover_cap: 500}
packs:
  big: {price_id: price_big, credits: 900}
"""


def test_the_shipped_plans_are_the_documented_defaults() -> None:
    plans = load_plans(None)

    assert plans.default.name == "free"
    assert plans.default.daily_free_credits == 10
    credits = {p.price_id: p.monthly_credits for p in plans.plans.values() if p.price_id}
    assert credits == {
        "price_basic_monthly": 400,
        "price_standard_monthly": 1000,
        "price_pro_monthly": 2000,
    }
    pack = plans.pack_for_price("price_pack_500")
    assert pack is not None
    assert pack.credits == 500
    assert all(p.grant_priority < plans.daily_grant_priority for p in plans.plans.values())


def test_a_file_replaces_the_plans(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(VALID)

    plans = load_plans(path)

    assert plans.plan_for_price("price_pro") == plans.plans["pro"]
    assert plans.plans["pro"].name == "pro"
    assert plans.plans["pro"].rollover_cap == 500
    assert plans.plan_for_price("price_basic_monthly") is None


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("monthly_credits: 2000", "monthly_credits: -1"), "plans.pro.monthly_credits"),
        (("monthly_credits: 2000", "monthly_credits: lots"), "plans.pro.monthly_credits"),
        (("rollover_cap: 500", "rollover_cap: 500, colour: red"), "plans.pro.colour"),
        (("price_id: price_big", "price_id: price_pro"), "packs.big.price_id"),
        (("default_plan: free", "default_plan: gold"), "default_plan"),
        (("daily_grant_priority: 100", "daily_grant_priority: 0"), "plans.free.grant_priority"),
        (("price_id: price_pro, ", ""), "plans.pro.price_id"),
        (("{price_id: price_big, credits: 900}", "{price_id: price_big}"), "packs.big.credits"),
    ],
)
def test_a_bad_plans_file_names_the_file_and_the_key(change: tuple[str, str], where: str) -> None:
    with pytest.raises(PlanFileError) as refused:
        parse_plans(VALID.replace(*change), "/etc/plans.yaml")

    assert str(refused.value).startswith(f"invalid plans file /etc/plans.yaml: {where}: ")


def test_broken_yaml_and_repeated_keys_are_refused_with_their_line() -> None:
    with pytest.raises(PlanFileError, match=r"plans.yaml: line 3, column 3: duplicate key"):
        parse_plans("plans:\n  a: {}\n  a: {}\n", "plans.yaml")
    with pytest.raises(PlanFileError, match=r"plans.yaml: line 2, column 1: "):
        parse_plans("plans: [\n", "plans.yaml")


def test_the_service_stops_at_start_with_one_line_and_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(VALID.replace("monthly_credits: 2000", "monthly_credits: -5"))
    monkeypatch.setenv("ATELIER_PLANS", str(path))
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://billing@127.0.0.1:5432/billing")

    with pytest.raises(SystemExit) as stopped:
        main()

    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"invalid plans file {path}: plans.pro.monthly_credits: ")


def test_a_missing_plans_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot be read"):
        load_plans(tmp_path / "absent.yaml")
