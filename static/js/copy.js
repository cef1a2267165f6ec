// Copy buttons: <button data-copy="ID"> copies the value of #ID (a read-only input with the full
// address) to the clipboard and says so in the status element right after the button. Where the
// clipboard is not available (an http address other than localhost), the text is selected so
// Ctrl+C copies it. A module with its own file: the Content-Security-Policy allows no inline code.

function say(button, text) {
  const status = button.nextElementSibling;
  if (status && status.matches(".copy-status")) {
    status.textContent = text;
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  if (!source) {
    return;
  }
  try {
    await navigator.clipboard.writeText(source.value);
    say(button, button.dataset.copied);
  } catch {
    source.focus();
    source.select();
    say(button, button.dataset.copyFailed);
  }
});
