/**
 * The conflict panel: someone else saved a text field since the version this screen's text
 * was based on. The server already keeps this screen's text (field history) and proposes a
 * three-way merge; the panel shows it with both versions, and the person chooses:
 *   merge       store the merge, made again by the server from the text as it is now
 *   keep-mine   store this screen's text over the other
 *   take-theirs take the stored text (saved again, so the choice is on record)
 * Meanwhile the person may go on typing: the draft keeps it, and the choice takes it along.
 */

import { byData, fill, msg, textEl } from "./dom.js";
import { writeDraft } from "./drafts.js";
import { State, getField, setState, setStatus } from "./fields.js";
import { save } from "./saving.js";

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

function closeConflict(key) {
  for (const box of byData("[data-conflict-for]", "conflictFor", key)) {
    box.replaceChildren();
    box.hidden = true;
  }
}

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
  if (f.state === State.CONFLICT) setState(f, State.CHANGED); // nothing to send (no element, no draft)
}
