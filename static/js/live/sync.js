/**
 * Applying what changed. applyChanges is the one way changes reach this screen, whatever brought
 * them (the stream, stream.js, or the poll that stands in for it): the server's changes payload
 * says everything (docs/live-protocol.md, "Sync").
 *
 * A field that has focus or holds unsaved text is never changed: a newer text waits until the
 * person leaves the field (if she types on, her save meets a conflict and the merge).
 */

import { choiceEls, fill, mainEl, msg, now, textEl } from "./dom.js";
import { field, getField, setStatus } from "./fields.js";
import { tableMoved } from "./follow.js";
import { statusChanged } from "./session.js";

const CHOICE_GUARD_MS = 2000;

/** sentAt: when the request that brought the payload left (its answer may predate our saves). */
export function applyChanges(payload, { sentAt = 0 } = {}) {
  const main = mainEl();
  if (!main || !payload || typeof payload !== "object") return;
  const fields = payload.fields && typeof payload.fields === "object" ? payload.fields : {};
  // A payload without fields (the present screen's) or with a structural change refreshes as
  // the server says; else only when a changed field can change what the refreshed parts show.
  const keys = Object.keys(fields);
  // Every key is looked at (no short cut): changesSummary remembers what each field showed.
  const summaryChanged = keys.map((key) => changesSummary(key, fields[key])).includes(true);
  const refresh = payload.refresh && (payload.structural || !keys.length || summaryChanged);
  for (const key of Object.keys(fields)) {
    const item = fields[key] && typeof fields[key] === "object" ? fields[key] : { value: fields[key] };
    applyText(key, item);
    applyChoice(key, item, sentAt);
  }
  if (payload.revision !== undefined && payload.revision !== null) main.dataset.revision = String(payload.revision);
  if (payload.status) statusChanged(payload.status);
  if (payload.current_factor !== undefined) tableMoved(payload.current_factor, !!payload.wrap_up);
  if (payload.structural) fire(new CustomEvent("live:structure", { detail: payload }));
  if (refresh) {
    const revision = Number(payload.revision);
    if (Number.isFinite(revision) && revision > wanted) wanted = revision;
    fire(new CustomEvent("live:refresh", { detail: payload }));
  }
}

/*
 * The parts that refresh themselves (hx-trigger="live:refresh from:body", "live:structure …")
 * replace themselves (outerHTML). An event that arrives while a part's request is under way is
 * queued by htmx on that element and dropped once the answer has replaced it; one that arrives
 * between the swap and htmx's settling (about 20 ms) finds no listener at all. Either way the
 * part would keep showing the state from before the newest change (a factor "not complete"
 * although both action points were just saved). So an event fired while any refresh is under
 * way, up to its settling, is fired once more when all of them have settled; a refresh that
 * failed (a busy server, a dropped line) is asked again after a pause that grows.
 */
const underWay = new Map(); // the refreshes' requests (XMLHttpRequest) → {elt, since}
const missed = new Set();
const GIVE_UP_MS = 15000; // a request that never ends stops counting
const SETTLED_MS = 200; // htmx settles 20 ms after the swap
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;
const CHECK_MS = 2000;
const BEHIND_GAP_MS = 1000; // a part that stays behind (an answer that swapped nothing) is asked at most this often
let retryMs = RETRY_FIRST_MS;
let retryTimer = null;
let behindAskedAt = 0;
// The newest revision a refresh was asked for. A part that says it was made at an older one
// (data-rendered-revision) is behind: its request left before that change was stored, or the
// event for it found no listener. Saves that need no refresh (typed minutes) do not count, so
// the cockpit does not refresh while the moderator types.
let wanted = 0;

function refreshes(elt) {
  const trigger = elt && elt.getAttribute ? elt.getAttribute("hx-trigger") || "" : "";
  return trigger.includes("live:refresh") || trigger.includes("live:structure");
}

function fire(event) {
  for (const [request, { since }] of Array.from(underWay)) if (now() - since > GIVE_UP_MS) underWay.delete(request);
  if (underWay.size) missed.add(event.type);
  document.body.dispatchEvent(event);
}

function forget(detail) {
  if (detail && detail.xhr) underWay.delete(detail.xhr);
  // A part taken away by a bigger swap (the factor changed) hears nothing of its answer: once
  // that answer is in, it no longer counts.
  for (const [request, { elt }] of Array.from(underWay)) {
    const finished = request.readyState === XMLHttpRequest.DONE || request.readyState === XMLHttpRequest.UNSENT;
    if (finished && !document.contains(elt)) underWay.delete(request);
  }
}

