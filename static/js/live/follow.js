/**
 * Following the moderator (the notulist's screen; pages with data-follow-factor-url).
 *
 * The screen goes where the table is (a factor, or the wrap-up) by itself only when the person
 * is idle and everything is saved: no field on the part that would change has focus, nothing is
 * unsaved, no keystroke for IDLE_MS. It checks every second, not only when something changes;
 * the swap is checked once more just before it happens. Otherwise a notice stays in view, "De
 * moderator is bij …", with "Ga mee". After a swap, keyboard focus that would be lost goes to
 * the new factor's minutes, never to <body>. Looking elsewhere oneself (a link, or a page
 * opened away from the table) pauses following until "Ga mee" or until the table moves on.
 * The switch turns it off altogether, kept per session in this browser. The navigation marks
 * both "u bekijkt dit" (server-rendered) and "moderator is hier" (moved here).
 */

import { byData, fieldFocusedWithin, fill, mainEl, msg, now } from "./dom.js";
import { sessionClosed, unsavedCount } from "./fields.js";
import { flushWithin, lastInput } from "./saving.js";

const IDLE_MS = 3000;
const CONTROLS = "a[href], button, input, select, textarea, summary, [contenteditable]";
const TICK_MS = 1000;
const STORAGE_PREFIX = "actiescan:follow-off:";
const ARRIVED_KEY = "actiescan:followed"; // set just before following to another page

let table = null; // {factor: "12", wrapUp: false}
let pausedAt = null; // the table's place when the person went to look elsewhere
let going = false;
// The minutes field this module put the cursor in after following, until the person uses it
// (a key, a click): a field she has not touched yet is not hers to keep, so the next move of
// the table may take the cursor along again.
let placedFocus = null;

function place(where) {
  return where.wrapUp ? "wrap-up" : "factor:" + where.factor;
}

function followUrl(main, factor) {
  return main.dataset.followFactorUrl.replace(/\{factor\}/g, encodeURIComponent(factor));
}

function checkbox() {
  return document.getElementById("follow-moderator");
}

function storageKey() {
  const main = mainEl();
  return STORAGE_PREFIX + (main ? main.dataset.liveSession : "");
}

function following() {
  const box = checkbox();
  return !!box && box.checked;
}

function setFollowing(on) {
  const box = checkbox();
  if (box) box.checked = on;
  try {
    if (on) window.localStorage.removeItem(storageKey());
    else window.localStorage.setItem(storageKey(), "1");
  } catch (e) {
    /* the switch still works for this page */
  }
}

/** Where this screen is: the wrap-up page, or the factor its live body shows. */
function shown() {
  const main = mainEl();
  if (main && main.hasAttribute("data-shows-wrap-up")) return { wrapUp: true, factor: "" };
  const body = document.getElementById("live-body");
  return { wrapUp: false, factor: body ? body.dataset.shownFactor || "" : "" };
}

function atTable() {
  const here = shown();
  return table.wrapUp ? here.wrapUp : !here.wrapUp && here.factor === table.factor;
}

function factorTitle(factor) {
  const el = byData("[data-factor-title-for]", "factorTitleFor", factor)[0];
  return el ? el.textContent.trim() : "";
}

/** The part of the page a follow replaces: the live body, or the whole page (navigation). */
function region() {
  return table.wrapUp || shown().wrapUp ? document.body : document.getElementById("live-body");
}

function idle() {
  const placed = placedFocus !== null && document.activeElement === placedFocus;
  return (
    unsavedCount() === 0 &&
    now() - lastInput() >= IDLE_MS &&
    (placed || !fieldFocusedWithin(region()))
  );
}

function notice() {
  return document.getElementById("follow-notice");
}

function showNotice() {
  const box = notice();
  if (!box) return;
  const text = table.wrapUp
    ? msg("follow-wrap-up")
    : fill(msg("follow-factor"), { place: factorTitle(table.factor) });
  const line = document.getElementById("follow-notice-text");
  if (line && line.textContent !== text) line.textContent = text;
  box.hidden = false;
}

function hideNotice() {
  const box = notice();
  if (box) box.hidden = true;
}

/** Put "moderator is hier" where the table is. */
export function markTable() {
  if (!table) return;
  for (const item of document.querySelectorAll("[data-nav-factor]")) {
    const marker = item.querySelector("[data-table-marker]");
    if (marker) marker.hidden = table.wrapUp || item.dataset.navFactor !== table.factor;
  }
  for (const item of document.querySelectorAll("[data-nav-wrap-up]")) {
    const marker = item.querySelector("[data-table-marker]");
    if (marker) marker.hidden = !table.wrapUp;
  }
}

/** The table moved (from a sync): mark it, and follow when the person lets us. */
export function tableMoved(factor, wrapUp) {
  table = { factor: factor === null || factor === undefined ? "" : String(factor), wrapUp: !!wrapUp };
  markTable();
  check();
}

