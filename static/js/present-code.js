/*
 * /scherm/: fills in the present code that the QR code on the moderator's page carries in the
 * address's fragment (/scherm/#KDTR7M4P). The fragment never reaches the server or its logs;
 * the code is still sent only when the form is submitted (a POST).
 */
(function () {
  "use strict";
  const input = document.querySelector("input[name='code']");
  let typed = "";
  try {
    typed = decodeURIComponent(window.location.hash.slice(1));
  } catch (error) {
    return; // a malformed address: the code is typed by hand
  }
  const code = typed.replace(/[^A-Za-z0-9-]/g, "").slice(0, 32);
  if (!input || !code) return;
  if (!input.value) input.value = code.toUpperCase();
  // The code is no longer needed in the address bar (or in the browser's history).
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  const button = input.form && input.form.querySelector("button[type='submit']");
  if (button) button.focus();
})();
