/* A staff phone as a reader: the reader package is downloaded once (Authorization: Reader <device>:<secret>),
 * codes are read from the camera (or a photo) with jsQR and verified here with WebCrypto by the same rules as
 * apps/transit/reader.py, and taps are kept in IndexedDB and uploaded in batches when online. A batch keeps its
 * id until the server acknowledges it, so a batch re-sent after a lost answer adds nothing.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-reader]");
  if (!root || !window.RideCode || typeof window.jsQR !== "function") { return; }
  var R = window.RideCode;
  var texts = JSON.parse(document.getElementById("reader-i18n").textContent);
  var $ = function (id) { return root.querySelector("[data-testid=" + id + "]"); };
  var store = new R.Store("citycode-reader");
  var state = null;       // {deviceId, secret, document, deny, seen, taps, batch, uploaded}
  var pkg = null;
  var seen = null;
  var video = $("reader-video");
  var frame = document.createElement("canvas");
  var lastText = "", lastAt = 0;
  var UPLOAD_EVERY_MS = 30000;
  var MAX_BATCH = 500;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  }

  function save() {
    state.deny = pkg ? pkg.state() : state.deny;
    state.seen = seen ? seen.entries() : [];
    return store.set("state", state);
  }

  function showPackage() {
    if (!pkg) { $("reader-package").textContent = texts.noPackage; return; }
    $("reader-package").textContent = fill(texts["package"], {
      operator: pkg.operator, version: pkg.denyVersion, denied: pkg.denied.size
    });
    root.dataset.operator = pkg.operator;
    root.dataset.denyVersion = String(pkg.denyVersion);
    var kind = state.document.reader && state.document.reader.kind;
    if (kind === "gate" && $("reader-direction").value === "board") { $("reader-direction").value = "in"; }
  }

  function showTaps() {
    var pending = state.taps.length + (state.batch ? state.batch.taps.length : 0);
    $("reader-taps").textContent = fill(texts.taps, { pending: pending, uploaded: state.uploaded || 0 });
    root.dataset.pending = String(pending);
    root.dataset.uploaded = String(state.uploaded || 0);
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "omit", cache: "no-store",
      headers: { "Authorization": "Reader " + state.deviceId + ":" + state.secret, "Accept": "application/json",
                 "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function sync() {
    var since = pkg ? pkg.denyVersion : 0;
    return api("GET", root.dataset.packageUrl + "?since=" + since).then(function (document) {
      if (pkg && pkg.operator === document.operator) {
        var fresh = new R.Package(document, pkg.state());
        state.document = document;
        pkg = fresh;
      } else {
        state.document = document;
        pkg = new R.Package(document, null);
        seen = new R.SeenList([]);
      }
      return save();
    }).then(showPackage);
  }

  function verdict(ok, text, reason) {
    var node = $("verdict");
    node.hidden = false;
    node.className = "verdict " + (ok ? "accept" : "refuse");
    node.textContent = text;
    node.dataset.outcome = ok ? "accept" : "refuse";
    node.dataset.reason = reason || "";
    root.dataset.scans = String(Number(root.dataset.scans || 0) + 1);
    var item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + " " + text;
    $("reader-log").insertBefore(item, $("reader-log").firstChild);
  }

  function handle(text) {
    if (!pkg) { verdict(false, texts.noPackage, "no_package"); return Promise.resolve(); }
    var now = Math.floor(Date.now() / 1000);
    return R.verify(text, pkg, now).then(function (verified) {
      if (!seen.checkAndAdd(verified, now)) { throw { reason: "replayed" }; }
      state.taps.push({
        uid: (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, ""),
        at: new Date(now * 1000).toISOString(), pseudonym: verified.pseudonym,
        direction: $("reader-direction").value
      });
      var extra = [texts.concession[verified.concession] || ""];
      if (verified.healthColour) { extra.push(fill(texts.health, { s: verified.healthColour })); }
      verdict(true, "✓ " + texts.accept + " " + extra.join(" ").trim(), "");
      if (verified.healthColour) { $("verdict").dataset.health = verified.healthColour; }
      return save();
    }).catch(function (error) {
      var reason = error && error.reason ? error.reason : "bad_encoding";
      verdict(false, "✗ " + texts.refuse + ": " + (texts.reasons[reason] || reason), reason);
      return save();
    }).then(showTaps);
  }

  function upload() {
    if (!state || !navigator.onLine) { return Promise.resolve(); }
    if (!state.batch) {
      if (!state.taps.length) { return Promise.resolve(); }
      state.batch = { batch_id: (crypto.randomUUID ? crypto.randomUUID() : String(Date.now())).replace(/-/g, ""),
                      taps: state.taps.slice(0, MAX_BATCH) };
      state.taps = state.taps.slice(state.batch.taps.length);
    }
    var batch = state.batch;
    return save().then(function () {
      return api("POST", root.dataset.tapsUrl, batch);
    }).then(function () {
      state.uploaded = (state.uploaded || 0) + batch.taps.length;
      state.batch = null;
      return save();
    }).then(showTaps).then(function () {
      if (state.taps.length) { return upload(); }
    }).catch(function () { showTaps(); });  // offline or refused: the batch stays, with its id
  }

  function decode(source, width, height) {
    frame.width = width;
    frame.height = height;
    var ctx = frame.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, width, height);
    var found = window.jsQR(ctx.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
    return found ? found.data : null;
  }

  function scanLoop() {
    if (video.readyState >= 2 && video.videoWidth) {
      var text = decode(video, video.videoWidth, video.videoHeight);
      var now = Date.now();
      // The same code in front of the camera for a while is one scan, not a replay every frame.
      if (text && (text !== lastText || now - lastAt > 3000)) {
        lastText = text;
        lastAt = now;
        handle(text);
      }
    }
    requestAnimationFrame(scanLoop);
  }

  $("reader-camera").addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      return video.play();
    }).then(function () { root.dataset.camera = "on"; requestAnimationFrame(scanLoop); })
      .catch(function (error) { verdict(false, String(error), "camera"); });
  });

  $("reader-photo").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    createImageBitmap(file).then(function (bitmap) {
      var text = decode(bitmap, bitmap.width, bitmap.height);
      if (!text) { verdict(false, texts.noCode, "no_code"); return; }
      return handle(text);
    }).finally(function () { event.target.value = ""; });
  });

  $("reader-setup").addEventListener("submit", function (event) {
    event.preventDefault();
    var deviceId = $("reader-device").value.trim();
    if (!state || state.deviceId !== deviceId) {
      state = { deviceId: deviceId, taps: [], batch: null, uploaded: 0 };
      pkg = null;
      seen = new R.SeenList([]);
    }
    state.secret = $("reader-secret").value;
    sync().catch(function () { $("reader-package").textContent = texts.syncFailed; root.dataset.syncFailed = "1"; });
  });

  $("reader-upload").addEventListener("click", function () { upload(); });
  window.addEventListener("online", function () { upload(); });
  setInterval(upload, UPLOAD_EVERY_MS);

  store.get("state").then(function (saved) {
    if (saved) {
      state = saved;
      $("reader-device").value = saved.deviceId;
      if (saved.document) {
        pkg = new R.Package(saved.document, saved.deny);
        seen = new R.SeenList(saved.seen);
      }
      showTaps();
    }
    showPackage();
    root.dataset.ready = "1";
  }).catch(function () { root.dataset.ready = "1"; });

  if ("serviceWorker" in navigator && root.dataset.swUrl) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/transit/" }).catch(function () {});
  }
})();
