/* Service worker: keeps the app's code, styles and icons on the device.
 * Pages are not cached, with one exception: the signed-in coach's "Log a meeting" pages,
 * so that a meeting can be logged without a signal (the entry waits in offline-queue.js).
 * They are kept in that coach's own cache ("coach-pages-<opaque user>", opened by the
 * page while the coach is signed in), which sign-out deletes. With no such cache, nothing
 * is kept. When the network is gone, any other page request gets the offline page. */
"use strict";

const VERSION = "__VERSION__";
const CACHE = "coach-static-" + VERSION;
const ASSETS = __ASSETS__;
const OFFLINE_URL = "/offline";
const PAGE_CACHE = "coach-pages-";
const KEPT_PAGE = /^\/groups\/\d+\/meetings\/new$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(ASSETS.concat([OFFLINE_URL])))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("coach-") && name !== CACHE)
          .map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  const page = request.mode === "navigate" || request.headers.get("HX-Request") === "true";
  if (page && KEPT_PAGE.test(url.pathname)) {
    event.respondWith(keptPage(request));
    return;
  }
  if (request.mode === "navigate") {
    // Always from the network; the offline page only when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then((cached) => cached || fetch(request))
    );
  }
});

// From the network, kept in the coach's cache; from that cache when there is no network.
async function keptPage(request) {
  const name = (await caches.keys()).find((key) => key.startsWith(PAGE_CACHE));
  const key = request.url.split("#")[0];
  try {
    const response = await fetch(request);
    if (name && response.ok && !response.redirected) {
      await (await caches.open(name)).put(key, response.clone());
    }
    return response;
  } catch (error) {
    const kept = name && await (await caches.open(name)).match(key, { ignoreVary: true });
    if (kept) {
      return kept;
    }
    return request.mode === "navigate" ? caches.match(OFFLINE_URL) : Response.error();
  }
}
