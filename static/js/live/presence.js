/**
 * Tells the server whether this screen holds text that is not saved yet, so that closing the
 * session can wait for it (docs/live-protocol.md, "Unsaved text and closing"): at once when
 * unsaved text appears, every HEARTBEAT_MS while there is some, and "all saved" once nothing
 * has been unsaved for SETTLE_MS (a person typing in bursts does not report every pause). A
 * screen with nothing unsaved sends nothing.
 */

import { csrfToken, mainEl } from "./dom.js";
import { onStateChange, unsavedCount } from "./fields.js";
import { jsonHeaders, request } from "./net.js";

const HEARTBEAT_MS = 2000;
const SETTLE_MS = 1000;
const screen = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");

let reported = 0; // what the server was told last
let heartbeat = null;
let settle = null;

function send(count) {
  const main = mainEl();
  if (!main || !main.dataset.unsavedUrl) return;
  reported = count;
  const body = new URLSearchParams({ screen: screen, fields: String(count) });
  request(main.dataset.unsavedUrl, { method: "POST", headers: jsonHeaders(csrfToken()), body: body });
}

function beat() {
  const count = unsavedCount();
  if (count > 0) send(count);
  heartbeat = reported > 0 ? setTimeout(beat, HEARTBEAT_MS) : null;
}

function changed() {
  const count = unsavedCount();
  if (count > 0) {
    clearTimeout(settle);
    settle = null;
    if (reported === 0) {
      send(count);
      clearTimeout(heartbeat);
      heartbeat = setTimeout(beat, HEARTBEAT_MS);
    }
  } else if (reported > 0 && settle === null) {
    settle = setTimeout(() => {
      settle = null;
      if (unsavedCount() === 0) {
        send(0);
        clearTimeout(heartbeat);
        heartbeat = null;
      }
    }, SETTLE_MS);
  }
}

export function startReporting() {
  onStateChange(changed);
}
