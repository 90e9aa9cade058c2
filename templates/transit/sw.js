{% load static %}/* The transit pages' service worker: the ride code and reader pages, and their scripts, stay usable offline.
 * Pages: network first, the last copy when offline. Scripts and styles: the cached copy first. The API is
 * never cached (a certificate or a code is a credential; the network answers or nothing does). */
"use strict";
var CACHE = "citycode-transit-v1";
var ASSETS = [
  "{% static 'css/citycode.css' %}", "{% static 'transit/transit.css' %}",
  "{% static 'vendor/qrcode-generator/qrcode.js' %}", "{% static 'vendor/jsqr/jsQR.js' %}",
  "{% static 'transit/ridecode.js' %}", "{% static 'transit/wallet.js' %}", "{% static 'transit/reader.js' %}"
];
var PAGES = ["{% url 'transit-ride-code' %}", "{% url 'transit-reader' %}"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (PAGES.indexOf(url.pathname) >= 0) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
  } else if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(request); }));
  }
});
