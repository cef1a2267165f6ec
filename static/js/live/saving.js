/**
 * Saving: every field saves itself (docs/live-protocol.md, "Save"). Text after a short pause
 * (and at least every few seconds while someone types on), choices at once. Each answer moves
 * the field to its next state (fields.js); nothing typed leaves the draft before the server
 * confirmed that exact text.
 */

import { clearBanner, setBanner } from "./banners.js";
import { closeConflict, openConflict } from "./conflicts.js";
import { readDraft, removeDraft, writeDraft } from "./drafts.js";
import { choiceEls, csrfToken, msg, norm, now, seenRevision, textEl } from "./dom.js";
import {
  State, allFields, field, getField, onStateChange, sessionClosed, setSavedStatus, setState,
  setStatus,
} from "./fields.js";
import { noteSavedAfterClose } from "./late.js";
import { jsonHeaders, request } from "./net.js";

const PAUSE_MS = 800; // save this long after the last keystroke …
const LONGEST_WAIT_MS = 3000; // … but no later than this after the first unsaved one
const BACKOFF_S = [1, 2, 4, 8, 16, 30];
const LOGIN_RETRY_MS = 15000;
const KEEPALIVE_MAX_BYTES = 60000;

let lastInputAt = 0;

/** When the person last typed or ticked something on this screen (ms). */
export function lastInput() {
  return lastInputAt;
}

// --- What the person does ----------------------------------------------------------------------

export function typed(el) {
  const f = field(el.dataset.field, el, "text");
  lastInputAt = f.lastInput = now();
  f.seenRevision = seenRevision();
  f.remote = null; // what she types now is based on her text; a save meets the newer one
  writeDraft(f.session, f.key, el.value, el.dataset.version, f.seenRevision);
  changed(f);
}

export function ticked(el) {
  const f = field(el.dataset.field, el, "choice");
  lastInputAt = f.lastInput = now();
  f.seenRevision = seenRevision();
  changed(f);
}

/** Something changed in the field: save it soon (text) or now (choice). */
function changed(f) {
  // A save under way, a planned retry or an open conflict each take the newest text along.
  if (f.state === State.SAVING || f.state === State.WAITING || f.state === State.CONFLICT) return;
  if (f.state !== State.CHANGED) f.firstChange = now();
  setState(f, State.CHANGED);
  schedule(f);
}

function schedule(f) {
  clearTimeout(f.timer);
  const wait = f.kind === "choice" ? 0 : Math.min(PAUSE_MS, Math.max(0, f.firstChange + LONGEST_WAIT_MS - now()));
  f.timer = setTimeout(() => {
    f.timer = null;
    save(f);
  }, wait);
}

/** The person left a text field: save what waits, show a newer text that waited. */
export function left(el) {
  const f = getField(el.dataset.field);
  if (!f) return;
  if (f.state === State.CHANGED) save(f);
  if (f.remote && f.state === State.SAVED) {
    const r = f.remote;
    f.remote = null;
    if (Number(r.version) > Number(el.dataset.version)) {
      el.value = r.value;
      el.dataset.version = String(r.version);
      setStatus(f.key, "", "", false);
    }
  }
}

// --- Elements appearing (page load, htmx swaps) ------------------------------------------------

/**
 * A text field appeared. When its key has unsaved text, the element shows that text (the
 * draft), whatever the server rendered. A draft left from before (a reload, a crash, a closed
 * tab) is put back and saved: from the same version it simply saves; from an older one the
 * server merges or answers with the conflict panel. On a closed session the field is read-only
 * and the draft is still sent: it names the revision it was typed at.
 */
