// The knowledge base's side panel on the agent desk: an article htmx puts in it
// shows the panel over the right of the page (the call stays), and the close
// button or Escape hides it again.
"use strict";

(() => {
  const panel = document.getElementById("kb-panel");
  if (!panel) return;

  const close = () => {
    panel.hidden = true;
  };

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== panel) return;
    panel.hidden = false;
    const title = document.getElementById("kb-panel-title");
    if (title) title.focus();
  });

  panel.addEventListener("click", (event) => {
    if (event.target.closest("#kb-panel-close")) close();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) close();
  });
})();
