/**
 * The session's status on this screen (docs/live-protocol.md, "Closed state"). When a sync
 * says the session closed, the screen switches within that answer, without a reload: every
 * field read-only (focus and text stay where they are), the clocks stop, the parts marked
 * data-live-open-only hide and those marked data-live-closed-only (the notice, the advice
 * link) show, and whatever was still unsaved is sent at once: it was typed before this screen
 * knew, so the server still stores it, and the notice says where it went (late.js). A reopened session
 * reloads the page once nothing waits to be saved.
 */

import { stopClocks } from "./clock.js";
import { mainEl } from "./dom.js";
import { unsavedCount } from "./fields.js";
import { flush } from "./saving.js";

export function statusChanged(status) {
  const main = mainEl();
  if (!main || !status || !main.dataset.sessionStatus) return;
  const before = main.dataset.sessionStatus;
  if (status === before) return;
  main.dataset.sessionStatus = status;
  for (const badge of document.querySelectorAll("[data-session-badge]")) {
    badge.className = "badge badge--" + status;
    const label = badge.getAttribute("data-label-" + status);
    if (label) badge.textContent = label;
  }
  if (status === "afgerond") showClosed(main);
  else if (before === "afgerond") reloadWhenSaved();
}

function showClosed(main) {
  const active = document.activeElement;
  for (const el of main.querySelectorAll('[data-autosave="text"]')) el.readOnly = true;
  for (const el of main.querySelectorAll('[data-autosave="choice"]')) el.disabled = true;
  for (const el of document.querySelectorAll("[data-live-open-only]")) el.hidden = true;
  for (const el of document.querySelectorAll("[data-live-closed-only]")) el.hidden = false;
  stopClocks();
  // Focus that sat on something now disabled or hidden goes to the notice, not to <body>.
  if (active && active !== document.body && (active.disabled || !active.offsetParent)) {
    const notice = document.getElementById("session-closed");
    if (notice) {
      notice.tabIndex = -1;
      notice.focus();
    }
  }
  flush();
}

function reloadWhenSaved() {
  if (unsavedCount() === 0) window.location.reload();
  else setTimeout(reloadWhenSaved, 1000);
}
