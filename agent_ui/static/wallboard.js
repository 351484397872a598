// The supervisor's wallboard: the live channel says what changed and the page
// asks the server for that part, which htmx swaps in: the queues' tiles, the
// alerts and the callers waiting on the queues' figures, pushed every second; the
// agents on a state change or an alert. Figures, colours and words are the
// server's.
"use strict";

(() => {
  const parts = {
    queues: document.getElementById("queues"),
    agents: document.getElementById("agents"),
    alerts: document.getElementById("alerts"),
    waiting: document.getElementById("waiting"),
  };

  // A burst of pushes (every queue's figures in the same second) asks once.
  const pending = new Set();
  function refresh(name) {
    if (pending.has(name)) return;
    pending.add(name);
    setTimeout(() => {
      pending.delete(name);
      htmx.trigger(parts[name], "refresh");
    }, 100);
  }

  ui.connect("wallboard", {
    connect: () => Object.keys(parts).forEach(refresh),
    queue_stats: () => {
      refresh("queues");
      refresh("alerts");
      refresh("waiting");
    },
    agent_state: () => refresh("agents"),
    alert: () => {
      refresh("alerts");
      refresh("agents");
    },
  });
})();
