/* The little the pages need beyond htmx. Pages work without it. */
"use strict";

// After an htmx-boosted page change, move focus to the new page's main content,
// as a full page load would, so that screen readers announce it.
document.addEventListener("htmx:afterSettle", (event) => {
  const detail = event.detail;
  if (detail && detail.boosted && detail.target === document.body) {
    const main = document.getElementById("main");
    if (main) {
      main.focus({ preventScroll: true });
    }
  }
});

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}
