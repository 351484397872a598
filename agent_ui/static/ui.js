// What every page shares: the live channel (Socket.IO) with its status, ticking
// timers, and the message area for requests that failed. Texts come from the
// page (data-text-* attributes on <body>), never from here.
"use strict";

const ui = (() => {
  const body = document.body;
  const text = (name) => body.dataset["text" + name] || "";

  function flash(message) {
    const area = document.getElementById("flash");
    const line = document.createElement("p");
    line.className = "message error";
    line.textContent = message;
    area.replaceChildren(line);
  }

  // The message area empties itself a while after something was shown.
  let clearing = null;
  new MutationObserver(() => {
    clearTimeout(clearing);
    clearing = setTimeout(() => document.getElementById("flash").replaceChildren(), 8000);
  }).observe(document.getElementById("flash"), { childList: true });

  document.addEventListener("htmx:sendError", () => flash(text("Failed")));
  // A server failure is said in words; what the page showed stays.
  document.addEventListener("htmx:responseError", (event) => {
    if (event.detail.xhr.status >= 500) flash(text("Failed"));
  });

  function elapsed(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? Math.floor(s / 3600) + ":" + mm + ":" + ss : Math.floor(s / 60) + ":" + ss;
  }

  // Elements with data-since (an ISO time) show the time since then.
  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll("[data-since]")) {
      const since = Date.parse(node.dataset.since);
      node.textContent = Number.isNaN(since) ? "" : elapsed(Math.max(0, now - since));
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSettle", tick);
  tick();

  function status(node, key, up) {
    if (!node) return;
    node.textContent = text(key);
    node.className = "status " + (up ? "up" : "down");
  }

  // The page's live channel: `page` says which pushes it wants; `handlers` maps
  // event names to functions. Websocket only (no sticky sessions needed).
  function connect(page, handlers) {
    const node = document.getElementById("link-status");
    const socket = io("/desktop", { transports: ["websocket"], auth: { page } });
    socket.on("connect", () => {
      status(node, "Live", true);
      socket.emit("ready");
    });
    socket.on("disconnect", () => status(node, "Down", false));
    socket.on("connect_error", (err) => {
      status(node, "Offline", false);
      if (err.message === "not signed in") {
        location.assign("/login?next=" + encodeURIComponent(location.pathname));
      }
    });
    for (const [name, handler] of Object.entries(handlers)) socket.on(name, handler);
    return socket;
  }

  return { connect, flash, tick };
})();
