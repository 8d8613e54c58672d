// The catalogue and the generate form: tools grouped by kind, each model's label and price,
// the form built from the model's input schema, the cost before starting, and the submit.

import { ApiProblem, api } from "./api.js";
import { $, credits, el } from "./dom.js";
import { pricer } from "./cost.js";
import { buildForm } from "./schema_form.js";
import { UploadFailed } from "./uploads.js";

const KINDS = [
  ["image", "Image"],
  ["video", "Video"],
  ["music", "Music"],
];

export class Studio {
  constructor({ tools, account, earlier, onStarted }) {
    this.tools = tools;
    this.account = account;
    this.earlier = earlier;
    this.onStarted = onStarted;
    this.form = $("#generate-form");
    this.message = $("#message");
    this.costLine = $("#cost");
    this.generateButton = $("#generate");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.addEventListener("input", () => this.showCost());
    this.form.addEventListener("change", () => this.showCost());
    this.renderCatalogue();
  }

  renderCatalogue() {
    const box = $("#catalogue");
    box.replaceChildren();
    const known = new Set(KINDS.map(([kind]) => kind));
    const groups = [...KINDS, ...[...new Set(this.tools.map((t) => t.kind))].filter((k) => !known.has(k)).map((k) => [k, k])];
    for (const [kind, title] of groups) {
      const tools = this.tools.filter((t) => t.kind === kind && t.models.length);
      if (!tools.length) continue;
      const headingId = `kind-${kind}`;
      box.append(
        el(
          "div",
          { class: "kind", role: "group", "aria-labelledby": headingId },
          el("h3", { id: headingId, text: title }),
          ...tools.map((tool) =>
            el("button", {
              type: "button",
              class: "tool",
              "data-tool": tool.id,
              "aria-pressed": "false",
              title: tool.description,
              text: tool.name,
              onclick: () => this.choose(tool.id),
            }),
          ),
        ),
      );
    }
    const first = this.tools.find((t) => t.models.length);
    if (first) this.choose(first.id);
  }

  choose(toolId, modelId = null) {
    this.tool = this.tools.find((t) => t.id === toolId);
    for (const button of document.querySelectorAll(".tool")) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === toolId));
    }
    const choice = $("#model-choice");
    const models = this.tool.models;
    this.model = models.find((m) => m.id === modelId) || models[0];
    choice.replaceChildren(
      el(
        "fieldset",
        { class: "models" },
        el("legend", { text: `${this.tool.name}: model` }),
        ...models.map((model) =>
          el(
            "label",
            { class: "model" },
            el("input", {
              type: "radio",
              name: "model",
              value: model.id,
              checked: model.id === this.model.id,
              onchange: () => this.choose(toolId, model.id),
            }),
            el("span", { text: model.name }),
            el("span", { class: "price", text: priceText(model) }),
          ),
        ),
      ),
    );
    this.price = pricer(this.model);
    this.fields = buildForm($("#fields"), this.model.input_schema, "field", this.earlier);
    this.message.textContent = "";
    this.message.className = "message";
    this.showCost();
  }

  showCost() {
    if (!this.model) return;
    const cost = this.price(this.fields.read());
    const have = this.account.available;
    const base = cost === null ? `From ${credits(this.model.cost)}` : `Costs ${credits(cost)}`;
    const short = cost !== null && have !== null && cost > have ? ` · you have ${have}` : "";
    this.costLine.textContent = base + short;
  }

  setBusy(busy) {
    this.generateButton.disabled = busy;
  }

  async submit() {
    this.message.textContent = "";
    this.message.className = "message";
    const invalid = [...this.form.elements].find((field) => field.willValidate && !field.checkValidity());
    if (invalid) {
      const label = this.form.querySelector(`label[for="${CSS.escape(invalid.id)}"]`);
      this.fail(`${label ? label.textContent.replace(" (required)", "") : invalid.name}: ${invalid.validationMessage}`);
      invalid.setAttribute("aria-invalid", "true");
      invalid.focus();
      return;
    }
    for (const field of this.form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
    this.setBusy(true);
    try {
      const params = await this.fields.readUploaded();
      const prompt = typeof params.prompt === "string" ? params.prompt : "";
      delete params.prompt;
      const generation = await api("/v1/generations", {
        method: "POST",
        headers: { "Idempotency-Key": idempotencyKey() },
        body: { tool: this.tool.id, model: this.model.id, prompt, params },
      });
      this.onStarted(generation);
    } catch (problem) {
      this.setBusy(false);
      this.fail(explain(problem));
    }
  }

  fail(text) {
    this.message.className = "message error";
    this.message.textContent = text;
  }
}

function priceText(model) {
  const cost = credits(model.cost);
  return model.cost_rule === cost ? cost : `${cost} by default · ${model.cost_rule}`;
}

function explain(problem) {
  if (problem instanceof UploadFailed) return problem.message;
  if (!(problem instanceof ApiProblem)) return "The server could not be reached. Try again.";
  const body = problem.body;
  if (problem.type === "insufficient-credits") {
    return `Not enough credits: this costs ${body.required}, you have ${body.available} available.`;
  }
  if (Array.isArray(body.errors) && body.errors.length) {
    return body.errors.map((e) => `${e.field.replace(/^params\./, "")}: ${e.problem}`).join("; ");
  }
  if (problem.status === 429) return "Too many requests at once; wait a moment and try again.";
  return body.detail || body.title || `The request failed (${problem.status}).`;
}

function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
