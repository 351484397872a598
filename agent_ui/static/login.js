// Signs in through the REST API (which sets the session cookie), then opens the
// page the user asked for, or their start page. Texts come from the form.
"use strict";

function safeNext() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only a path on this site: no scheme, no "//host", no backslash tricks.
  return /^\/(?![\/\\])/.test(next) ? next : "/";
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const error = document.getElementById("login-error");
  error.hidden = true;
  const body = {
    login: document.getElementById("login").value,
    password: document.getElementById("password").value,
  };
  let response;
  try {
    response = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    error.textContent = form.dataset.unreachable;
    error.hidden = false;
    return;
  }
  if (response.ok) {
    location.assign(safeNext());
    return;
  }
  let message = form.dataset.wrong;
  if (response.status === 429) {
    const seconds = response.headers.get("Retry-After") || "?";
    message = form.dataset.throttled.replace("{seconds}", seconds);
  }
  error.textContent = message;
  error.hidden = false;
});
