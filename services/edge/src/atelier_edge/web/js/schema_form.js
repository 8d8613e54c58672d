// A form generated from a model's input JSON Schema: text areas for prompts and lyrics, selects
// for enums, number inputs with their bounds, checkboxes for booleans, and URL inputs (with a
// pick from the account's earlier results, or a file from disk uploaded on submit) for input files.

import { el, HISTORY_READ } from "./dom.js";
import { UPLOAD_TYPES, uploadInput } from "./uploads.js";

const LONG_TEXT = 200;
const FILE_KINDS = { image_url: "image", audio_url: "audio", video_url: "video" };

function labelOf(name) {
  const words = name.replace(/_url$/, "").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function ordered(schema) {
  const names = Object.keys(schema.properties || {});
  const required = schema.required || [];
  const rank = (name) =>
    required.includes(name) ? required.indexOf(name) : name === "seed" ? 1e6 : 1e3;
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

// `earlier(kind)` lists the account's earlier outputs of a kind: [{label, url}].
export function buildForm(container, schema, idPrefix, earlier) {
  container.replaceChildren();
  const required = new Set(schema.required || []);
  const readers = {};
  const uploaders = {};
  for (const name of ordered(schema)) {
    const field = fieldFor(name, schema.properties[name], required.has(name), idPrefix, earlier);
    container.append(field.node);
    readers[name] = field.read;
    if (field.upload) uploaders[name] = field.upload;
  }
  return {
    read() {
      const params = {};
      for (const [name, read] of Object.entries(readers)) {
        const value = read();
        if (value !== undefined) params[name] = value;
      }
      return params;
    },
    // The params, with each picked file uploaded first and replaced by the URL it is read from.
    async readUploaded() {
      const params = this.read();
      for (const [name, upload] of Object.entries(uploaders)) {
        const url = await upload();
        if (url !== undefined) params[name] = url;
      }
      return params;
    },
  };
}

function fieldFor(name, spec, isRequired, idPrefix, earlier) {
  const id = `${idPrefix}-${name}`;
  const hintId = spec.description ? `${id}-hint` : undefined;
  const label = el("label", { for: id, text: labelOf(name) + (isRequired ? " (required)" : "") });
  const hint = spec.description ? el("p", { class: "hint", id: hintId, text: spec.description }) : null;
  const common = { id, name, required: isRequired, "aria-describedby": hintId };

  if (spec.type === "boolean") {
    const box = el("input", { ...common, type: "checkbox", checked: spec.default === true });
    const wrapper = el("div", {}, el("label", { class: "check", for: id }, box, labelOf(name)), hint);
    return { node: wrapper, read: () => box.checked };
  }
  if (Array.isArray(spec.enum)) {
    const select = el("select", common);
    if (!isRequired && spec.default === undefined) select.append(el("option", { value: "", text: "—" }));
    spec.enum.forEach((choice, index) => {
      select.append(el("option", { value: String(index), text: String(choice), selected: choice === spec.default }));
    });
    return {
      node: el("div", {}, label, select, hint),
      read: () => (select.value === "" ? undefined : spec.enum[Number(select.value)]),
    };
  }
  if (spec.type === "integer" || spec.type === "number") {
    const input = el("input", {
      ...common,
      type: "number",
      inputmode: spec.type === "integer" ? "numeric" : "decimal",
      min: spec.minimum,
      max: spec.maximum,
      step: spec.type === "integer" ? 1 : "any",
      value: spec.default,
    });
    return {
      node: el("div", {}, label, input, hint),
      read: () => (input.value === "" ? undefined : Number(input.value)),
    };
  }
  if (name in FILE_KINDS) {
    const kind = FILE_KINDS[name];
    return urlField(name, kind, spec, common, label, hint, () => earlier(kind));
  }

  const long = (spec.maxLength || Infinity) > LONG_TEXT;
  const input = el(long ? "textarea" : "input", {
    ...common,
    maxlength: spec.maxLength,
    minlength: spec.minLength,
    rows: long ? 4 : undefined,
  });
  if (spec.default !== undefined) input.value = spec.default;
  return {
    node: el("div", { class: long ? "wide" : undefined }, label, input, hint),
    read: () => (input.value === "" ? undefined : input.value),
  };
}

function urlField(name, kind, spec, common, label, hint, choices) {
  const input = el("input", { ...common, type: "url", maxlength: spec.maxLength, placeholder: "https://…" });
  const pick = el("select", { id: `${common.id}-pick`, "aria-label": `${labelOf(name)}: one of your results` });
  // Filled again whenever the history is read, so results that arrived since are offered too.
  const fill = () => {
    const found = choices();
    pick.replaceChildren(
      el("option", { value: "", text: found.length ? "…or one of your results" : "No earlier results of this kind" }),
      ...found.map((choice) => el("option", { value: choice.url, text: choice.label })),
    );
  };
  fill();
  document.addEventListener(HISTORY_READ, () => pick.isConnected && fill());
  pick.addEventListener("change", () => {
    if (pick.value) input.value = pick.value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  const types = UPLOAD_TYPES[kind];
  if (!types) {
    return {
      node: el("div", { class: "wide" }, label, input, pick, hint),
      read: () => (input.value === "" ? undefined : input.value),
    };
  }
  const file = el("input", {
    id: `${common.id}-file`,
    type: "file",
    accept: types.join(","),
    "aria-label": `${labelOf(name)}: a file from your device`,
  });
  // A picked file stands in for the URL, which is then not required; clearing it restores both.
  const picked = () => (file.files && file.files.length ? file.files[0] : null);
  file.addEventListener("change", () => {
    input.required = common.required && !picked();
    input.disabled = Boolean(picked());
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  return {
    node: el("div", { class: "wide" }, label, input, pick, file, hint),
    read: () => (picked() || input.value === "" ? undefined : input.value),
    upload: async () => (picked() ? uploadInput(picked(), kind) : undefined),
  };
}
