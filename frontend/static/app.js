/* The little the pages need beyond htmx. Pages work without it. */
"use strict";

// After an htmx-boosted page change, move focus to the new page's main content,
// as a full page load would, so that screen readers announce it.
document.addEventListener("htmx:afterSettle", (event) => {
  const detail = event.detail;
  if (detail && detail.boosted && detail.target === document.body) {
    // A link to a part of a page (#self-assessment) focuses that part; htmx scrolls to it.
    const anchor = detail.pathInfo && detail.pathInfo.anchor;
    const part = anchor ? document.getElementById(anchor) : null;
    const main = part && part.hasAttribute("tabindex") ? part : document.getElementById("main");
    if (main) {
      main.focus({ preventScroll: true });
    }
  }
});

// A screen of the participant's check shows the answers kept on the server. A copy that
// the browser's back/forward cache restores would show the screen as it was before it
// was answered, so such a page is asked for again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.querySelector(".check[hx-history='false']")) {
    window.location.reload();
  }
});

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}
