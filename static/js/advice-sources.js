/*
 * The advice editor: "Overnemen" adds a passage of the session's notes to the end of the
 * section's text and fires an input event, so the field saves itself exactly as if the passage
 * had been typed (static/js/live.js, docs/live-protocol.md: draft, autosave, conflicts).
 */
(function () {
  "use strict";

  function takeOver(button) {
    const key = button.dataset.takeOver;
    const field = Array.from(document.querySelectorAll("textarea[data-field]"))
      .find((el) => el.dataset.field === key);
    const item = button.closest("[data-passage]");
    const source = item && item.querySelector("[data-passage-text]");
    if (!field || !source || field.readOnly || field.disabled) return;
    const passage = source.textContent.trim();
    const before = field.value.replace(/\s+$/, "");
    field.value = before ? before + "\n\n" + passage : passage;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    // Show where it went without taking the focus away: more passages may follow.
    field.scrollTop = field.scrollHeight;
    const taken = item.querySelector("[data-taken]");
    if (taken) taken.hidden = false;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-take-over]");
    if (button) takeOver(button);
  });
})();
