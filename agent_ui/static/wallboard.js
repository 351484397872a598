// The supervisor's wallboard: queue figures every second and agents' states, live.
// Words for states, reasons and queues come from the page (#wallboard-labels).
"use strict";

(() => {
  const labels = JSON.parse(document.getElementById("wallboard-labels").textContent);
  const word = (table, code) => (code && labels[table][code]) || code || "";

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    return node;
  }
  const queues = new Map();
  const agents = new Map();

  function percent(share) {
    return share === null || share === undefined ? "–" : Math.round(share * 100) + " %";
  }

  function seconds(value) {
    const s = Math.round(value);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function cell(text, numeric) {
    return el("td", text, numeric ? { class: "num" } : {});
  }

  function renderQueues() {
    const body = document.querySelector("#queues tbody");
    const rows = [...queues.values()].sort((a, b) => a.queue_id.localeCompare(b.queue_id));
    body.replaceChildren(...rows.map((q) => {
      const row = el("tr", null, { "data-queue-id": q.queue_id });
      const byState = Object.entries(q.agents_by_state)
        .filter(([, n]) => n > 0).map(([s, n]) => word("states", s) + " " + n).join(", ");
      row.append(
        cell(word("queues", q.queue_id)), cell(q.waiting, true), cell(seconds(q.longest_wait_s), true),
        cell(percent(q.service_level), true),
        cell(q.abandoned + " (" + percent(q.abandonment) + ")", true),
        cell(q.answered, true), cell(byState || "–"),
        cell(new Date(q.at).toLocaleTimeString()),
      );
      return row;
    }));
  }

  function renderAgents() {
    const body = document.querySelector("#agents tbody");
    const rows = [...agents.values()].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    body.replaceChildren(...rows.map((a) => {
      const row = el("tr", null, { "data-agent-id": a.agent_id });
      row.append(cell(a.agent_id), cell(word("states", a.state)),
                 cell(word("reasons", a.reason)),
                 cell(a.queue_ids.map((q) => word("queues", q)).join(", ")),
                 cell(new Date(a.at).toLocaleTimeString()));
      return row;
    }));
  }

  ui.connect("wallboard", {
    wallboard: (snapshot) => {
      for (const q of snapshot.queues) queues.set(q.queue_id, q);
      for (const a of snapshot.agents) agents.set(a.agent_id, a);
      renderQueues();
      renderAgents();
    },
    queue_stats: (q) => { queues.set(q.queue_id, q); renderQueues(); },
    agent_state: (a) => { agents.set(a.agent_id, a); renderAgents(); },
  });
})();