export function adopt(el) {
  const f = field(el.dataset.field, el, "text");
  const draft = readDraft(f.session, f.key);
  if (f.unsaved) {
    if (draft) {
      el.value = draft.value;
      el.dataset.version = String(draft.version ?? "");
    }
    if (f.state === State.CONFLICT) openConflict(f);
    return;
  }
  if (!draft) return;
  if (norm(draft.value) === norm(el.value)) {
    removeDraft(f.session, f.key);
    return;
  }
  el.value = draft.value;
  el.dataset.version = String(draft.version ?? "");
  f.seenRevision = draft.rev || "";
  setStatus(f.key, "saving", msg("draft-restored"), false);
  setState(f, State.CHANGED);
  save(f, { quiet: true });
}

// --- Sending -----------------------------------------------------------------------------------

/** What to send for a field right now, or null when there is nothing to send. */
function buildRequest(f, opts) {
  const params = new URLSearchParams();
  params.append("field", f.key);
  let value = null;
  if (f.kind === "text") {
    const el = textEl(f.key);
    const draft = el ? null : readDraft(f.session, f.key);
    if (!el && !draft) return null;
    value = el ? el.value : draft.value;
    const version = opts.version ?? (el ? el.dataset.version : draft.version);
    params.append("value", value);
    params.append("version", String(version ?? ""));
    if (opts.merge) params.append("merge", "1");
  } else {
    const inputs = choiceEls(f.key);
    if (!inputs.length) return null;
    const boxes = inputs.filter((i) => i.type === "checkbox");
    if (boxes.length) {
      for (const box of boxes) if (box.checked) params.append("value", box.value);
    } else {
      const on = inputs.find((i) => i.checked);
      params.append("value", on ? on.value : "");
    }
  }
  const sig = params.toString();
  // Where it was typed: a save from before the screen showed "closed" is still stored.
  params.append("seen_revision", f.seenRevision || seenRevision());
  return { params, value, sig };
}

/** Send a field now. opts: resolve (from the conflict panel), merge, version, keepalive, quiet. */
export function save(f, opts) {
  opts = opts || {};
  clearTimeout(f.timer);
  f.timer = null;
  if (f.state === State.SAVING) return; // the answer sends again when the text moved on
  if (f.state === State.CONFLICT && !opts.resolve) return;
  const req = buildRequest(f, opts);
  if (!req) {
    setState(f, State.SAVED);
    return;
  }
  if (f.state === State.REFUSED && req.sig === f.refusedSig && !opts.force) return;
  if (!f.saveUrl) return;
  const el = f.kind === "text" ? textEl(f.key) : null;
  // While the server merges, the field holds still: the merge is made from exactly this text.
  const frozen = !!(opts.merge && el && !el.readOnly);
  if (frozen) el.readOnly = true;
  setState(f, State.SAVING);
  if (!opts.quiet) setStatus(f.key, "saving", msg("saving"), false);
  const token = csrfToken();
  request(f.saveUrl, {
    method: "POST",
    headers: jsonHeaders(token),
    body: req.params,
    keepalive: !!opts.keepalive && req.sig.length < KEEPALIVE_MAX_BYTES,
  }).then((res) => {
    f.lastSettled = now();
    const current = textEl(f.key);
    if (frozen && current && !sessionClosed()) current.readOnly = false;
    answered(f, req, res, token);
  });
}

