// The back office's pages: ticking every appeal of a list at once, and a file
// sent to the appeal's API with its progress shown, refused before sending when
// it is over the limit. Words come from the page (data-text-*), never from here.
"use strict";

(() => {
  // "Tick every appeal on this page" follows and leads the rows' boxes.
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.id === "pick-all") {
      for (const row of document.querySelectorAll('#appeals input[name="appeal"]')) {
        row.checked = box.checked;
      }
    }
  });

  function refreshParts(form) {
    for (const part of ["#attachments", "#history"]) {
      htmx.ajax("GET", form.dataset.refresh, { target: part, select: part, swap: "outerHTML" });
    }
  }

  // A problem beside the file chosen; good news in the page's message area (the
  // files' part is redrawn).
  function said(form, key, ok) {
    const words = form.dataset["text" + key] || "";
    form.querySelector("#upload-problem").textContent = ok ? "" : words;
    if (ok && words) {
      const line = document.createElement("p");
      line.className = "message ok";
      line.textContent = words;
      document.getElementById("flash").replaceChildren(line);
    }
  }

  function upload(form) {
    const input = form.querySelector('input[type="file"]');
    const file = input.files[0];
    if (!file) return said(form, "Empty", false);
    if (file.size > Number(form.dataset.limit)) return said(form, "TooLarge", false);
    const progress = form.querySelector("progress");
    const button = form.querySelector("button");
    const body = new FormData();
    body.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.url);
    request.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    const finish = () => {
      progress.hidden = true;
      button.disabled = false;
    };
    request.addEventListener("load", () => {
      finish();
      if (request.status === 201) {
        said(form, "Done", true);
        refreshParts(form);
      } else {
        let refusal = null;
        try {
          refusal = JSON.parse(request.responseText).error_id;
        } catch (_) {
          refusal = null;
        }
        said(form, refusal === "attachment_too_large" ? "TooLarge" : "Refused", false);
      }
    });
    request.addEventListener("error", () => {
      finish();
      said(form, "Failed", false);
    });
    progress.value = 0;
    progress.hidden = false;
    button.disabled = true;
    said(form, "", true);
    request.send(body);
  }

  document.addEventListener("submit", (event) => {
    if (event.target.id !== "upload") return;
    event.preventDefault();
    upload(event.target);
  });
})();
