/* The coach's offline queue: a meeting or news saved without a signal waits on the phone
 * (IndexedDB) and is sent once the server answers again.
 *
 * Every submit of a form marked data-offline-queue goes through here: the entry is written
 * to IndexedDB first, then sent; it is removed only after the server saved it (a redirect
 * to a page that is not sign-in) or when the coach discards it. The form's hidden
 * submission_key lets the server recognise a repeat, so sending twice saves once.
 * Without JavaScript the forms post as usual. Loaded only on staff pages (base.html). */
"use strict";

(() => {
  // The page's settings and texts, in its language (JSON in a data attribute rendered by
  // the server); read again after each page change, since signing in changes the user.
  const readConfig = () => {
    const box = document.getElementById("offline-queue");
    return box ? JSON.parse(box.dataset.config) : null;
  };
  let config = readConfig();
  if (!config || !window.indexedDB) {
    return;
  }
  let text = config.text;
  const DB_NAME = "coach-offline";
  const STORE = "entries";
  const STATIC_CACHE = "coach-static-";
  const PAGE_CACHE = "coach-pages-";
  const MAX_WAIT = 5 * 60 * 1000; // back-off is capped at five minutes
  const SIGN_IN_PATHS = ["/login", "/password"];

  let paused = false; // the session has ended: wait for the coach to sign in again
  let draining = false;
  let timer = null;
  let offlineTries = 0;

  const byId = (id) => document.getElementById(id);
  const fill = (template, count) => template.replace("{count}", String(count));
  const wait = (tries) => Math.min(MAX_WAIT, 2000 * 2 ** Math.max(0, tries - 1));

  // --- IndexedDB: one store of entries, keyed by their submission key -------------------

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // Each call opens and closes the database, so that sign-out can delete it at once.
  async function inStore(mode, action) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => { db.close(); resolve(request && request.result); };
      transaction.onerror = transaction.onabort = () => { db.close(); reject(transaction.error); };
    });
  }

  // Reading never creates the database: after sign-out the phone holds none at all.
  async function dbExists() {
    if (!indexedDB.databases) {
      return true;
    }
    return (await indexedDB.databases()).some((db) => db.name === DB_NAME);
  }

  async function allEntries() {
    try {
      return (await dbExists()) ? await inStore("readonly", (store) => store.getAll()) : [];
    } catch (error) {
      return [];
    }
  }

  const putEntry = (entry) => inStore("readwrite", (store) => store.put(entry));
  const deleteEntry = (id) => inStore("readwrite", (store) => store.delete(id));

  async function myEntries() {
    const entries = await allEntries();
    // Signed out (the sign-in page): count everyone's, since they wait for a sign-in.
    return config.user ? entries.filter((entry) => entry.user === config.user) : entries;
  }

  // --- Entries --------------------------------------------------------------------------

  function newKey() {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function entryFromForm(form, submitter) {
    const data = new FormData(form, submitter || undefined);
    // The token is fetched fresh before each send; a stored one would go stale.
    const fields = [...data].filter(([name, value]) => name !== "_csrf_token"
      && typeof value === "string");
    let key = data.get("submission_key");
    if (!key) {
      key = newKey();
      fields.push(["submission_key", key]);
    }
    const day = form.querySelector("input[type=date]");
    return {
      id: key, user: config.user, url: form.action, fields,
      page: location.pathname, title: document.title.replace(/ – [^–]*$/, ""),
      day: day ? day.value : "", created: new Date().toISOString(),
      state: "waiting", attempts: 0, nextTry: 0, message: "",
    };
  }

  // The server's reason, read from the page it answered with (the errors by the fields,
  // or the question it asks), else from a plain-text answer.
  function serverMessage(body) {
    if (!body.includes("<")) {
      return body.trim().slice(0, 300) || text.refused;
    }
    const doc = new DOMParser().parseFromString(body, "text/html");
    const texts = (selector) => [...doc.querySelectorAll(selector)]
      .map((element) => element.textContent.trim()).filter(Boolean);
    let found = texts("main .field__error");
    if (!found.length) {
      found = texts("main [role=alert]:not(.error-summary) h2");
    }
    if (!found.length) {
      const detail = doc.querySelector("main h1 + p") || doc.querySelector("main h1");
      if (detail) {
        found.push(detail.textContent.trim());
      }
    }
    return found.join(" ").slice(0, 300) || text.refused;
  }

  // Send one entry and say what happened: sent, retry (no signal, busy server),
  // auth (signed out) or refused (the coach must look at it).
  async function send(entry, token) {
    let response;
    try {
      // Sent as hx-boost would: the server answers with whole pages, a form with errors
      // as a 200 page (no 422), and a signed-out session as 401 rather than the sign-in page.
      response = await fetch(entry.url, {
        method: "POST", body: new URLSearchParams(entry.fields), credentials: "same-origin",
        headers: { "X-CSRFToken": token, "HX-Request": "true", "HX-Boosted": "true" },
      });
    } catch (error) {
      return { kind: "retry" };
    }
    const landed = new URL(response.url).pathname;
    if ([401, 403].includes(response.status) || SIGN_IN_PATHS.includes(landed)) {
      return { kind: "auth" };
    }
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      return { kind: "retry" };
    }
    const body = await response.text().catch(() => "");
    // A save ends in a redirect; a 200 without one is the form again, asking a question.
    if (response.ok && response.redirected) {
      return { kind: "sent", body, url: response.url };
    }
    return { kind: "refused", body, message: serverMessage(body) };
  }

  // --- Sending the queue ----------------------------------------------------------------

  // Who is signed in now, with a fresh CSRF token; "auth" when nobody, null when the server
  // does not answer. This small request is also the test of being online: the browser's
  // navigator.onLine says only that some network is there.
  async function currentSession() {
    try {
      const response = await fetch("/offline/session", {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (response.status === 401 || response.status === 403) {
        return "auth";
      }
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null;
    }
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(sendWaiting, delay);
  }

  async function scheduleNext() {
    const waiting = (await myEntries()).filter((entry) => entry.state === "waiting");
    if (waiting.length && !paused) {
      const next = Math.min(...waiting.map((entry) => entry.nextTry));
      schedule(Math.max(1000, next - Date.now()));
    }
  }

  async function drain() {
    const waiting = (await allEntries()).filter((entry) => entry.state === "waiting");
    if (!waiting.length) {
      paused = false;
      return;
    }
    const session = await currentSession();
    if (session === "auth") {
      paused = true;
      return;
    }
    if (!session) {
      offlineTries += 1;
      schedule(wait(offlineTries));
      return;
    }
    offlineTries = 0;
    paused = false;
    // Another person's entries are never sent under this session; they wait for them.
    const mine = waiting.filter((entry) => entry.user === session.user);
    let sent = 0;
    for (const entry of mine) {
      if (entry.nextTry > Date.now()) {
        continue;
      }
      const result = await send(entry, session.csrf);
      if (result.kind === "sent") {
        await deleteEntry(entry.id);
        sent += 1;
      } else if (result.kind === "refused") {
        await putEntry({ ...entry, state: "refused", message: result.message });
      } else if (result.kind === "auth") {
        paused = true;
        break;
      } else {
        const attempts = entry.attempts + 1;
        await putEntry({ ...entry, attempts, nextTry: Date.now() + wait(attempts) });
        break; // no signal or a busy server: the rest would fare no better now
      }
    }
    if (sent && !(await myEntries()).some((entry) => entry.state === "waiting")) {
      announce(text.sent);
    }
    await scheduleNext();
  }

  async function drainOnce() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      await drain();
    } finally {
      draining = false;
      await render();
    }
  }

  // One sender at a time, also across tabs. Without Web Locks each tab sends on its own
  // and the submission keys keep a double send from saving twice.
  function sendWaiting() {
    if (navigator.locks) {
      return navigator.locks.request("coach-offline-queue", { ifAvailable: true },
        (lock) => (lock ? drainOnce() : render()));
    }
    return drainOnce();
  }

  async function sendNow(tell = true) {
    for (const entry of await myEntries()) {
      if (entry.state === "waiting" && entry.nextTry) {
        await putEntry({ ...entry, nextTry: 0 });
      }
    }
    offlineTries = 0;
    await sendWaiting();
    const left = (await myEntries()).filter((entry) => entry.state === "waiting").length;
    if (tell && left && !paused) {
      announce(text.still_offline);
    }
  }

  // --- The page -------------------------------------------------------------------------

  function announce(message) {
    const note = byId("offline-queue-note");
    if (note) {
      note.textContent = message;
    }
  }

  function setText(element, value) {
    if (element && element.textContent !== value) {
      element.textContent = value; // unchanged text is not announced again
    }
  }

  async function render() {
    const entries = await myEntries();
    const waiting = entries.filter((entry) => entry.state === "waiting").length;
    const needSignIn = waiting > 0 && (paused || !config.user);
    let status = "";
    if (needSignIn) {
      status = waiting === 1 ? text.sign_in_one : fill(text.sign_in_many, waiting);
    } else if (waiting) {
      status = waiting === 1 ? text.waiting_one : fill(text.waiting_many, waiting);
    }
    setText(byId("offline-queue-status"), status);
    const actions = byId("offline-queue-actions");
    if (actions) {
      actions.hidden = waiting === 0;
      byId("offline-queue-send").hidden = needSignIn;
      byId("offline-queue-sign-in").hidden = !needSignIn || location.pathname === "/login";
    }
    renderRefused(entries.filter((entry) => entry.state === "refused"));
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content) {
      node.textContent = content;
    }
    return node;
  }

  function renderRefused(refused) {
    const box = byId("offline-queue-refused");
    if (!box) {
      return;
    }
    const list = box.querySelector("ul");
    const shown = [...list.children].map((item) => item.dataset.id).join();
    if (shown === refused.map((entry) => entry.id).join()) {
      return;
    }
    list.replaceChildren(...refused.map(refusedItem));
    box.hidden = refused.length === 0;
  }

  function refusedItem(entry) {
    const item = element("li", "card");
    item.dataset.id = entry.id;
    const title = element("p", "", "");
    title.append(element("strong", "", entry.title));
    if (entry.day) {
      title.append(` · ${entry.day}`);
    }
    const message = element("p", "field__error", entry.message);
    const actions = element("div", "actions");
    const edit = element("a", "button button--secondary", text.edit);
    edit.href = `${entry.page}#offline-entry=${encodeURIComponent(entry.id)}`;
    edit.setAttribute("hx-boost", "false"); // the form is filled in on a fresh load
    const discard = element("button", "button button--danger", text.discard);
    discard.type = "button";
    discard.addEventListener("click", async () => {
      if (!discard.dataset.asked) { // ask once before a coach's entry is gone for good
        discard.dataset.asked = "1";
        discard.textContent = text.discard_confirm;
        return;
      }
      await deleteEntry(entry.id);
      announce(text.discarded);
      await render();
    });
    actions.append(edit, discard);
    item.append(title, message, actions);
    return item;
  }

  // "Edit" opens the entry's form with its values filled in and the same key, so that the
  // corrected entry replaces the refused one.
  async function fillFromEntry() {
    const match = location.hash.match(/^#offline-entry=(.+)$/);
    const form = document.querySelector("form[data-offline-queue]");
    if (!match || !form) {
      return;
    }
    const id = decodeURIComponent(match[1]);
    const entry = (await myEntries()).find((item) => item.id === id);
    if (!entry) {
      return;
    }
    for (const field of form.elements) {
      if (!field.name || field.name === "_csrf_token" || ["submit", "button"].includes(field.type)) {
        continue;
      }
      const values = entry.fields.filter(([name]) => name === field.name).map(([, v]) => v);
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.includes(field.value);
      } else if (values.length) {
        field.value = values[0];
      }
    }
    history.replaceState(history.state, "", location.pathname + location.search);
  }

  // A kept "Log a meeting" page opened on a later day still shows the day it was fetched:
  // move an untouched date to today, as a fresh page would have it.
  function todayOnKeptPage(form) {
    const now = new Date();
    const today = new Date(now.getTime() - now.getTimezoneOffset() * 60000)
      .toISOString().slice(0, 10);
    if (!config.today || config.today >= today) {
      return;
    }
    for (const field of form.querySelectorAll("input[type=date]")) {
      if (field.max === config.today) {
        field.max = today;
      }
      if (field.value === config.today) {
        field.value = today;
      }
    }
  }

  // Show the page the server answered with, as hx-boost would: title, body, address.
  function showPage(body, url) {
    const doc = new DOMParser().parseFromString(body, "text/html");
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    if (url) {
      history.pushState({ htmx: true }, "", url);
    }
    if (window.htmx) {
      window.htmx.process(document.body);
    }
    window.scrollTo(0, 0);
    const main = byId("main");
    if (main) {
      main.focus({ preventScroll: true });
    }
    setUp();
  }

  function pageToken(form) {
    const field = form.querySelector("input[name=_csrf_token]");
    return field ? field.value : "";
  }

  // The entry stays on the phone: no signal (kept to send later) or signed out (paused).
  async function keepOnPhone(form, entry, kind) {
    // The connection may have come back while this send failed, and the background sender
    // may already have sent or refused the entry: then it is not put back as waiting.
    const current = (await myEntries()).find((item) => item.id === entry.id);
    const pending = current && current.state === "waiting";
    if (kind === "auth") {
      paused = true;
      if (pending) {
        await putEntry({ ...entry, nextTry: 0 });
      }
    } else {
      if (pending) {
        await putEntry({ ...entry, attempts: 1, nextTry: Date.now() + wait(1) });
      }
      const key = form.querySelector("input[name=submission_key]");
      form.reset(); // ready for the next entry, which needs a key of its own
      if (key) {
        key.value = newKey();
      }
      announce(text.saved_offline);
      await scheduleNext();
    }
    await render();
  }

  async function submitQueued(form, submitter) {
    const entry = entryFromForm(form, submitter);
    // The background sender leaves a new entry alone for a minute: this send is under way.
    entry.nextTry = Date.now() + 60000;
    await putEntry(entry); // on the phone before anything is sent
    if (form.hasAttribute("hx-post") && window.htmx) {
      // A form htmx updates in place (news): htmx sends it, settleHtmxSend() decides.
      form.dataset.queued = entry.id;
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      return;
    }
    const result = await send(entry, pageToken(form));
    if (result.kind === "sent") {
      await deleteEntry(entry.id);
      showPage(result.body, result.url);
    } else if (result.kind === "refused") {
      // The coach sees the form again with the server's messages and their entries;
      // saving it again sends the same key.
      await deleteEntry(entry.id);
      showPage(result.body, null);
    } else {
      await keepOnPhone(form, entry, result.kind);
    }
  }

  // htmx answered (or found no network) for a queued form it sent.
  async function settleHtmxSend(event) {
    const detail = event.detail || {};
    // beforeSwap names the swap's target as elt; the form that sent is in requestConfig.
    const form = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    const id = form && form.dataset && form.dataset.queued;
    if (!id) {
      return;
    }
    delete form.dataset.queued;
    const entry = (await myEntries()).find((item) => item.id === id);
    if (!entry) {
      return;
    }
    const xhr = detail.xhr;
    const status = xhr ? xhr.status : 0;
    if (!status || status === 408 || status === 429 || status >= 500) {
      await keepOnPhone(form, entry, "retry");
    } else if (status === 401 || status === 403) {
      await keepOnPhone(form, entry, "auth");
    } else if (status >= 400) {
      // htmx shows nothing for these: the entry waits in the list with the reason.
      await putEntry({ ...entry, state: "refused", message: serverMessage(xhr.responseText) });
      await render();
    } else {
      // Saved, or the form came back with messages by its fields for the coach to fix.
      await deleteEntry(entry.id);
      await render();
    }
  }

  // Before the swap: afterwards the form may be gone from the page, and its events with it.
  document.addEventListener("htmx:beforeSwap", settleHtmxSend);
  document.addEventListener("htmx:sendError", settleHtmxSend);

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-offline-queue")) {
      return;
    }
    if (form.dataset.queued) {
      return; // already on the phone: htmx sends it now
    }
    // Capture phase: htmx never sees this submit.
    event.preventDefault();
    event.stopImmediatePropagation();
    if (form.dataset.sending) {
      return; // a second tap while the first is on its way
    }
    form.dataset.sending = "1";
    submitQueued(form, event.submitter).finally(() => { delete form.dataset.sending; });
  }, true);

  // --- Signing out: warn about unsent entries, then leave nothing of the user behind ----

  async function clearPhone() {
    await inStore("readwrite", (store) => store.clear()).catch(() => {});
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    if (window.caches) {
      for (const name of await caches.keys()) {
        if (!name.startsWith(STATIC_CACHE)) {
          await caches.delete(name);
        }
      }
    }
    localStorage.clear();
    sessionStorage.clear();
  }

  async function signOut(form, confirmed) {
    // Every entry on the phone counts: an earlier user's entries go too.
    const unsent = (await allEntries()).length;
    const warning = byId("offline-queue-sign-out");
    if (unsent && !confirmed && warning) {
      setText(byId("offline-queue-sign-out-text"),
        unsent === 1 ? text.sign_out_one : fill(text.sign_out_many, unsent));
      warning.hidden = false;
      warning.focus();
      return;
    }
    await clearPhone();
    form.dataset.cleared = "1";
    form.submit();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.matches("form.sign-out")
        && !form.dataset.cleared) {
      event.preventDefault();
      event.stopImmediatePropagation();
      signOut(form, false);
    }
  }, true);

  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("button[data-queue-action]");
    if (!button) {
      return;
    }
    const action = button.dataset.queueAction;
    const signOutForm = document.querySelector("form.sign-out");
    if (action === "send") {
      await sendNow();
    } else if (action === "send-then-sign-out") {
      await sendNow();
      if (signOutForm && !(await allEntries()).length) {
        await signOut(signOutForm, true);
      } else if (signOutForm) {
        await signOut(signOutForm, false);
      }
    } else if (action === "sign-out-anyway" && signOutForm) {
      await signOut(signOutForm, true);
    } else if (action === "cancel-sign-out") {
      byId("offline-queue-sign-out").hidden = true;
    }
  });

  // --- Start ----------------------------------------------------------------------------

  async function keepPagesOfThisUser() {
    // The service worker keeps "Log a meeting" pages in the signed-in coach's own cache;
    // pages of anyone else who used this phone are dropped.
    if (!window.caches || !config.user) {
      return;
    }
    for (const name of await caches.keys()) {
      if (name.startsWith(PAGE_CACHE) && name !== PAGE_CACHE + config.user) {
        await caches.delete(name);
      }
    }
    await caches.open(PAGE_CACHE + config.user);
  }

  function setUp() {
    config = readConfig() || config;
    text = config.text;
    const form = document.querySelector("form[data-offline-queue]");
    if (form) {
      todayOnKeptPage(form);
    }
    fillFromEntry().then(render);
  }

  setUp();
  keepPagesOfThisUser().catch(() => {});
  sendWaiting();
  // After an hx-boost page change (signing in is one), the new page needs the same.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail && event.detail.boosted && event.detail.target === document.body) {
      setUp();
      keepPagesOfThisUser().catch(() => {});
      sendWaiting();
    }
  });
  // "Edit" on the form's own page changes only the address's #part.
  window.addEventListener("hashchange", () => fillFromEntry());
  // The connection is back: try every waiting entry now, whatever its back-off said.
  window.addEventListener("online", () => sendNow(false));
  window.addEventListener("focus", sendWaiting);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      sendWaiting();
    }
  });
})();