function check() {
  const main = mainEl();
  if (!main || !main.dataset.followFactorUrl || !table) return;
  if (sessionClosed() || (!table.factor && !table.wrapUp) || atTable()) {
    hideNotice();
    return;
  }
  showNotice();
  const paused = pausedAt !== null && pausedAt === place(table);
  if (following() && !paused && !going && idle()) go(false);
}

/** Go where the table is. byPerson: "Ga mee" (then the person's own unsaved text is saved first). */
function go(byPerson) {
  const main = mainEl();
  going = true;
  const target = table;
  const done = () => {
    going = false;
  };
  if (target.wrapUp || shown().wrapUp) {
    const url = target.wrapUp ? main.dataset.followWrapUpUrl : followUrl(main, target.factor);
    flushWithin(5000).then(() => {
      if (byPerson ? unsavedCount() === 0 : idle()) {
        try {
          window.sessionStorage.setItem(ARRIVED_KEY, "1"); // the next page puts the cursor
        } catch (e) {
          /* the next page leaves the cursor where the browser puts it */
        }
        window.location.assign(url);
      } else {
        done();
      }
    });
    return;
  }
  const url = followUrl(main, target.factor);
  flushWithin(5000)
    .then(() => {
      if (!byPerson && !idle()) return null;
      const guard = (event) => {
        // The answer came; the person may have started typing meanwhile: then keep her page.
        if (event.detail.target && event.detail.target.id === "live-body" && !byPerson && !idle()) {
          event.detail.shouldSwap = false;
        }
      };
      document.body.addEventListener("htmx:beforeSwap", guard);
      return Promise.resolve(
        window.htmx.ajax("GET", url, { target: "#live-body", select: "#live-body", swap: "outerHTML" })
      ).finally(() => document.body.removeEventListener("htmx:beforeSwap", guard));
    })
    .then(() => {
      if (shown().factor !== target.factor) return;
      try {
        history.replaceState(history.state, "", url);
      } catch (e) {
        /* the address stays as it was */
      }
      markTable();
      hideNotice();
      // The cursor was nowhere to type (the page, <main>, something the swap removed): it goes
      // to the minutes now on the screen, so the next keystroke lands there.
      const active = document.activeElement;
      if (byPerson || !active || !active.isConnected || !active.matches(CONTROLS)) {
        placeCursor('#live-body [data-autosave="text"]', !byPerson);
      }
    })
    .catch(() => {
      /* the next check tries again */
    })
    .finally(done);
}

/** Put the cursor in the first field matching `selector`; `placed`: not yet the person's. */
function placeCursor(selector, placed) {
  const box = document.querySelector(selector);
  if (!box || box.readOnly) return;
  box.focus();
  placedFocus = placed ? box : null;
}

function clickedWithin(event) {
  const target = event.target;
  if (!target || !target.closest) return false;
  if (target.closest("[data-follow-go]")) {
    event.preventDefault();
    setFollowing(true);
    pausedAt = null;
    if (!going) go(true);
    return true;
  }
  // Looking at another factor (or the wrap-up) oneself pauses following.
  const link = target.closest("a[href]");
  const main = mainEl();
  if (!link || !table || !main || !main.dataset.followFactorUrl) return false;
  const url = new URL(link.href, window.location.href);
  const toWrapUp = url.pathname === new URL(main.dataset.followWrapUpUrl, window.location.href).pathname;
  const factor = url.searchParams.get("factor");
  if (toWrapUp ? !table.wrapUp : factor && (table.wrapUp || factor !== table.factor)) pausedAt = place(table);
  return false;
}

export function startFollowing() {
  const main = mainEl();
  if (!main || !main.dataset.followFactorUrl) return;
  table = { factor: main.dataset.tableFactor || "", wrapUp: main.dataset.tableWrapUp === "1" };
  try {
    if (window.localStorage.getItem(storageKey())) setFollowing(false);
  } catch (e) {
    /* follow by default */
  }
  document.addEventListener("click", clickedWithin);
  const taken = (event) => {
    if (event.target !== placedFocus) placedFocus = null;
  };
  document.addEventListener("keydown", () => {
    placedFocus = null;
  });
  document.addEventListener("pointerdown", () => {
    placedFocus = null;
  });
  document.addEventListener("focusin", taken);
  document.addEventListener("change", (event) => {
    if (event.target && event.target.id === "follow-moderator") {
      setFollowing(event.target.checked);
      check();
    }
  });
  // A page opened away from the table (a bookmark, a tab, the back button) was chosen.
  if (table.factor || table.wrapUp) {
    if (!atTable()) pausedAt = place(table);
  }
  // Arrived by following: the cursor goes where the next keystroke belongs, not to <body>.
  let arrived = null;
  try {
    arrived = window.sessionStorage.getItem(ARRIVED_KEY);
    window.sessionStorage.removeItem(ARRIVED_KEY);
  } catch (e) {
    arrived = null;
  }
  if (arrived) placeCursor('main [data-autosave="text"]', true);
  markTable();
  check();
  setInterval(check, TICK_MS);
}