function behind() {
  for (const part of document.querySelectorAll("[data-rendered-revision]")) {
    if (Number(part.dataset.renderedRevision) < wanted) return true;
  }
  return false;
}

/** When no refresh is under way or waiting for its retry: what was missed, or else what is behind. */
function catchUp() {
  if (underWay.size || retryTimer) return;
  if (missed.size) {
    const names = Array.from(missed);
    missed.clear();
    for (const name of names) document.body.dispatchEvent(new CustomEvent(name, { detail: {} }));
  } else if (behind() && now() - behindAskedAt >= BEHIND_GAP_MS) {
    behindAskedAt = now();
    fire(new CustomEvent("live:refresh", { detail: {} }));
  }
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const detail = event.detail || {};
  if (detail.xhr && refreshes(detail.elt)) underWay.set(detail.xhr, { elt: detail.elt, since: now() });
});
// An answer that swapped nothing (failed, aborted) leaves the old part listening. (A part that
// replaced itself hears its own events no more: htmx fires them on the nearest element still on
// the page, so go by the request.)
document.addEventListener("htmx:afterRequest", (event) => {
  const detail = event.detail;
  if (!detail) return;
  if (!detail.successful) {
    if (detail.xhr && underWay.has(detail.xhr)) {
      const trigger = detail.elt && detail.elt.getAttribute ? detail.elt.getAttribute("hx-trigger") || "" : "";
      missed.add(trigger.includes("live:structure") ? "live:structure" : "live:refresh");
      forget(detail);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        catchUp();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      return;
    }
    forget(detail);
    catchUp();
  }
  // An answer for a part that was taken away meanwhile (the factor changed) never settles.
  else if (underWay.has(detail.xhr)) {
    retryMs = RETRY_FIRST_MS;
    setTimeout(() => {
      forget(detail);
      catchUp();
    }, SETTLED_MS);
  }
});
// A swapped-in part listens once htmx has settled it.
document.addEventListener("htmx:afterSettle", (event) => {
  forget(event.detail);
  catchUp();
});
// The last safety net, for an event that reached no part at all (it arrived while a part was
// being put in by another swap, such as the move to the next factor): a quiet look every few
// seconds, a request only when a part is behind.
setInterval(catchUp, CHECK_MS);

/**
 * Whether a changed field can change what the refreshed parts of this page show (progress,
 * completeness, the notulist's summary), so that a screen does not fetch them again for every
 * saved word. A text that is a field of this very page (an action point in the cockpit) only
 * matters to them when it turns empty or filled: that is all completeness looks at. Anything
 * else the server marked as `refresh` (levels, ticks, fields shown only as a summary) does.
 * Runs before the change is applied; remembers what it saw per element.
 */
function changesSummary(key, item) {
  const el = textEl(key);
  if (!el) return true;
  if (!key.endsWith(":text") || !key.startsWith("action:")) return false;
  const value = item && typeof item === "object" ? item.value : item;
  const filled = String(value === null || value === undefined ? "" : value).trim() !== "";
  const before = el.dataset.filled === undefined ? el.defaultValue.trim() !== "" : el.dataset.filled === "1";
  el.dataset.filled = filled ? "1" : "0";
  return filled !== before;
}

function applyText(key, item) {
  const el = textEl(key);
  if (!el || Number(item.version) <= Number(el.dataset.version)) return;
  const value = item.value === null || item.value === undefined ? "" : String(item.value);
  const f = getField(key);
  if (document.activeElement === el || (f && f.unsaved)) {
    field(key, el, "text").remote = { value: value, version: item.version };
    if (!f || !f.unsaved) setStatus(key, "remote", fill(msg("remote-waiting"), { by: item.saved_by || "" }), false);
    return;
  }
  el.value = value;
  el.dataset.version = String(item.version);
  if (f) f.remote = null;
}

function applyChoice(key, item, sentAt) {
  const inputs = choiceEls(key);
  if (!inputs.length) return;
  const f = getField(key);
  if (f) {
    const active = document.activeElement;
    const focusWithin = inputs.some((i) => i === active || (i.closest("label") && i.closest("label").contains(active)));
    if (f.unsaved || (focusWithin && now() - f.lastInput < CHOICE_GUARD_MS) || f.lastSettled > sentAt) return;
  }
  const value = item.value;
  for (const input of inputs) {
    let on;
    if (Array.isArray(value)) on = value.map(String).includes(input.value);
    else if (typeof value === "boolean") on = value;
    else on = value !== null && value !== undefined && String(value) === input.value;
    if (input.checked !== on) input.checked = on;
  }
}
