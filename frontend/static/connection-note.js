/* Pages without the coach's offline queue (a participant's, "fill in together"): answers
 * are never kept on the phone, so say plainly when there is no connection, and keep a
 * form on screen rather than sending it into nothing. */
"use strict";

(() => {
  const note = () => document.getElementById("connection-note");
  const show = () => {
    const element = note();
    if (element) {
      element.textContent = element.dataset.offline;
    }
  };
  const hide = () => {
    const element = note();
    if (element) {
      element.textContent = "";
    }
  };
  window.addEventListener("offline", show);
  window.addEventListener("online", hide);
  document.addEventListener("htmx:sendError", show);
  document.addEventListener("submit", (event) => {
    if (!navigator.onLine) {
      event.preventDefault();
      event.stopImmediatePropagation();
      show();
    }
  }, true);
  if (!navigator.onLine) {
    show();
  }
})();
