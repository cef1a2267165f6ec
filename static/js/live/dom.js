/**
 * Small helpers every live module shares. Every user-visible string comes from a data-msg-*
 * attribute on <body>, translated by Django.
 */

export const now = () => Date.now();

/** A translated message from <body data-msg-NAME>, "" when missing. */
export function msg(name) {
  const body = document.body;
  if (!body) return "";
  const prop = "msg" + name.split("-").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
  const value = body.dataset[prop];
  return typeof value === "string" ? value : "";
}

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (all, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name] ?? "") : all
  );
}

/** Textareas give \n, the server stores \n; compare texts in one form. */
export function norm(text) {
  return String(text ?? "").replace(/\r\n?/g, "\n");
}

export function mainEl() {
  return document.querySelector("main[data-live-session]");
}

/** The newest session revision this screen has seen ("" on pages without one). */
export function seenRevision() {
  const main = mainEl();
  return main ? main.dataset.revision || "" : "";
}

export function isText(el) {
  return !!(el && el.nodeType === 1 && el.matches('[data-autosave="text"]') && el.dataset.field);
}

export function isChoice(el) {
  return !!(el && el.nodeType === 1 && el.matches('[data-autosave="choice"]') && el.dataset.field);
}

/** All elements matching `selector` whose dataset[prop] equals key (no selector escaping). */
export function byData(selector, prop, key) {
  return Array.prototype.filter.call(document.querySelectorAll(selector), (el) => el.dataset[prop] === key);
}

export function textEl(key) {
  return byData('[data-autosave="text"][data-field]', "field", key)[0] || null;
}

export function choiceEls(key) {
  return byData('[data-autosave="choice"][data-field]', "field", key);
}

/** The element of a field, whatever its kind. */
export function fieldEl(key) {
  return textEl(key) || choiceEls(key)[0] || null;
}

export function csrfToken() {
  const body = document.body;
  const name = (body && body.dataset.csrfCookieName) || "csrftoken";
  for (const part of document.cookie ? document.cookie.split(";") : []) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      if (value) return decodeURIComponent(value);
    } catch (e) {
      if (value) return value;
    }
  }
  return (body && body.dataset.csrfToken) || "";
}

/** 14:32:05 in the browser's own time. */
export function clockTime(ms) {
  const d = new Date(ms);
  const two = (n) => (n < 10 ? "0" : "") + n;
  return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
}

/** Whether the focus is on a field (text or choice) inside `root`. */
export function fieldFocusedWithin(root) {
  const active = document.activeElement;
  return !!(root && active && root.contains(active) && (isText(active) || isChoice(active)));
}
