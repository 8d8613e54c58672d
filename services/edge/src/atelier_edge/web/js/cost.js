// The cost of a generation before it starts, from the model's cost rule as the catalogue words
// it: "(flat + per output x outputs + per second x duration) x multiplier, rounded up", e.g.
// "2 credits per output; by resolution: x1 at 1K, x2 at 2K". The rule is checked against the
// catalogue's own price at the defaults; a rule the page cannot read is never guessed at.

const NUMBER = "(\\d+(?:\\.\\d+)?)";

export function parseRule(text) {
  const rule = { flat: 0, perOutput: 0, perSecond: 0, durationField: null, by: null };
  const [base, ...clauses] = String(text || "").split("; ");
  for (const part of base.split(" + ")) {
    let found;
    if ((found = new RegExp(`^${NUMBER} credits? per output$`).exec(part))) {
      rule.perOutput = Number(found[1]);
    } else if ((found = new RegExp(`^${NUMBER} credits? per second of (.+)$`).exec(part))) {
      rule.perSecond = Number(found[1]);
      rule.durationField = found[2];
    } else if ((found = new RegExp(`^${NUMBER} credits?$`).exec(part))) {
      rule.flat = Number(found[1]);
    } else {
      return null;
    }
  }
  for (const clause of clauses) {
    if (clause === "rounded up") continue;
    const found = /^by ([^:]+): (.+)$/.exec(clause);
    if (!found) return null;
    const multipliers = {};
    const step = new RegExp(`x${NUMBER} at (.+?)(?=, x\\d|$)`, "g");
    for (const [, factor, choice] of found[2].matchAll(step)) multipliers[choice] = Number(factor);
    rule.by = { field: found[1], multipliers };
  }
  return rule;
}

function choiceKey(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function estimate(rule, model, params) {
  const defaults = model.input_schema.properties || {};
  const value = (field) => (field in params ? params[field] : defaults[field]?.default);
  const outputs = model.outputs.count_field
    ? Number(value(model.outputs.count_field) ?? 1)
    : model.outputs.count || 1;
  const seconds = rule.perSecond ? Number(value(rule.durationField)) : 0;
  let multiplier = 1;
  if (rule.by) {
    multiplier = rule.by.multipliers[choiceKey(value(rule.by.field))];
    if (multiplier === undefined) return null;
  }
  const total = (rule.flat + rule.perOutput * outputs + rule.perSecond * seconds) * multiplier;
  if (!Number.isFinite(total)) return null;
  // Decimal prices (0.1) are not exact in binary; round away the float noise before rounding up.
  return Math.ceil(Math.round(total * 1e9) / 1e9);
}

// A function params → credits (or null when unknown) for one model of the catalogue.
export function pricer(model) {
  const rule = parseRule(model.cost_rule);
  if (rule === null || estimate(rule, model, {}) !== model.cost) return () => null;
  return (params) => estimate(rule, model, params);
}
