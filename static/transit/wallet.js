/* The wallet's ride code: a non-extractable P-256 key made with WebCrypto and kept in IndexedDB, a rider
 * certificate for its public key, and a fresh code signed on this phone every REFRESH_S seconds — with no network.
 *
 * A certificate lives hours; online, a new one (with a NEW key, so certificates share nothing) replaces it after
 * ROTATE_AFTER_S, or when less than RENEW_BEFORE_S is left; offline the current one serves until it expires. A phone that cannot make or keep a key gets short
 * server-signed codes instead. A service worker keeps the page and its scripts for offline reloads.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-ride-code]");
  if (!root || !window.RideCode) { return; }
  var R = window.RideCode;
  var texts = JSON.parse(document.getElementById("ride-i18n").textContent);
  var canvas = root.querySelector("[data-testid=ride-qr]");
  var status = root.querySelector("[data-testid=ride-status]");
  var blocked = root.querySelector("[data-testid=ride-blocked]");
  var select = root.querySelector("[data-testid=ride-operator]");
  var store = new R.Store("citycode-ride");
  var REFRESH_S = 20;          // under the certificate's code lifetime (30 s): a code is never shown stale
  var RENEW_BEFORE_S = 1800;
  // Online, a certificate older than this is replaced (new key, new pseudonym) at the next refresh: the codes of
  // two rides more than ten minutes apart then share nothing. Offline, the old one serves until it expires.
  var ROTATE_AFTER_S = 600;
  var RETRY_MS = 5000;
  var timer = null;
  var mode = "device";

  function say(text, seconds) { status.textContent = text.replace("%(s)s", String(seconds)); }

  function block(text) {
    blocked.textContent = text;
    blocked.hidden = false;
    root.dataset.state = "blocked";
    var ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    delete root.dataset.code;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": R.csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      var date = response.headers.get("Date");
      var skew = date ? Math.round((new Date(date).getTime() - Date.now()) / 1000) : 0;
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error("HTTP " + response.status);
          error.code = data && data.error && data.error.code;
          throw error;
        }
        data.skew = skew;
        return data;
      });
    });
  }

  function operator() { return select.value; }
  function recordKey() { return "certificate:" + operator(); }
  function now(record) { return Math.floor(Date.now() / 1000) + ((record && record.skew) || 0); }

  function refused(error) {
    if (error.code === "account_in_arrears") { block(texts.arrears); return true; }
    if (error.code === "account_closed" || error.code === "no_ride_account") { block(texts.closed); return true; }
    return false;
  }

  /** A new key pair and a certificate for it. The private key is created non-extractable: it can sign, and
   * it can be stored (IndexedDB clones CryptoKey objects), but never read out of this browser. */
  function renew() {
    var keys;
    return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"])
      .then(function (pair) { keys = pair; return crypto.subtle.exportKey("jwk", pair.publicKey); })
      .then(function (jwk) {
        return post(root.dataset.certificatesUrl, {
          operator: operator(), device_key: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }
        });
      })
      .then(function (data) {
        var record = {
          operator: operator(), certificate: R.b64uDecode(data.certificate), privateKey: keys.privateKey,
          expiresAt: Math.floor(new Date(data.expires_at).getTime() / 1000) + data.skew,
          lifetime: data.code_lifetime, counter: 0, skew: data.skew, health: data.health_colour,
          obtainedAt: Math.floor(Date.now() / 1000) + data.skew
        };
        return store.set(recordKey(), record).then(function () { return record; });
      });
  }

  function current() {
    return store.get(recordKey()).then(function (record) {
      var fresh = record && record.expiresAt - now(record) > RENEW_BEFORE_S &&
        now(record) - (record.obtainedAt || 0) < ROTATE_AFTER_S;
      if (fresh || (record && !navigator.onLine && record.expiresAt > now(record))) { return record; }
      return renew().catch(function (error) {
        if (refused(error)) {
          return store.set(recordKey(), null).then(function () { throw error; });
        }
        if (record && record.expiresAt > now(record)) { return record; }  // offline: the old one still serves
        throw error;
      });
    });
  }

  function showCode(code, health, offline) {
    R.drawQr(canvas, code);
    blocked.hidden = true;
    root.dataset.code = code;
    root.dataset.state = "ready";
    root.dataset.drawn = String(Number(root.dataset.drawn || 0) + 1);
    root.dataset.mode = mode;
    say(offline ? texts.offline : texts.ready, REFRESH_S);
    if (health) { status.textContent += " " + texts.health.replace("%(s)s", health); }
  }

  function tickDevice() {
    return current().then(function (record) {
      if (!record) { block(texts.noCertificate); return; }
      record.counter += 1;
      // The counter is stored before the code is shown: a reload never repeats (time, counter) for this key.
      return store.set(recordKey(), record).then(function () {
        return R.signCode(record.certificate, record.privateKey, now(record), record.counter);
      }).then(function (code) { showCode(code, record.health, !navigator.onLine); });
    });
  }

  function tickServer() {
    return post(root.dataset.serverCodeUrl, { operator: operator() }).then(function (data) {
      showCode(data.code, null, false);
      status.textContent = texts.server;
    });
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  }

  function run() {
    var tick = mode === "device" ? tickDevice : tickServer;
    tick().then(function () {
      if (root.dataset.state !== "blocked") { schedule(REFRESH_S * 1000); }
    }).catch(function (error) {
      if (refused(error)) { return; }
      if (mode === "device" && !error.code && !(error instanceof TypeError && !navigator.onLine)) {
        // No usable WebCrypto key or IndexedDB here (a private window, an old browser): server-signed codes.
        if (error.name === "NotSupportedError" || error.name === "DataCloneError" || error.name === "InvalidStateError") {
          mode = "server";
          return run();
        }
      }
      if (root.dataset.state !== "ready") { say(texts.failed, 0); }
      schedule(RETRY_MS);
    });
  }

  function canHoldKeys() {
    return !!(window.crypto && crypto.subtle && window.indexedDB && window.isSecureContext);
  }

  if (!canHoldKeys()) { mode = "server"; }
  select.addEventListener("change", function () { delete root.dataset.drawn; run(); });
  window.addEventListener("online", function () { schedule(0); });
  if ("serviceWorker" in navigator && root.dataset.swUrl) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/transit/" }).catch(function () {});
  }
  run();
})();
