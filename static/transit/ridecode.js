/* The ride code in the browser: Base45, a small CBOR codec, COSE_Sign1 with WebCrypto, and the reader's rules.
 *
 * The same format and the same checks, in the same order, as apps/transit/ride_code.py and apps/transit/reader.py
 * (tests/transit/test_reader_page.py runs both on the same codes). Exposes window.RideCode.
 */
(function (global) {
  "use strict";

  var PREFIX = "TR1:";
  var CERT_TYPE = "transit.cert";
  var CONCESSIONS = ["none", "student", "senior", "disabled"];
  var HEALTH_COLOURS = ["green", "yellow", "red"];
  var CLOCK_SKEW = 5;
  var MAX_CODE_LIFETIME = 60;
  var ALGS = { "-7": "ES256", "-8": "EdDSA" };
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  // -- Base45 (RFC 9285) and base64url --------------------------------------------------------------------

  function b45encode(bytes) {
    var out = "";
    for (var i = 0; i + 1 < bytes.length; i += 2) {
      var x = bytes[i] * 256 + bytes[i + 1];
      out += B45[x % 45] + B45[Math.floor(x / 45) % 45] + B45[Math.floor(x / 2025)];
    }
    if (bytes.length % 2) {
      var y = bytes[bytes.length - 1];
      out += B45[y % 45] + B45[Math.floor(y / 45)];
    }
    return out;
  }

  function b45decode(text) {
    var out = [];
    for (var i = 0; i < text.length; i += 3) {
      var chunk = text.substr(i, 3);
      var values = [];
      for (var j = 0; j < chunk.length; j++) {
        var v = B45.indexOf(chunk[j]);
        if (v < 0) { throw new Error("base45"); }
        values.push(v);
      }
      if (values.length === 3) {
        var n = values[0] + values[1] * 45 + values[2] * 2025;
        if (n > 65535) { throw new Error("base45"); }
        out.push(n >> 8, n & 255);
      } else if (values.length === 2) {
        var m = values[0] + values[1] * 45;
        if (m > 255) { throw new Error("base45"); }
        out.push(m);
      } else {
        throw new Error("base45");
      }
    }
    return new Uint8Array(out);
  }

  function b64u(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function b64uDecode(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out;
  }

  // -- CBOR: what COSE needs (RFC 8949) ---------------------------------------------------------------------

  function Tag(tag, value) { this.tag = tag; this.value = value; }

  function head(major, n) {
    if (n < 24) { return [major << 5 | n]; }
    if (n < 256) { return [major << 5 | 24, n]; }
    if (n < 65536) { return [major << 5 | 25, n >> 8, n & 255]; }
    if (n < 4294967296) { return [major << 5 | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]; }
    var hi = Math.floor(n / 4294967296), lo = n >>> 0;
    return [major << 5 | 27, (hi >>> 24) & 255, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255,
      (lo >>> 24) & 255, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
  }

  function encodeInto(value, out) {
    if (value instanceof Uint8Array) {
      out.push.apply(out, head(2, value.length));
      for (var i = 0; i < value.length; i++) { out.push(value[i]); }
    } else if (typeof value === "number") {
      if (value >= 0) { out.push.apply(out, head(0, value)); } else { out.push.apply(out, head(1, -1 - value)); }
    } else if (typeof value === "string") {
      var utf8 = new TextEncoder().encode(value);
      out.push.apply(out, head(3, utf8.length));
      for (var k = 0; k < utf8.length; k++) { out.push(utf8[k]); }
    } else if (Array.isArray(value)) {
      out.push.apply(out, head(4, value.length));
      value.forEach(function (item) { encodeInto(item, out); });
    } else if (value instanceof Tag) {
      out.push.apply(out, head(6, value.tag));
      encodeInto(value.value, out);
    } else if (value instanceof Map) {
      out.push.apply(out, head(5, value.size));
      value.forEach(function (item, key) { encodeInto(key, out); encodeInto(item, out); });
    } else {
      throw new Error("cbor: cannot encode " + typeof value);
    }
    return out;
  }

  function encode(value) { return new Uint8Array(encodeInto(value, [])); }

  function decode(bytes) {
    var pos = 0;
    function need(n) { if (pos + n > bytes.length) { throw new Error("cbor: truncated"); } }
    function arg(info) {
      if (info < 24) { return info; }
      var size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) { throw new Error("cbor: unsupported length"); }
      need(size);
      var n = 0;
      for (var i = 0; i < size; i++) { n = n * 256 + bytes[pos++]; }
      return n;
    }
    function item() {
      need(1);
      var first = bytes[pos++], major = first >> 5, info = first & 31;
      if (major === 7) {
        if (info === 20) { return false; }
        if (info === 21) { return true; }
        if (info === 22) { return null; }
        throw new Error("cbor: unsupported simple value");
      }
      var n = arg(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: need(n); pos += n; return bytes.slice(pos - n, pos);
        case 3: need(n); pos += n; return new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(pos - n, pos));
        case 4: { var list = []; for (var i = 0; i < n; i++) { list.push(item()); } return list; }
        case 5: {
          var map = new Map();
          for (var j = 0; j < n; j++) { var key = item(); map.set(key, item()); }
          return map;
        }
        default: return new Tag(n, item());
      }
    }
    var value = item();
    if (pos !== bytes.length) { throw new Error("cbor: trailing bytes"); }
    return value;
  }

  // -- COSE_Sign1 ------------------------------------------------------------------------------------------

  function sigStructure(protectedBytes, payload) {
    return encode(["Signature1", protectedBytes, new Uint8Array(0), payload]);
  }

  function sign1Members(value) {
    if (!(value instanceof Tag) || value.tag !== 18 || !Array.isArray(value.value) || value.value.length !== 4) {
      throw refusal("bad_encoding");
    }
    var m = value.value;
    if (!(m[0] instanceof Uint8Array) || !(m[1] instanceof Map) || !(m[2] instanceof Uint8Array) ||
        !(m[3] instanceof Uint8Array)) {
      throw refusal("bad_encoding");
    }
    return m;
  }

  function header(protectedBytes) {
    var h;
    try { h = decode(protectedBytes); } catch (e) { throw refusal("bad_encoding"); }
    if (!(h instanceof Map)) { throw refusal("bad_encoding"); }
    var kid = h.get(4);
    return { alg: ALGS[String(h.get(1))] || null, kid: kid instanceof Uint8Array ? new TextDecoder().decode(kid) : null };
  }

  function importJwk(jwk, alg) {
    if (alg === "ES256") {
      return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    }
    return crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x, ext: true }, { name: "Ed25519" },
      false, ["verify"]);
  }

  function verifySignature(key, alg, signature, data) {
    var params = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
    return crypto.subtle.verify(params, key, signature, data).catch(function () { return false; });
  }

  // -- the reader ----------------------------------------------------------------------------------------

  function Refused(reason) { this.reason = reason; }
  function refusal(reason) { return new Refused(reason); }

  /** A reader package (GET /api/v1/transit/reader-package) ready to verify with: keys imported once. */
  function Package(document, state) {
    this.operator = document.operator;
    this.fareFen = document.fare_fen || 0;
    this.reader = document.reader;
    this.issuedAt = document.issued_at;
    this.validFor = document.valid_for_seconds;
    this.denyVersion = 0;
    this.denied = new Set((state && state.denied) || []);
    if (state) { this.denyVersion = state.version; }
    this.keyEntries = document.issuer_keys;
    this.keys = {};
    this.applyDeltas(document.deny_list.deltas, document.deny_list.version);
  }

  Package.prototype.applyDeltas = function (deltas, version) {
    var self = this;
    deltas.slice().sort(function (a, b) { return a.version - b.version; }).forEach(function (delta) {
      if (delta.version <= self.denyVersion) { return; }
      if (delta.action === "add") { self.denied.add(delta.pseudonym); } else { self.denied.delete(delta.pseudonym); }
    });
    this.denyVersion = Math.max(this.denyVersion, version);
  };

  Package.prototype.state = function () {
    return { version: this.denyVersion, denied: Array.from(this.denied) };
  };

  Package.prototype.issuerKey = function (hdr, issuer, at) {
    if (!hdr.alg || hdr.kid === null) { return Promise.reject(refusal("bad_encoding")); }
    var entry = this.keyEntries.filter(function (e) {
      return e.kid === hdr.kid && e.alg === hdr.alg && e.iss === issuer && e.nbf <= at && at <= e.exp;
    })[0];
    if (!entry) { return Promise.reject(refusal("unknown_kid")); }
    var cacheKey = entry.kid + "/" + entry.alg;
    if (!this.keys[cacheKey]) { this.keys[cacheKey] = importJwk(entry.jwk, entry.alg); }
    return this.keys[cacheKey].then(function (key) { return { key: key, alg: entry.alg }; });
  };

  /** Verify a scanned code; resolves to the facts a reader records, rejects with {reason}. No replay check. */
  function verify(text, pkg, now) {
    now = Math.floor(now === undefined ? Date.now() / 1000 : now);
    return Promise.resolve().then(function () {
      if (typeof text !== "string" || text.indexOf(PREFIX) !== 0) { throw refusal("bad_prefix"); }
      var outer, payload, certificate, claims;
      try { outer = decode(b45decode(text.slice(4))); } catch (e) { throw refusal("bad_encoding"); }
      var code = sign1Members(outer);
      try { payload = decode(code[2]); } catch (e) { throw refusal("bad_encoding"); }
      if (!Array.isArray(payload) || payload.length !== 3 || !(payload[0] instanceof Uint8Array)) {
        throw refusal("bad_encoding");
      }
      var generatedAt = payload[1], counter = payload[2];
      try { certificate = sign1Members(decode(payload[0])); } catch (e) {
        throw e instanceof Refused ? e : refusal("bad_encoding");
      }
      if (!Number.isInteger(generatedAt) || !Number.isInteger(counter) || counter < 0) {
        throw refusal("bad_encoding");
      }
      try { claims = decode(certificate[2]); } catch (e) { throw refusal("bad_encoding"); }
      if (!(claims instanceof Map)) { throw refusal("bad_encoding"); }
      var issuer = claims.get(1), issuedAt = claims.get(6), expiresAt = claims.get(4);
      if (!Number.isInteger(issuedAt) || !Number.isInteger(expiresAt)) { throw refusal("bad_encoding"); }
      return pkg.issuerKey(header(certificate[0]), issuer, issuedAt).then(function (issuerKey) {
        return verifySignature(issuerKey.key, issuerKey.alg, certificate[3], sigStructure(certificate[0], certificate[2]));
      }).then(function (valid) {
        if (!valid) { throw refusal("bad_certificate_signature"); }
        if (claims.get(-1) !== CERT_TYPE) { throw refusal("wrong_type"); }
        if (now >= expiresAt) { throw refusal("certificate_expired"); }
        if (issuedAt > now + CLOCK_SKEW) { throw refusal("not_yet_valid"); }
        if (claims.get(-10) !== pkg.operator) { throw refusal("wrong_operator"); }
        var pseudonym = claims.get(-11), limit = claims.get(-12), concession = claims.get(-13);
        var lifetime = claims.get(-15);
        if (!(pseudonym instanceof Uint8Array) || !Number.isInteger(limit) || !Number.isInteger(lifetime) ||
            [0, 1, 2, 3].indexOf(concession) < 0) {
          throw refusal("bad_encoding");
        }
        var cnf = claims.get(8);
        var checked;
        if (cnf !== undefined) {
          var key = cnf instanceof Map ? cnf.get(1) : null;
          if (!(key instanceof Map) || key.get(1) !== 2 || key.get(-1) !== 1 || !(key.get(-2) instanceof Uint8Array) ||
              !(key.get(-3) instanceof Uint8Array) || key.get(-2).length !== 32 || key.get(-3).length !== 32) {
            throw refusal("bad_encoding");
          }
          if (header(code[0]).alg !== "ES256") { throw refusal("bad_code_signature"); }
          checked = importJwk({ x: b64u(key.get(-2)), y: b64u(key.get(-3)) }, "ES256").catch(function () {
            throw refusal("bad_encoding");
          }).then(function (deviceKey) {
            return verifySignature(deviceKey, "ES256", code[3], sigStructure(code[0], code[2]));
          });
        } else {
          checked = Promise.resolve().then(function () {
            return pkg.issuerKey(header(code[0]), issuer, generatedAt);
          }).catch(function () {
            throw refusal("bad_code_signature");
          }).then(function (serverKey) {
            return verifySignature(serverKey.key, serverKey.alg, code[3], sigStructure(code[0], code[2]));
          });
        }
        return checked.then(function (valid) {
          if (!valid) { throw refusal("bad_code_signature"); }
          if (generatedAt > now + CLOCK_SKEW) { throw refusal("not_yet_valid"); }
          if (now > generatedAt + Math.min(lifetime, MAX_CODE_LIFETIME) || generatedAt >= expiresAt) {
            throw refusal("code_expired");
          }
          var name = b64u(pseudonym);
          if (pkg.denied.has(name)) { throw refusal("deny_listed"); }
          if (pkg.fareFen > limit) { throw refusal("over_fare_limit"); }
          var health = claims.get(-14);
          return {
            pseudonym: name, operator: pkg.operator, generatedAt: generatedAt, counter: counter,
            fareLimitFen: limit, concession: CONCESSIONS[concession], deviceBound: cnf !== undefined,
            healthColour: HEALTH_COLOURS.indexOf(health) >= 0 ? health : null
          };
        });
      });
    }).catch(function (error) {
      throw error instanceof Refused ? error : refusal("bad_encoding");
    });
  }

  /** Codes accepted recently (the station's gates share it): key → until. */
  function SeenList(entries) { this.seen = new Map(entries || []); }

  SeenList.prototype.checkAndAdd = function (verified, now) {
    var self = this;
    this.seen.forEach(function (until, key) { if (until < now) { self.seen.delete(key); } });
    var key = verified.pseudonym + "/" + verified.generatedAt + "/" + verified.counter;
    if (this.seen.has(key)) { return false; }
    this.seen.set(key, verified.generatedAt + MAX_CODE_LIFETIME + CLOCK_SKEW);
    return true;
  };

  SeenList.prototype.entries = function () { return Array.from(this.seen.entries()); };

  // -- the phone side: a code signed with the device's WebCrypto key ---------------------------------------

  var DEVICE_HEADER = encode(new Map([[1, -7]]));

  /** Sign a fresh ride code: [certificate, generatedAt, counter], ES256 with the (non-extractable) key. */
  function signCode(certificateBytes, privateKey, generatedAt, counter) {
    var payload = encode([certificateBytes, generatedAt, counter]);
    return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, sigStructure(DEVICE_HEADER, payload))
      .then(function (signature) {
        var cose = encode(new Tag(18, [DEVICE_HEADER, new Map(), payload, new Uint8Array(signature)]));
        return PREFIX + b45encode(cose);
      });
  }

  // -- IndexedDB, one small key-value store per page -------------------------------------------------------

  function Store(name) { this.name = name; this.db = null; }

  Store.prototype.open = function () {
    var self = this;
    if (this.db) { return Promise.resolve(this.db); }
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(self.name, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore("kv"); };
      request.onsuccess = function () { self.db = request.result; resolve(self.db); };
      request.onerror = function () { reject(request.error); };
    });
  };

  Store.prototype.get = function (key) {
    return this.open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var request = db.transaction("kv").objectStore("kv").get(key);
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    });
  };

  Store.prototype.set = function (key, value) {
    return this.open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("kv", "readwrite");
        tx.objectStore("kv").put(value, key);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  };

  function drawQr(canvas, text) {
    var qr = global.qrcode(0, "M");
    qr.addData(text, "Alphanumeric");
    qr.make();
    var quiet = 4, count = qr.getModuleCount(), cells = count + 2 * quiet;
    var scale = Math.max(3, Math.floor(600 / cells));
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

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  global.RideCode = {
    PREFIX: PREFIX, b45encode: b45encode, b45decode: b45decode, b64u: b64u, b64uDecode: b64uDecode,
    encode: encode, decode: decode, Tag: Tag, verify: verify, Package: Package, SeenList: SeenList,
    signCode: signCode, Store: Store, drawQr: drawQr, csrfToken: csrfToken
  };
})(window);
