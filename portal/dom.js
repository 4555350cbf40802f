// Every string from the API reaches the page as a text node or an attribute value, never as markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "testid") el.dataset.testid = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// One labelled value of a <dl class="facts">.
export function fact(term, ...value) {
  return h("div", { class: "fact" }, h("dt", null, term), h("dd", null, ...value));
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A link the API hands us (a log link) may only lead to a web page, never run script.
export function safeHref(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function runHref(runId) {
  return `#/runs/${encodeURIComponent(runId)}`;
}

export function jobHref(job) {
  return `#/jobs/${encodeURIComponent(job)}`;
}
