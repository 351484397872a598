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

  let session = null;

  async function loadSession() {
    const response = await fetch("/api/v1/auth/me", { credentials: "same-origin" });
    if (!response.ok) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname));
      return null;
    }
    const me = await response.json();
    csrf = me.csrf_token;
    document.getElementById("who").textContent = me.actor.login;
    return me.actor;
  }

  // The signed-in actor; the session (and its CSRF token) is read once per page.
  function whoAmI() {
    if (session === null) session = loadSession();
    return session;
  }

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  // A sentence for the agent from an API error body {error_id, message, details}.
  function problemText(status, body) {
    if (status === 401) return "Your session has ended: sign in again.";
    if (status === 403) return "You are not allowed to do this.";
    const message = body && typeof body.message === "string" ? body.message : "";
    const details = body && Array.isArray(body.details) ? body.details : [];
    const fields = details.map((d) => d.field + ": " + d.message).join("; ");
    if (status >= 500) {
      return "The server failed" + (message ? " (" + message + ")" : "") + ". Try again.";
    }
    const text = [message, fields].filter((t) => t).join(" — ");
    return text || "The request was refused (HTTP " + status + ").";
  }

  // Calls the REST API as the signed-in user; resolves to the JSON answer or
  // rejects with an ApiError whose message can be shown as it is.
  async function api(method, path, body) {
    await whoAmI();
    const headers = {};
    if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch("/api/v1" + path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError("The server cannot be reached; check the network.", 0, null);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) { /* no JSON body (204, or a proxy's error page) */ }
    if (!response.ok) throw new ApiError(problemText(response.status, data), response.status, data);
    return data;
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
  return { el, connect, whoAmI, api, ApiError };
})();
