/**
 * The connection banner (#connection-banner, role=alert): one line for the most important of
 * the reasons that hold at the moment.
 */

import { msg } from "./dom.js";

const PRIORITY = ["forbidden", "csrf", "login", "network", "sync"];
const reasons = new Map();

function render() {
  const banner = document.getElementById("connection-banner");
  if (!banner) return;
  const reason = PRIORITY.find((r) => reasons.has(r));
  const text = reason ? reasons.get(reason) : null;
  if (text === null) {
    banner.hidden = true;
    if (banner.textContent) banner.textContent = "";
    return;
  }
  if (banner.textContent !== text) banner.textContent = text;
  banner.hidden = false;
}

export function setBanner(reason, text) {
  reasons.set(reason, text || msg("unsaved"));
  render();
}

export function clearBanner(...which) {
  let changed = false;
  for (const r of which) changed = reasons.delete(r) || changed;
  if (changed) render();
}
