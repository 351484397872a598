// The agent's call controls: their ACD state (log in, ready, pause with a reason,
// log out) with the time in it, the connected call (hang up, transfer, pause the
// recording) and wrap-up (disposition, notes, finish). Decisions are the server's:
// this page asks the REST API and shows what the live channel and the API say.
"use strict";

const controls = (() => {
  const { api } = desktop;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 2000;
  const NUMBER = /^\+?[0-9]+$/;
  const LABELS = {
    logged_out: "Logged out",
    ready: "Ready",
    reserved: "Reserved for a call",
    ringing: "Ringing",
    on_call: "On a call",
    wrap_up: "Wrap-up",
    paused: "Paused",
    unknown: "unknown",
  };

  const page = {
    state: "unknown",
    reason: "",
    since: null,          // ms since the epoch when the state began
    agent: true,          // false: the ACD has no agent for this login
    callId: null,         // the connected (or wrapping-up) call
    offeredCallId: null,  // the call of the last screen-pop
    muted: false,
    consulting: null,     // the attended transfer under way
    busy: false,          // a request is in flight
    queues: new Set(),
  };
  let pollTimer = null;

  // --- messages -------------------------------------------------------------

  function showError(node, error) {
    node.textContent = error instanceof Error ? error.message : String(error);
    node.hidden = false;
  }

  function clearError(node) {
    node.textContent = "";
    node.hidden = true;
  }

  // Runs one API request with the page marked busy; any failure is shown in
  // `errorNode` (the banner by default), never dropped.
  async function act(request, errorNode) {
    const where = errorNode || $("action-error");
    clearError($("action-error"));
    clearError(where);
    page.busy = true;
    render();
    try {
      return await request();
    } catch (error) {
      showError(where, error);
      return null;
    } finally {
      page.busy = false;
      render();
    }
  }

  // --- state ----------------------------------------------------------------

  function setState(state, reason, sinceMs) {
    if (state !== page.state || reason !== page.reason) {
      page.since = sinceMs === null ? Date.now() : sinceMs;
    } else if (sinceMs !== null) {
      page.since = sinceMs;
    }
    const left = page.state === "on_call" && state !== "on_call";
    page.state = state;
    page.reason = reason || "";
    if (state === "on_call" && page.callId === null) page.callId = page.offeredCallId;
    if (state !== "on_call") page.consulting = null;
    if (left) page.muted = false;
    if (state === "logged_out" || state === "ready" || state === "paused") page.callId = null;
    render();
  }

  // The agent's state from the API (the page's start, and while the live channel is down).
  function applyAgent(view) {
    page.agent = true;
    if (view.call_id) page.callId = view.call_id;
    setState(view.state, view.reason, null);
  }

  async function refresh() {
    try {
      applyAgent(await api("GET", "/acd/agents/me"));
    } catch (error) {
      if (error.status === 404) {
        page.agent = false;
        page.state = "unknown";
        render();
        showError($("action-error"), "You have no seat in the ACD (" + error.message +
          "), so the call controls are off: ask a supervisor.");
        return;
      }
      showError($("action-error"), error);
    }
  }

  function onAgentState(view) {
    const at = Date.parse(view.at);
    page.agent = true;
    for (const q of view.queue_ids) page.queues.add(q);
    setState(view.state, view.reason, Number.isNaN(at) ? null : Math.min(at, Date.now()));
    renderQueues();
    if (view.state === "on_call" || view.state === "wrap_up") void refreshCall();
  }

  // The connected call's id, which the recording and the wrap-up belong to.
  async function refreshCall() {
    try {
      const view = await api("GET", "/acd/agents/me");
      if (view.call_id) page.callId = view.call_id;
      render();
    } catch (error) {
      showError($("action-error"), error);
    }
  }

  function elapsed(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? Math.floor(s / 3600) + ":" + mm + ":" + ss : Math.floor(s / 60) + ":" + ss;
  }

  function tick() {
    $("state-time").textContent = page.since === null ? "" : elapsed(Date.now() - page.since);
  }

  // --- the live channel -----------------------------------------------------

  function startPolling() {
    if (pollTimer !== null) return;
    pollTimer = setInterval(refresh, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer === null) return;
    clearInterval(pollTimer);
    pollTimer = null;
  }

  // --- rendering ------------------------------------------------------------

  function enable(id, on) {
    $(id).disabled = !on || page.busy;
  }

  function render() {
    const s = page.state;
    const label = LABELS[s] || s;
    const node = $("agent-state");
    node.textContent = label + (page.reason ? " (" + page.reason.replace(/_/g, " ") + ")" : "");
    node.dataset.state = s;
    const onCall = s === "on_call" && page.callId !== null;
    enable("btn-login", page.agent && (s === "logged_out" || s === "unknown"));
    enable("btn-ready", s === "paused");
    enable("btn-pause", page.agent && s !== "logged_out" && s !== "unknown");
    enable("btn-logout", s === "ready" || s === "paused");
    enable("btn-hangup", onCall && page.consulting === null);
    enable("btn-record", onCall);
    $("btn-record").textContent = page.muted ? "Resume recording" : "Pause recording";
    $("record-status").textContent = onCall && page.muted ? "Recording paused" : "";
    enable("btn-transfer", onCall && page.consulting === null);
    enable("btn-transfer-complete", onCall && page.consulting !== null);
    enable("btn-transfer-cancel", onCall && page.consulting !== null);
    $("call-label").textContent = page.callId && s !== "wrap_up" ? page.callId : "";
    const wrapping = s === "wrap_up";
    enable("disposition", wrapping);
    enable("wrap-notes", wrapping);
    enable("btn-finish-wrap-up", wrapping);
    tick();
  }

  function renderQueues() {
    const select = $("transfer-queue");
    const chosen = select.value;
    const names = [...page.queues].sort();
    select.replaceChildren(...names.map((q) => desktop.el("option", q, { value: q })));
    if (names.includes(chosen)) select.value = chosen;
  }

  // Every queue may take a transfer, not only the agent's own: the ACD lists them.
  async function loadQueues() {
    try {
      const answer = await api("GET", "/acd/queues");
      for (const q of answer.items) page.queues.add(q.queue_id);
      renderQueues();
    } catch (error) {
      showError($("action-error"), error);
    }
  }

  function knowQueue(queueId) {
    if (page.queues.has(queueId)) return;
    page.queues.add(queueId);
    renderQueues();
  }

  // --- state buttons ----------------------------------------------------------

  function stateButton(id, path, body) {
    $(id).addEventListener("click", async () => {
      const view = await act(() => api("POST", "/acd/agents/me/" + path, body && body()));
      if (view) applyAgent(view);
    });
  }

  stateButton("btn-login", "login");
  stateButton("btn-ready", "ready");
  stateButton("btn-logout", "logout");
  stateButton("btn-pause", "pause", () => ({ reason: $("pause-reason").value }));

  // --- the call ---------------------------------------------------------------

  $("btn-hangup").addEventListener("click", async () => {
    const view = await act(() => api("POST", "/acd/agents/me/hangup"));
    if (view) applyAgent(view);
  });

  $("btn-record").addEventListener("click", async () => {
    const muted = !page.muted;
    const callId = page.callId;
    const done = await act(() => api("POST", "/recordings/mute", { call_id: callId, muted }));
    if (done) {
      page.muted = muted;
      render();
    }
  });

  function showTargetField() {
    const kind = $("transfer-kind").value;
    for (const field of document.querySelectorAll("#transfer-form .target")) {
      field.hidden = field.dataset.kind !== kind;
    }
    clearError($("transfer-error"));
  }

  // The transfer body, or a message saying what is wrong with the form.
  function transferBody() {
    const kind = $("transfer-kind").value;
    const body = { mode: $("transfer-mode").value, queue: null, agent: null, number: null };
    if (kind === "queue") {
      const queue = $("transfer-queue").value;
      if (!queue) return { problem: "No queue to choose: none is known yet." };
      body.queue = queue;
    } else if (kind === "agent") {
      const agent = $("transfer-agent").value.trim();
      if (!agent || /\s/.test(agent)) return { problem: "Enter the agent's login (no spaces)." };
      body.agent = agent;
    } else {
      const number = $("transfer-number").value.replace(/[\s()-]/g, "");
      if (number.length < 3 || number.length > 20 || !NUMBER.test(number)) {
        return { problem: "A number is 3 to 20 digits, with an optional leading +." };
      }
      body.number = number;
    }
    return { body };
  }

  function describe(transfer) {
    return transfer.mode + " transfer to " + transfer.target_kind + " " + transfer.target;
  }

  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("transfer-error");
    const { body, problem } = transferBody();
    if (problem) {
      showError(error, problem);
      return;
    }
    const answer = await act(() => api("POST", "/acd/agents/me/transfer", body), error);
    if (!answer) return;
    const transfer = answer.transfer;
    if (transfer.state === "consulting") {
      page.consulting = transfer;
      $("transfer-status").textContent = "Talking to the target: " + describe(transfer) +
        ". Complete or cancel.";
    } else {
      $("transfer-status").textContent = "Done: " + describe(transfer) + ".";
    }
    render();
  });

  function endTransfer(id, path) {
    $(id).addEventListener("click", async () => {
      const answer = await act(() => api("POST", "/acd/agents/me/transfer/" + path));
      if (!answer) return;
      page.consulting = null;
      const transfer = answer.transfer;
      $("transfer-status").textContent = transfer.state === "cancelled"
        ? "Transfer cancelled: you are back with the caller."
        : "Done: " + describe(transfer) + ".";
      render();
    });
  }

  endTransfer("btn-transfer-complete", "complete");
  endTransfer("btn-transfer-cancel", "cancel");
  $("transfer-kind").addEventListener("change", showTargetField);
  $("transfer-number").addEventListener("input", () => clearError($("transfer-error")));

  // --- wrap-up ----------------------------------------------------------------

  $("btn-finish-wrap-up").addEventListener("click", async () => {
    const error = $("wrap-up-error");
    const code = $("disposition").value;
    if (!code) {
      showError(error, "Choose a disposition first.");
      return;
    }
    const notes = $("wrap-notes").value.trim();
    const callId = page.callId;
    const view = await act(
      () => api("POST", "/acd/agents/me/wrap-up/finish", { disposition: code, notes }),
      error,
    );
    if (!view) return;
    // The CRM keeps the disposition on the call's contact; the page shows the last one.
    const last = $("last-disposition");
    last.textContent = "Last call" + (callId ? " " + callId : "") + ": " +
      $("disposition").selectedOptions[0].textContent + (notes ? " — " + notes : "");
    last.dataset.disposition = code;
    $("disposition").value = "";
    $("wrap-notes").value = "";
    applyAgent(view);
  });

  setInterval(tick, 1000);
  render();
  startPolling();  // until the live channel is up

  return {
    start: () => Promise.all([refresh(), loadQueues()]),
    onAgentState,
    onScreenPop: (data) => {
      page.offeredCallId = data.call_id;
      knowQueue(data.queue_id);
    },
    onQueueStats: (stats) => knowQueue(stats.queue_id),
    onLinkUp: stopPolling,
    onLinkDown: startPolling,
  };
})();
