// What every desktop page shares: the live channel, who is signed in, signing out.
"use strict";

const desktop = (() => {
  let csrf = null;

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    return node;
  }

  function status(text, up) {
    const node = document.getElementById("link-status");
    node.textContent = text;
    node.className = "status " + (up ? "up" : "down");
  }

  async function whoAmI() {
    const response = await fetch("/api/v1/auth/me", { credentials: "same-origin" });
    if (!response.ok) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname));
      return null;
    }
    const session = await response.json();
    csrf = session.csrf_token;
    document.getElementById("who").textContent = session.actor.login;
    return session.actor;
  }

  async function signOut() {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: csrf ? { "X-CSRF-Token": csrf } : {},
    });
    location.assign("/login");
  }

  function connect(handlers) {
    // Websocket only: no long-polling, so no sticky sessions behind a balancer.
    const socket = io("/desktop", { transports: ["websocket"] });
    socket.on("connect", () => {
      status("live", true);
      socket.emit("ready");
    });
    socket.on("disconnect", () => status("reconnecting…", false));
    socket.on("connect_error", (err) => {
      status("not connected: " + err.message, false);
      if (err.message === "not signed in") {
        location.assign("/login?next=" + encodeURIComponent(location.pathname));
      }
    });
    for (const [name, handler] of Object.entries(handlers)) socket.on(name, handler);
    return socket;
  }

  document.getElementById("sign-out").addEventListener("click", signOut);
  return { el, connect, whoAmI };
})();
