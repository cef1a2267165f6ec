/**
 * One explicit state per field, by field key (not per element: htmx may swap the element while
 * a save is under way; the next element with the same key carries on).
 *
 *   SAVED     the server has what the screen shows
 *   CHANGED   typed or ticked; a save follows after a short pause
 *   SAVING    a save is under way (typing goes on; the answer decides what follows)
 *   WAITING   the last save failed for a passing reason (reason: network, login, csrf) and
 *             is tried again by itself
 *   REFUSED   the server refused it (reason: its message); kept until the person changes it
 *   CONFLICT  someone else saved the field meanwhile; the person chooses in the panel
 *
 * Everything but SAVED is unsaved text: it lives in the local draft, the page warns before
 * leaving, closing the session waits for it, and the screen does not follow the moderator.
 */

import { byData, fill, mainEl, msg } from "./dom.js";

export const State = Object.freeze({
  SAVED: "saved",
  CHANGED: "changed",
  SAVING: "saving",
  WAITING: "waiting",
  REFUSED: "refused",
  CONFLICT: "conflict",
});

class Field {
  constructor(key, kind) {
    this.key = key;
    this.kind = kind; // "text" | "choice"
    this.state = State.SAVED;
    this.reason = "";
    this.session = "";
    this.saveUrl = "";
    this.timer = null; // CHANGED: the pause before saving; WAITING: the next try
    this.firstChange = 0; // when the oldest unsaved change was made
    this.lastInput = 0;
    this.seenRevision = ""; // the newest session revision seen when it was last typed
    this.attempt = 0; // failed tries since the last success (backoff)
    this.networkFailure = false; // WAITING for the network itself (not a server error)
    this.csrfRetried = false;
    this.csrfToken = "";
    this.refusedSig = "";
    this.conflict = null; // CONFLICT: {mine, theirs, merged, clean, version, baseVersion, by, at}
    this.remote = null; // a newer saved text, shown once the field loses focus
    this.lastSettled = 0; // when the last save's answer came
    this.savedAt = ""; // the server's time of the last save from this screen ("14:32")
    this.savedAfterClose = false; // … and whether that save came after the session closed
    this.savingSince = 0; // when the save under way started (cards.js names a slow one)
  }

  get unsaved() {
    return this.state !== State.SAVED;
  }
}

const fields = new Map();
const listeners = new Set();
const statusListeners = new Set();

function sessionOf(el) {
  const own = el.closest("[data-live-session]");
  return own ? own.dataset.liveSession || "" : "";
}

function saveUrlOf(el) {
  const own = el.closest("[data-save-url]");
  return own ? own.dataset.saveUrl || "" : "";
}

/** The state of a field, made when first seen; `el` refreshes where it saves. */
export function field(key, el, kind) {
  let f = fields.get(key);
  if (!f) {
    f = new Field(key, kind);
    fields.set(key, f);
  }
  if (el) {
    f.session = sessionOf(el) || f.session;
    f.saveUrl = saveUrlOf(el) || f.saveUrl;
  }
  return f;
}

export function getField(key) {
  return fields.get(key) || null;
}

export function allFields() {
  return Array.from(fields.values());
}

export function setState(f, state, reason) {
  const changed = f.state !== state;
  f.state = state;
  f.reason = reason || "";
  if (changed) listeners.forEach((listener) => listener(f));
}

export function unsavedCount() {
  let n = 0;
  fields.forEach((f) => {
    if (f.unsaved) n++;
  });
  return n;
}

/** `listener(field)` runs whenever a field changes state. */
export function onStateChange(listener) {
  listeners.add(listener);
}

/** `listener(key)` runs whenever the status line of a field changes (cards.js sums them up). */
export function onStatusChange(listener) {
  statusListeners.add(listener);
}

// --- The status line under a field -------------------------------------------------------------

export function setStatus(key, state, text, withRetry) {
  for (const el of byData("[data-status-for]", "statusFor", key)) {
    if (state) el.dataset.state = state;
    else delete el.dataset.state;
    const nodes = [];
    if (text) nodes.push(document.createTextNode(text));
    const label = msg("retry");
    if (withRetry && label) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.liveRetry = key;
      button.textContent = label;
      if (nodes.length) nodes.push(document.createTextNode(" "));
      nodes.push(button);
    }
    el.replaceChildren(...nodes);
  }
  statusListeners.forEach((listener) => listener(key));
}

export function setSavedStatus(key, time, afterClose) {
  const f = fields.get(key);
  if (f) {
    f.savedAt = time || "";
    f.savedAfterClose = !!afterClose;
  }
  setStatus(key, "saved", fill(msg(afterClose ? "saved-after-close" : "saved"), { time: time || "" }), false);
}

/** Whether the screen shows a closed session (set by session.js). */
export function sessionClosed() {
  const main = mainEl();
  return !!main && main.dataset.sessionStatus === "afgerond";
}
