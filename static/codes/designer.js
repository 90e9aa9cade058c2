// The code-type designer's live preview: on every change, the server checks the draft (nothing is written) and
// answers with the problems and the code as a wallet and a verifier would show it.
(function () {
  "use strict";
  var form = document.getElementById("designer");
  if (!form) { return; }
  var english = (document.currentScript && document.currentScript.dataset.lang || "").indexOf("en") === 0;
  var label = document.querySelector("[data-testid=preview-label]");
  var rows = document.querySelector("[data-testid=preview-rows]");
  var errors = document.querySelector("[data-testid=preview-errors]");
  var timer = null;

  function text(value) { return value === undefined || value === null ? "—" : String(value); }

  function render(answer) {
    label.textContent = text(english ? answer.card.label_en : answer.card.label_zh);
    rows.replaceChildren();
    (answer.rows || []).forEach(function (row) {
      var term = document.createElement("dt");
      term.textContent = english ? row.label_en : row.label_zh;
      var value = document.createElement("dd");
      value.textContent = text(row.value);
      value.dataset.claim = row.claim;
      rows.append(term, value);
    });
    errors.replaceChildren();
    Object.keys(answer.errors || {}).forEach(function (field) {
      var item = document.createElement("li");
      item.dataset.field = field;
      item.textContent = answer.errors[field];
      errors.append(item);
    });
    form.dataset.previewState = answer.ok ? "ok" : "errors";
  }

  function preview() {
    fetch(form.dataset.preview, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                   headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(render)
      .catch(function () { form.dataset.previewState = "offline"; });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  });
  preview();
})();
