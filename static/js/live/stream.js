/**
 * The transport that pushes changes: one EventSource per page on the stream URL
 * (docs/live-protocol.md, "Stream"). Every change arrives the moment it is committed, as the
 * same payload the poll would answer, and goes to applyChanges. The browser reconnects by itself
 * after a dropped connection and sends the last revision it got (Last-Event-ID); the server
 * answers with what changed since, so nothing sent during the gap is missed.
 *
 * The 2-second poll (poll.js) takes over by itself — the person never has to know which runs —
 * when the stream cannot be held:
 *   - no `ready` within READY_MS: a proxy that buffers holds the stream back, or the server runs
 *     under WSGI and answered 204 (manage.py runserver);
 *   - the EventSource is closed (an HTTP error) or fails MAX_ERRORS times without a `ready`;
 *   - nothing at all (no change, no ping) for WATCHDOG_MS: a half-dead connection;
 *   - `denied`: the login ended or access was lost (the poll's 401/404 then say so).
 * While polling, the stream is tried again every RETRY_MS.
 */

import { mainEl, now } from "./dom.js";
import { failed, startPolling, stopPolling, succeeded } from "./poll.js";
import { applyChanges } from "./sync.js";

const READY_MS = 5000;
const WATCHDOG_MS = 50000; // the server pings every 20 s: two missed pings and some slack
const MAX_ERRORS = 3;
const RETRY_MS = 60000;
// A choice saved here this shortly before an event arrived is not overwritten by it: the event
// may have been read just before that save committed (the next event carries the save).
const CHOICE_GUARD_MS = 500;

let source = null;
let readyTimer = null;
let watchdog = null;
let retryTimer = null;
let errors = 0;
let streamed = false; // a stream was ready once: an error after that is a lost connection

function streamUrl(since) {
  const main = mainEl();
  if (!main || !main.dataset.streamUrl) return null;
  const url = new URL(main.dataset.streamUrl, window.location.href);
  url.searchParams.set("since", since);
  return url.toString();
}

function alive() {
  clearTimeout(watchdog);
  watchdog = setTimeout(fallBack, WATCHDOG_MS);
}

function close() {
  clearTimeout(readyTimer);
  clearTimeout(watchdog);
  if (source) source.close();
  source = null;
}

function fallBack() {
  close();
  startPolling();
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => open(), RETRY_MS);
}

function open({ full = false } = {}) {
  clearTimeout(retryTimer);
  const main = mainEl();
  const url = streamUrl(full ? "-1" : (main && main.dataset.revision) || "-1");
  if (!url || !("EventSource" in window)) {
    startPolling();
    return;
  }
  close();
  errors = 0;
  source = new EventSource(url);
  readyTimer = setTimeout(fallBack, READY_MS);
  source.addEventListener("ready", () => {
    clearTimeout(readyTimer);
    errors = 0;
    streamed = true;
    stopPolling(); // the stream carries everything from here on
    succeeded();
    alive();
  });
  source.addEventListener("ping", () => {
    succeeded();
    alive();
  });
  source.addEventListener("message", (event) => {
    alive();
    let payload;
    try {
      payload = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    succeeded();
    applyChanges(payload, { sentAt: now() - CHOICE_GUARD_MS });
  });
  source.addEventListener("denied", fallBack);
  source.addEventListener("error", () => {
    errors += 1;
    // A connection that worked and dropped: the banner appears after a second failure, with
    // the time of the last success. (A server that cannot stream at all is not a failure: the
    // poll simply takes over.)
    if (streamed) failed();
    if (!source || source.readyState === EventSource.CLOSED || errors >= MAX_ERRORS) fallBack();
    // otherwise CONNECTING: the browser reconnects by itself, with Last-Event-ID
  });
}

/** Start the page's transport: the stream where there is one, else the poll. */
export function startTransport() {
  if (streamUrl("0")) open();
  else startPolling();
  // Going away (or into the browser's cache): close, so the server frees the stream at once.
  window.addEventListener("pagehide", close);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) open({ full: true }); // it may have missed anything meanwhile
  });
}

/** The network came back or the tab is visible again: reconnect now instead of waiting. */
export function reconnectNow() {
  if (!source && retryTimer) open();
}
