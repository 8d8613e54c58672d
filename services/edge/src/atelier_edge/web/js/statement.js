// The account's credits statement (GET /v1/credits/ledger), newest first, in pages.

import { api } from "./api.js";
import { $, el, when } from "./dom.js";

const WORDS = {
  granted: "Credits granted",
  frozen: "Reserved for a generation",
  confirmed: "Charged",
  rolled_back: "Returned",
  grant_expired: "Credits expired",
  revoked: "Credits taken back",
};

export class Statement {
  constructor() {
    this.body = $("#statement tbody");
    this.more = $("#statement-more");
    this.cursor = null;
    $("#statement-refresh").addEventListener("click", () => this.load());
    this.more.addEventListener("click", () => this.load(this.cursor));
  }

  async load(cursor = null) {
    const query = new URLSearchParams({ limit: "20", ...(cursor ? { cursor } : {}) });
    const page = await api(`/v1/credits/ledger?${query}`);
    if (!cursor) this.body.replaceChildren();
    this.body.append(...page.lines.map(row));
    this.cursor = page.next_cursor;
    this.more.hidden = !this.cursor;
    return page.lines[0] || null;
  }
}

function row(line) {
  const what = WORDS[line.kind] || line.kind;
  return el(
    "tr",
    {},
    el("td", {}, el("time", { datetime: line.occurred_at || "", text: when(line.occurred_at) })),
    el("td", { text: line.reference ? `${what} (${line.reference})` : what }),
    el("td", { class: "num", text: String(line.amount) }),
    el("td", { class: "num", text: String(line.available_after) }),
    el("td", { class: "num", text: String(line.frozen_after) }),
  );
}
