"""The caller's account: who they are, their plan and credits, and their statement."""

from __future__ import annotations

from fastapi import APIRouter, Request

from atelier_edge.adapters.billing_client import BillingClient
from atelier_edge.adapters.credits_client import CreditsClient
from atelier_edge.http_api import models, wire
from atelier_edge.http_api.auth import Caller
from atelier_edge.http_api.pagination import Cursor, Limit, next_cursor
from atelier_edge.http_api.problems import problem_responses

router = APIRouter(tags=["account"])


@router.get("/v1/me", response_model=models.Me, responses=problem_responses())
async def me(request: Request, principal: Caller) -> models.Me:
    """Applies today's free credits first (once per account and UTC day), then reads the balance,
    so the first sight of the day already shows them."""
    billing: BillingClient = request.app.state.billing
    credits: CreditsClient = request.app.state.credits
    daily = await billing.grant_daily(principal.account_id)
    balance = await credits.balance(principal.account_id)
    return models.Me(
        account_id=principal.account_id,
        plan=daily.plan,
        credits=models.Balance(available=balance.available, frozen=balance.frozen),
        free_credits_today=models.FreeCredits(
            amount=daily.amount,
            granted_now=daily.granted,
            date=daily.date,
            expires_at=wire.when(daily.expires_at, daily.HasField("expires_at")),
        ),
    )


@router.get("/v1/credits/ledger", response_model=models.LedgerPage, responses=problem_responses())
async def ledger(
    request: Request, principal: Caller, limit: Limit = 20, cursor: Cursor = ""
) -> models.LedgerPage:
    """The account's ledger lines, newest first."""
    credits: CreditsClient = request.app.state.credits
    page = await credits.statement(principal.account_id, limit, cursor)
    return models.LedgerPage(
        lines=[wire.ledger_line(line) for line in page.lines],
        next_cursor=next_cursor(page.next_page_token),
    )
