/* "My codes": draw every code the citizen holds as a QR code on this device, and rotate it before it expires.
 *
 * The page asks /api/v1/me/codes once (session cookie), draws each token with qrcode-generator (MIT, vendored
 * in static/vendor/), and fetches /api/v1/me/codes/<type> again at the token's refresh_after. Times are taken
 * against the server's clock (the Date header), so a wrong phone clock neither shows an expired code as
 * valid nor rotates too early. Tokens are Base45, so the QR uses alphanumeric mode (denser than bytes).
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-codes-url]");
  if (!root || typeof qrcode !== "function") { return; }
  var texts = JSON.parse(document.getElementById("codes-i18n").textContent);
  var template = document.getElementById("code-card-template");
  var RETRY_MS = 5000;
  var skewMs = 0; // server clock minus this device's clock
  var pageLanguage = (document.documentElement.lang || "zh-hans").toLowerCase().indexOf("en") === 0 ? "en" : "zh-hans";

  function serverNow() { return Date.now() + skewMs; }

  function format(text, seconds) { return text.replace("%(s)s", String(seconds)); }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        var date = response.headers.get("Date");
        if (date) { skewMs = new Date(date).getTime() - Date.now(); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function draw(canvas, token) {
    var qr = qrcode(0, "M");
    qr.addData(token, /^[0-9A-Z $%*+\-./:]*$/.test(token) ? "Alphanumeric" : "Byte");
    qr.make();
    var quiet = 4;
    var count = qr.getModuleCount();
    var cells = count + 2 * quiet;
    var scale = Math.max(2, Math.floor(480 / cells));
    canvas.width = cells * scale;
    canvas.height = cells * scale;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000";
    for (var row = 0; row < count; row++) {
      for (var col = 0; col < count; col++) {
        if (qr.isDark(row, col)) { ctx.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale); }
      }
    }
  }

  function Card(code) {
    this.node = template.content.firstElementChild.cloneNode(true);
    this.node.dataset.codeType = code.type;
    this.canvas = this.node.querySelector("canvas");
    this.countdown = this.node.querySelector("[data-testid=code-countdown]");
    this.stale = this.node.querySelector("[data-testid=code-stale]");
    // The page's language, not the browser's Accept-Language (which the API would follow).
    var label = (code.labels && code.labels[pageLanguage]) || code.label;
    this.node.querySelector("[data-testid=code-label]").textContent = label;
    this.canvas.setAttribute("aria-label", label + " " + texts.qrAlt);
    this.url = root.dataset.codesUrl + "/" + encodeURIComponent(code.type);
    this.show(code);
  }

  Card.prototype.show = function (code) {
    this.code = code;
    this.expiresAt = new Date(code.expires_at).getTime();
    this.refreshAt = new Date(code.refresh_after).getTime();
    this.retryAt = 0;
    draw(this.canvas, code.token);
    this.node.dataset.expiresAt = code.expires_at;
    this.node.dataset.drawn = String(Number(this.node.dataset.drawn || 0) + 1);
    this.stale.hidden = true;
    this.tick();
  };

  Card.prototype.tick = function () {
    var now = serverNow();
    var left = Math.max(0, Math.ceil((this.expiresAt - now) / 1000));
    this.stale.hidden = left > 0;
    this.countdown.textContent = format(texts.expiresIn, left) + " · " +
      format(texts.refreshIn, Math.max(0, Math.ceil((this.refreshAt - now) / 1000)));
    if (now >= this.refreshAt && now >= this.retryAt && !this.loading) { this.refresh(); }
  };

  Card.prototype.refresh = function () {
    var card = this;
    card.loading = true;
    fetchJson(card.url)
      .then(function (code) { card.show(code); })
      .catch(function () { card.retryAt = serverNow() + RETRY_MS; })
      .then(function () { card.loading = false; });
  };

  function start(cards) {
    window.setInterval(function () { cards.forEach(function (card) { card.tick(); }); }, 1000);
  }

  function load() {
    fetchJson(root.dataset.codesUrl).then(function (body) {
      root.textContent = "";
      if (!body.codes.length) {
        var empty = document.createElement("p");
        empty.className = "empty";
        empty.dataset.testid = "codes-none";
        empty.textContent = texts.none;
        root.appendChild(empty);
        return;
      }
      var cards = body.codes.map(function (code) { return new Card(code); });
      cards.forEach(function (card) { root.appendChild(card.node); });
      root.dataset.ready = "true";
      start(cards);
    }).catch(function () {
      root.querySelector("[data-testid=codes-loading]").textContent = texts.failed;
      window.setTimeout(load, RETRY_MS);
    });
  }

  load();
})();