function answered(f, req, res, token) {
  const json = res.json;
  // 413: the body is over the server's (or the proxy's) upload limit. A proxy answers with its
  // own page, without our JSON: say "te lang" anyway. Refused like a 400 below, so the text
  // stays in the field and in the local backup (drafts.js), and is sent again once it changes.
  const message =
    (json && typeof json.message === "string" && json.message) ||
    (res.status === 413 ? msg("too-long") : "");
  if (res.network || res.status >= 500 || res.status === 0) {
    failedForNow(f, !!res.network || [502, 503, 504].includes(res.status));
    return;
  }
  if (res.status === 401) {
    setState(f, State.WAITING, "login");
    setBanner("login", message || msg("unsaved"));
    setStatus(f.key, "error", msg("unsaved"), true);
    retryLater(f, LOGIN_RETRY_MS);
    return;
  }
  if (res.status === 200 && json && json.error === undefined) {
    saved(f, req, json);
    return;
  }
  if (res.status === 409 && json && f.kind === "text") {
    conflicted(f, req, json);
    return;
  }
  if (res.status === 403 && json && json.error === "csrf") {
    if (!f.csrfRetried) {
      // Re-read the token (csrfToken() reads the cookie each time) and try once more.
      f.csrfRetried = true;
      setState(f, State.CHANGED);
      save(f, { quiet: true, force: true });
      return;
    }
    setState(f, State.WAITING, "csrf");
    f.csrfToken = token;
    setBanner("csrf", message);
    setStatus(f.key, "error", message || msg("unsaved"), true);
    // Only resent by itself once the cookie holds another token (logged in again elsewhere).
    retryLater(f, LOGIN_RETRY_MS);
    return;
  }
  if (res.status >= 200 && res.status < 300) {
    failedForNow(f, false); // not the JSON the contract promises (a proxy page …)
    return;
  }
  // 400, 403 forbidden/closed, 404, 413: say why, keep the draft, no retry until it changes.
  setState(f, State.REFUSED, message);
  f.refusedSig = req.sig;
  setStatus(f.key, "error", message || msg("unsaved"), false);
  if (res.status === 403) setBanner("forbidden", message);
  const next = buildRequest(f, {});
  if (next && next.sig !== f.refusedSig) changed(f); // typed on meanwhile: that may pass
}

function failedForNow(f, network) {
  f.attempt += 1;
  setState(f, State.WAITING, "network");
  f.networkFailure = network;
  const delay = BACKOFF_S[Math.min(f.attempt - 1, BACKOFF_S.length - 1)] * 1000;
  if (navigator.onLine === false) setStatus(f.key, "offline", msg("offline"), false);
  else setStatus(f.key, "error", msg("unsaved"), true);
  if (network) setBanner("network", msg("offline"));
  retryLater(f, delay);
}

function retryLater(f, delay) {
  clearTimeout(f.timer);
  f.timer = setTimeout(() => {
    f.timer = null;
    if (f.state !== State.WAITING) return;
    if (f.reason === "csrf" && csrfToken() === f.csrfToken) {
      retryLater(f, delay);
      return;
    }
    if (f.reason === "csrf") f.csrfRetried = false;
    const quiet = f.reason === "login" || f.reason === "csrf";
    setState(f, State.CHANGED);
    save(f, { quiet, force: true });
  }, delay);
}

function saved(f, req, json) {
  f.csrfRetried = false;
  f.attempt = 0;
  clearBanner("network", "login", "csrf", "forbidden");
  let again = false;
  if (f.kind === "text") {
    const el = textEl(f.key);
    if (el && json.version !== undefined && json.version !== null) el.dataset.version = String(json.version);
    const draft = readDraft(f.session, f.key);
    const current = el ? el.value : draft ? draft.value : req.value;
    if (norm(current) === norm(req.value)) {
      // The server may have stored a merge (merge=1, or text that came in after closing):
      // the field shows what is stored.
      if (el && typeof json.value === "string" && norm(json.value) !== norm(current)) el.value = json.value;
      removeDraft(f.session, f.key);
    } else {
      // Typed on while the save was under way: that text is now based on the new version.
      writeDraft(f.session, f.key, current, json.version, f.seenRevision);
      again = true;
    }
  } else {
    const next = buildRequest(f, {});
    again = !!(next && next.sig !== req.sig);
  }
  if (again) {
    f.firstChange = now();
    setState(f, State.CHANGED);
    schedule(f);
  } else {
    setState(f, State.SAVED);
  }
  setSavedStatus(f.key, json.saved_at, !!json.after_close);
  if (json.after_close) noteSavedAfterClose(json.label || "", !!json.carried_on);
  // The connection works again: the other fields need not wait for their backoff.
  retryWaiting(f);
}

