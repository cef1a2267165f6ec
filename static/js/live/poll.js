/**
 * The fallback transport: ask the sync URL every 2 seconds (10 when the tab is hidden) and hand
 * any answer to applyChanges. It runs while the pushed stream (stream.js) cannot be held, and on
 * pages without one. It also keeps the connection's health visible — for both transports: when
 * syncs fail (offline, server down, login gone) the banner says so, also for someone who is not
 * typing, with the time of the last successful sync; the first sync after that asks for the
 * full state (since=-1), so no change missed meanwhile stays missed.
 */

import { clearBanner, setBanner } from "./banners.js";
import { noteServerClock } from "./clock.js";
import { clockTime, fill, mainEl, msg, now } from "./dom.js";
import { jsonHeaders, request } from "./net.js";
import { retryWaiting } from "./saving.js";
import { applyChanges } from "./sync.js";

const VISIBLE_MS = 2000;
const HIDDEN_MS = 10000;
const FIRST_MS = 300; // soon after loading: a save that raced the page load shows at once
const FAILURES_BEFORE_BANNER = 2;

let timer = null;
let busy = false;
let lastSuccess = now();
let failures = 0;
let fullNext = false;

function schedule(delay) {
  clearTimeout(timer);
  if (delay === undefined) delay = document.visibilityState === "visible" ? VISIBLE_MS : HIDDEN_MS;
  timer = setTimeout(poll, delay);
}

let polling = false;

export function startPolling() {
  if (polling) return;
  polling = true;
  schedule(FIRST_MS);
}

/** The stream carries the changes from now on. */
export function stopPolling() {
  polling = false;
  clearTimeout(timer);
}

/** Ask now (the tab became visible, the network came back), when polling. */
export function pollNow() {
  if (polling && !busy) schedule(0);
}

/** The next sync asks for everything (e.g. the page came back from the browser's cache). */
export function resyncFully() {
  fullNext = true;
  pollNow();
}

export function failed() {
  failures += 1;
  fullNext = true;
  if (failures >= FAILURES_BEFORE_BANNER || navigator.onLine === false) {
    setBanner("sync", fill(msg("sync-lost"), { time: clockTime(lastSuccess) }));
  }
}

export function succeeded() {
  lastSuccess = now();
  failures = 0;
  clearBanner("sync", "login", "forbidden");
  retryWaiting(null);
}

function poll() {
  const main = mainEl();
  if (!polling) return;
  if (busy || !main || !main.dataset.syncUrl) {
    if (main && main.dataset.syncUrl) schedule();
    return;
  }
  const syncUrl = main.dataset.syncUrl;
  const url = new URL(syncUrl, window.location.href);
  const full = fullNext;
  url.searchParams.set("since", full ? "-1" : main.dataset.revision || "0");
  const headers = jsonHeaders("");
  // Lets the server answer "nothing changed" cheaply (docs/live-protocol.md, "Sync token").
  if (main.dataset.syncToken) headers["X-Sync-Token"] = main.dataset.syncToken;
  busy = true;
  const started = now();
  request(url.toString(), { method: "GET", headers: headers })
    .then((res) => {
      if (res.network || res.status >= 500 || res.status === 0) {
        failed();
        return;
      }
      noteServerClock(res.date, started);
      const current = mainEl();
      if (res.syncToken && current && current.dataset.syncUrl === syncUrl) current.dataset.syncToken = res.syncToken;
      const message = (res.json && res.json.message) || msg("unsaved");
      if (res.status === 401) {
        fullNext = true;
        setBanner("login", message);
      } else if (res.status === 403 || res.status === 404) {
        setBanner("forbidden", message);
      } else if (res.status === 200 || res.status === 204) {
        if (full) fullNext = false;
        succeeded();
        if (res.status === 200) applyChanges(res.json, { sentAt: started });
      }
    })
    .finally(() => {
      busy = false;
      if (polling) schedule();
    });
}
