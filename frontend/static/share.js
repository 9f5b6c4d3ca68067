/* Copy and Share buttons for a personal link (auth/invite.html).
 * The buttons are made here, so a browser without JavaScript shows only the link,
 * which can be selected and copied by hand. Share appears only where the phone has
 * the Web Share API. */
"use strict";

(() => {
  const makeButton = (text) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary";
    button.textContent = text;
    return button;
  };

  const copyText = async (input) => {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return;
    }
    // Plain http (a test machine): the older way, through a selection.
    input.select();
    if (!document.execCommand("copy")) {
      throw new Error("copy failed");
    }
  };

  const setUp = (box) => {
    if (box.dataset.ready) {
      return;
    }
    box.dataset.ready = "1";
    const input = document.getElementById(box.dataset.input);
    const status = document.getElementById(box.dataset.status);
    if (!input || !status) {
      return;
    }
    const say = (text) => {
      status.textContent = text;
    };
    const copy = makeButton(box.dataset.copyLabel);
    copy.addEventListener("click", () => {
      copyText(input).then(() => say(box.dataset.copied), () => say(box.dataset.copyFailed));
    });
    box.appendChild(copy);
    if (typeof navigator.share === "function") {
      const share = makeButton(box.dataset.shareLabel);
      share.addEventListener("click", () => {
        // Cancelling the share sheet rejects the promise: nothing to report then.
        navigator.share({ text: box.dataset.shareText, url: input.value }).catch(() => {});
      });
      box.appendChild(share);
    }
  };

  const setUpAll = () => document.querySelectorAll("[data-share-link]").forEach(setUp);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
  document.addEventListener("htmx:afterSettle", setUpAll);
})();
