// The agent's desk: the live channel asks the server for the parts that changed
// (htmx swaps them in), the call's screen follows the call in the banner, and the
// ring sounds while a call rings. Decisions and words are the server's.
"use strict";

(() => {
  const stateBox = document.getElementById("desk-state");
  const callBox = document.getElementById("call");
  const queuesBox = document.getElementById("my-queues");
  const soundOff = document.getElementById("sound-off");

  const refreshState = () => htmx.trigger(stateBox, "refresh");
  const refreshQueues = () => htmx.trigger(queuesBox, "refresh");

  // Open the screen of `callId` unless it is the one shown already.
  function showCall(callId) {
    if (!callId || callBox.dataset.callId === callId) return;
    callBox.dataset.callId = callId;
    htmx.ajax("GET", "/agent/calls/" + encodeURIComponent(callId), {
      target: callBox,
      swap: "innerHTML",
    });
  }

  function followBanner() {
    const banner = document.getElementById("call-banner");
    if (!banner) return;
    if (banner.dataset.ringing === "true") {
      ring.start();
      soundOff.hidden = !ring.blocked();
    } else {
      ring.stop();
    }
    showCall(banner.dataset.callId);
  }

  // Fields the agent was filling in keep their values through redraws
  // (hx-preserve); the transfer form shows the target field of the kind kept.
  function followTransferKind() {
    const kind = document.getElementById("transfer-kind");
    if (kind) kind.form.dataset.kind = kind.value;
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.elt === stateBox || stateBox.contains(event.detail.elt)) {
      followBanner();
      followTransferKind();
    }
  });

  // A page is silent until clicked: any click lets the ring sound from then on.
  document.addEventListener("click", async () => {
    await ring.unblock();
    soundOff.hidden = true;
  });

  document.addEventListener("change", (event) => {
    if (event.target.closest("#transfer-kind")) followTransferKind();
  });

  ui.connect("agent", {
    connect: () => {
      refreshState();
      refreshQueues();
    },
    screen_pop: (pop) => {
      showCall(pop.call_id);
      refreshState();
    },
    offer_withdrawn: refreshState,
    agent_state: refreshState,
    queue_stats: refreshQueues,
  });
  followBanner();
})();
