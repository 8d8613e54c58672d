// The account's past generations (newest first, in pages), each with its status and outputs.

import { api } from "./api.js";
import { $, credits, el, HISTORY_READ, when } from "./dom.js";

export class History {
  constructor({ onShow, toolName }) {
    this.onShow = onShow;
    this.toolName = toolName;
    this.list = $("#history");
    this.more = $("#history-more");
    this.items = [];
    this.cursor = null;
    $("#history-refresh").addEventListener("click", () => this.load());
    this.more.addEventListener("click", () => this.load(this.cursor));
  }

  async load(cursor = null) {
    const query = new URLSearchParams({ limit: "10", ...(cursor ? { cursor } : {}) });
    const page = await api(`/v1/generations?${query}`);
    if (!cursor) {
      this.items = [];
      this.list.replaceChildren();
    }
    this.items.push(...page.generations);
    this.list.append(...page.generations.map((g) => this.row(g)));
    this.cursor = page.next_cursor;
    this.more.hidden = !this.cursor;
    document.dispatchEvent(new Event(HISTORY_READ));
  }

  // Earlier outputs of a kind (image, audio, video), for the form's input-file fields.
  outputs(kind) {
    const found = [];
    for (const g of this.items) {
      if (g.status !== "succeeded") continue;
      g.outputs.forEach((output, index) => {
        if ((output.content_type || "").startsWith(`${kind}/`)) {
          found.push({ url: output.url, label: `${this.toolName(g.tool)} · ${when(g.created_at)} #${index + 1}` });
        }
      });
    }
    return found;
  }

  row(g) {
    const label = `${this.toolName(g.tool)} · ${g.model}`;
    const show = g.status === "succeeded" && g.outputs.length
      ? el("button", { type: "button", class: "quiet", text: "Show", "aria-label": `Show ${label}`, onclick: () => this.onShow(g, label) })
      : null;
    return el(
      "li",
      { "data-generation-id": g.id },
      el("span", { class: "what", text: label }),
      el("span", { class: `status status-${g.status}`, text: g.status }),
      el("span", { text: credits(g.cost) }),
      el("time", { class: "when", datetime: g.created_at || "", text: when(g.created_at) }),
      g.error ? el("span", { class: "error", text: g.error.message }) : null,
      show,
    );
  }
}