function conflicted(f, req, json) {
  const el = textEl(f.key);
  const draft = readDraft(f.session, f.key);
  const mine = el ? el.value : draft ? draft.value : req.value;
  if (norm(json.value) === norm(mine)) {
    saved(f, req, json); // the stored text is ours (a retried save that did arrive)
    return;
  }
  clearBanner("network", "login", "csrf", "forbidden");
  const baseVersion = req.params.get("version");
  writeDraft(f.session, f.key, mine, baseVersion, f.seenRevision);
  f.conflict = {
    mine: mine,
    theirs: typeof json.value === "string" ? json.value : "",
    merged: typeof json.merged === "string" ? json.merged : mine,
    clean: json.merge_clean !== false,
    version: json.version,
    baseVersion: baseVersion,
    by: json.saved_by || "",
    at: json.saved_at || "",
  };
  setState(f, State.CONFLICT);
  openConflict(f);
}

/**
 * The person's choice in the conflict panel:
 *   merge       store the merge, made again by the server from the text as it is now
 *   keep-mine   store this screen's text over the other
 *   take-theirs take the stored text (saved again, so the choice is on record)
 * Meanwhile she may have typed on: the draft kept it, and the choice takes it along.
 */
export function resolveConflict(key, action) {
  const f = getField(key);
  closeConflict(key);
  if (!f || f.state !== State.CONFLICT) return;
  const c = f.conflict;
  f.conflict = null;
  const el = textEl(key);
  if (action === "take-theirs") {
    if (el) {
      el.value = c.theirs;
      el.dataset.version = String(c.version);
    }
    writeDraft(f.session, f.key, c.theirs, c.version, f.seenRevision);
    save(f, { resolve: true, force: true });
  } else if (action === "keep-mine") {
    if (el) el.dataset.version = String(c.version);
    save(f, { resolve: true, force: true, version: c.version });
  } else {
    save(f, { resolve: true, force: true, merge: true, version: c.baseVersion });
  }
}

/** Try at once every field that waits for a network or login retry. */
export function retryWaiting(except) {
  for (const f of allFields()) {
    if (f === except || f.state !== State.WAITING) continue;
    if ((f.reason === "network" && f.networkFailure) || f.reason === "login") {
      const quiet = f.reason === "login";
      setState(f, State.CHANGED);
      save(f, { force: true, quiet });
    }
  }
}

/** Network back: the fields that wait for it start their backoff again. */
export function online() {
  for (const f of allFields()) if (f.state === State.WAITING && f.reason === "network") f.attempt = 0;
  retryWaiting(null);
}

export function offline() {
  for (const f of allFields()) {
    if (f.state === State.WAITING && f.reason === "network") setStatus(f.key, "offline", msg("offline"), false);
  }
}

export function retryClicked(key) {
  const f = getField(key);
  if (!f) return;
  f.csrfRetried = false;
  if (f.state !== State.SAVING) setState(f, State.CHANGED);
  save(f, { force: true });
}

// --- Flushing ----------------------------------------------------------------------------------

const waiters = [];

onStateChange(() => {
  if (!waiters.length || allFields().some((f) => f.state === State.SAVING || f.state === State.CHANGED)) return;
  for (const resolve of waiters.splice(0)) resolve();
});

/** Save every field that waits (a pause or a retry) now; resolves when no save is under way. */
export function flush(opts) {
  opts = opts || {};
  for (const f of allFields()) {
    if (f.state === State.CHANGED || (f.state === State.WAITING && f.reason !== "csrf")) {
      setState(f, State.CHANGED);
      save(f, { force: true, keepalive: opts.keepalive });
    }
  }
  if (!allFields().some((f) => f.state === State.SAVING || f.state === State.CHANGED)) return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}

export function flushWithin(ms) {
  return Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, ms))]);
}

/** Only the text waiting for its pause (not failed saves): before htmx requests and leaving. */
export function flushPaused(opts) {
  for (const f of allFields()) if (f.state === State.CHANGED) save(f, opts);
}
