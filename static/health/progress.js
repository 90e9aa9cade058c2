// Live progress of a case-list import: polls the API (session cookie) until the import is done, rejected or failed.
(function () {
  var box = document.getElementById("progress");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var states = JSON.parse(document.getElementById("state-labels").textContent);
  function show(data) {
    ["rows_read", "matched", "recoloured"].forEach(function (key) {
      document.querySelector('[data-testid="' + key + '"]').textContent = data[key];
    });
    document.querySelector('[data-testid="state"]').textContent = states[data.state] || data.state;
    box.setAttribute("data-state", data.state);
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        show(data);
        if (data.state === "queued" || data.state === "running") setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.getAttribute("data-state") === "queued" || box.getAttribute("data-state") === "running") poll();
})();
