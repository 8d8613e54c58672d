// Small helpers for building the page with the DOM API (text is never parsed as HTML).

// Dispatched on the document each time the history was read (forms offer its results as inputs).
export const HISTORY_READ = "atelier:history-read";

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

export function credits(amount) {
  return `${amount} credit${amount === 1 ? "" : "s"}`;
}

const shortTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(stamp) {
  return stamp ? shortTime.format(new Date(stamp)) : "";
}
