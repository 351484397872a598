// The agent's screen-pop: the caller's card (or candidates, or a new-customer
// form), the IVR's answers and the contact already opened for the call; the
// call controls (controls.js) hear the same live channel.
"use strict";

(() => {
  const { el } = desktop;
  const pop = document.getElementById("screen-pop");
  let currentCall = null;

  function details(pairs) {
    const list = el("dl");
    for (const [label, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      list.append(el("dt", label), el("dd", value));
    }
    return list;
  }

  function card(customer) {
    const box = el("div", null, { class: "card", "data-customer-id": customer.id });
    box.append(el("h3", customer.name, { class: "customer-name" }));
    box.append(details([
      ["Account", customer.account],
      ["Category", customer.category + (customer.is_lead ? " (lead)" : "")],
      ["Balance", customer.balance],
      ["Phones", customer.phones.join(", ")],
      ["E-mail", customer.emails.join(", ")],
      ["Address", customer.address],
      ["Notes", customer.notes],
    ]));
    return box;
  }

  function newCustomerForm(form) {
    const box = el("form", null, { id: "new-customer", class: "card" });
    box.append(el("h3", "New customer"));
    for (const [name, label] of [["phone", "Phone"], ["name", "Name"],
                                 ["account", "Account"], ["notes", "Notes"]]) {
      const field = el("label", label);
      const input = el("input", null, { name });
      input.value = form[name] || "";
      field.append(input);
      box.append(field);
    }
    return box;
  }

  function caller(view) {
    switch (view.kind) {
      case "known":
        return card(view.customer);
      case "candidates": {
        const box = el("div", null, { id: "candidates" });
        box.append(el("h3", "Several customers share this number"));
        for (const candidate of view.candidates) box.append(card(candidate));
        return box;
      }
      default:
        return newCustomerForm(view.form);
    }
  }

  function ivr(view) {
    const box = el("div", null, { id: "ivr" });
    box.append(el("h3", "IVR"));
    box.append(details([
      ["Flow", view.flow],
      ["Outcome", view.outcome.replace(/_/g, " ")],
      ["Language", view.language],
      ["Queue", view.queue],
      ["Menu", view.menu_path.join(" › ")],
    ]));
    const values = Object.entries(view.values)
      .map(([k, v]) => [k.replace(/_/g, " "), typeof v === "object" ? JSON.stringify(v) : v]);
    if (values.length) {
      box.append(el("h4", "Values given"));
      const list = details(values);
      list.id = "ivr-values";
      box.append(list);
    }
    const heard = view.recognised || [];
    if (heard.length) {
      box.append(el("h4", "Recognised"));
      const list = details(heard.map((r) => [
        r.name.replace(/_/g, " "),
        r.value + " (" + (r.channel === "dtmf" ? "keypad" : r.channel || "?") +
          (r.confidence === null ? "" : ", " + Math.round(r.confidence * 100) + " % sure") + ")",
      ]));
      list.id = "ivr-heard";
      box.append(list);
    }
    return box;
  }

  function show(data) {
    currentCall = data.call_id;
    pop.className = "";
    pop.replaceChildren(
      el("h2", "Call from " + (data.ani || "an unknown number"), { id: "pop-title" }),
      details([
        ["Queue", data.queue_id],
        ["Call", data.call_id],
        ["Contact", data.contact_id],
        ["Offered", new Date(data.offered_at).toLocaleTimeString()],
      ]),
      caller(data.caller),
    );
    pop.dataset.callId = data.call_id;
    if (data.contact_id) pop.dataset.contactId = data.contact_id;
    if (data.ivr) pop.append(ivr(data.ivr));
  }

  const queues = new Map();

  function renderQueues() {
    const body = document.querySelector("#my-queues tbody");
    const rows = [...queues.values()].sort((a, b) => a.queue_id.localeCompare(b.queue_id));
    body.replaceChildren(...rows.map((q) => {
      const row = el("tr", null, { "data-queue-id": q.queue_id });
      const s = Math.round(q.longest_wait_s);
      const level = q.service_level === null ? "–" : Math.round(q.service_level * 100) + " %";
      row.append(el("td", q.queue_id), el("td", q.waiting),
                 el("td", Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0")),
                 el("td", level));
      return row;
    }));
  }

  desktop.whoAmI();
  controls.start();
  desktop.connect({
    connect: controls.onLinkUp,
    disconnect: controls.onLinkDown,
    connect_error: controls.onLinkDown,
    queue_stats: (q) => {
      queues.set(q.queue_id, q);
      renderQueues();
      controls.onQueueStats(q);
    },
    screen_pop: (data) => {
      show(data);
      controls.onScreenPop(data);
    },
    offer_withdrawn: (data) => {
      if (data.call_id === currentCall) pop.className = "withdrawn";
    },
    agent_state: controls.onAgentState,
  });
})();
