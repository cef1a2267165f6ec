/**
 * The conflict panel: someone else saved a text field since the version this screen's text
 * was based on. The server already keeps this screen's text (field history) and proposes a
 * three-way merge; the panel shows it with both versions (the choice itself is saving.js's
 * resolveConflict).
 */

import { byData, fill, msg } from "./dom.js";
import { setStatus } from "./fields.js";

export function openConflict(f) {
  const box = byData("[data-conflict-for]", "conflictFor", f.key)[0];
  const template = document.getElementById("conflict-template");
  setStatus(f.key, "conflict", msg("conflict"), false);
  if (!box || !template) return;
  const c = f.conflict;
  const fragment = template.content.cloneNode(true);
  const slot = (name) => fragment.querySelector('[data-slot="' + name + '"]');
  const meta = slot("meta");
  if (meta) {
    meta.textContent = c.by || c.at ? fill(msg("conflict-meta"), { by: c.by, time: c.at }) : "";
    meta.hidden = !(c.by || c.at);
  }
  slot("merged").textContent = c.merged;
  slot("mine").textContent = c.mine;
  slot("theirs").textContent = c.theirs;
  slot("unclean").hidden = c.clean;
  box.replaceChildren(fragment);
  box.hidden = false;
}

export function closeConflict(key) {
  for (const box of byData("[data-conflict-for]", "conflictFor", key)) {
    box.replaceChildren();
    box.hidden = true;
  }
}
