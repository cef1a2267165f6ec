/**
 * Live editing for the Actiescan: autosave with local drafts, conflicts with a three-way merge,
 * live sync, following the moderator, the closed state, the clocks and the connection banner.
 * Native ES modules, no build step; works under a strict CSP (no eval, no inline code, no style
 * attributes). Contract with the server: docs/live-protocol.md.
 *
 *   dom, net, drafts, banners   small shared pieces
 *   fields                      one explicit state per field
 *   saving, conflicts           saving each field (and the conflict choices); the panel
 *   sync, stream, poll          applying a changes payload; the pushed stream that brings
 *                               them, and the poll it falls back to
 *   session, late               the closed state; where text stored after closing went
 *   follow, clock               following the moderator; the factor clocks
 *   presence, forms             reporting unsaved text; forms that wait for every save
 *   cards                       one save indicator per card of fields
 */

import { renderCards, startCards } from "./cards.js";
import { startClocks } from "./clock.js";
import { csrfToken, isChoice, isText } from "./dom.js";
import { purgeOldDrafts } from "./drafts.js";
import { unsavedCount } from "./fields.js";
import { markTable, startFollowing } from "./follow.js";
import { startFlushFirstForms } from "./forms.js";
import { pollNow, resyncFully } from "./poll.js";
import { startReporting } from "./presence.js";
import { reconnectNow, startTransport } from "./stream.js";
import {
  adopt, flush, flushPaused, left, offline, online, resolveConflict, retryClicked, ticked, typed,
} from "./saving.js";

function adoptWithin(root) {
  if (!root || root.nodeType !== 1) return;
  if (isText(root)) adopt(root);
  for (const el of root.querySelectorAll('[data-autosave="text"][data-field]')) adopt(el);
}

document.addEventListener("input", (event) => {
  if (isText(event.target)) typed(event.target);
});
document.addEventListener("change", (event) => {
  if (isChoice(event.target)) ticked(event.target);
});
document.addEventListener("focusout", (event) => {
  if (isText(event.target)) left(event.target);
});
document.addEventListener("click", (event) => {
  const target = event.target;
  if (!target || !target.closest) return;
  const retry = target.closest("[data-live-retry]");
  if (retry) {
    event.preventDefault();
    retryClicked(retry.dataset.liveRetry);
    return;
  }
  const cardRetry = target.closest("[data-card-retry]");
  if (cardRetry) {
    event.preventDefault();
    for (const key of cardRetry.dataset.cardRetry.split(" ")) if (key) retryClicked(key);
    return;
  }
  const action = target.closest("[data-conflict-for] [data-action]");
  if (action) {
    event.preventDefault();
    resolveConflict(action.closest("[data-conflict-for]").dataset.conflictFor, action.dataset.action);
  }
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    pollNow();
    reconnectNow();
  }
  else flushPaused({ keepalive: true });
});
document.addEventListener("htmx:load", (event) => {
  adoptWithin(event.detail && event.detail.elt);
  renderCards(event.detail && event.detail.elt);
  markTable();
});
// Text waiting for its pause goes before any htmx request (the moderator moving on, …).
document.addEventListener("htmx:beforeRequest", () => flushPaused());
document.addEventListener("htmx:configRequest", (event) => {
  // htmx's own posts keep working after the CSRF token changed (login in another tab).
  const detail = event.detail;
  if (!detail || !detail.headers || String(detail.verb || "").toLowerCase() === "get") return;
  const token = csrfToken();
  if (token) detail.headers["X-CSRFToken"] = token;
});
window.addEventListener("beforeunload", (event) => {
  if (!unsavedCount()) return undefined;
  flushPaused({ keepalive: true });
  event.preventDefault();
  event.returnValue = true; // browsers show their own text
  return true;
});
window.addEventListener("pagehide", () => flushPaused({ keepalive: true }));
window.addEventListener("pageshow", (event) => {
  if (event.persisted) resyncFully(); // back from the browser's cache: it may have missed changes
});
window.addEventListener("online", () => {
  online();
  renderCards(document);
  pollNow();
  reconnectNow();
});
window.addEventListener("offline", () => {
  offline();
  renderCards(document);
});

purgeOldDrafts();
startCards(); // before the drafts are put back: their saves show in the cards too
adoptWithin(document.body);
startFlushFirstForms();
startReporting();
startFollowing();
startTransport();
startClocks();

window.actiescanLive = Object.freeze({ flush: () => flush(), pendingCount: unsavedCount });
