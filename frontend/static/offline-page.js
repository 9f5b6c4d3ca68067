/* The offline page: link to the "Log a meeting" pages the service worker keeps for the
 * signed-in coach (sw.js), so a coach without a signal can still log a meeting. */
"use strict";

(async () => {
  const list = document.getElementById("kept-pages");
  if (!list || !window.caches) {
    return;
  }
  const items = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("coach-pages-")) {
      continue;
    }
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const page = await cache.match(request);
      const doc = new DOMParser().parseFromString(await page.text(), "text/html");
      const link = document.createElement("a");
      link.href = new URL(request.url).pathname;
      const label = document.createElement("strong");
      label.textContent = doc.title.replace(/ – [^–]*$/, "");
      link.append(label);
      const item = document.createElement("li");
      item.append(link);
      items.push(item);
    }
  }
  list.replaceChildren(...items);
  list.hidden = items.length === 0;
})();
