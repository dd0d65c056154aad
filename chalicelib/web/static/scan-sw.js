/* baoming scanner service worker: the scanner page opens with no network once it has been
   opened online. Scope: the scanner pages (…/scan/), allowed by the Service-Worker-Allowed
   header the app sends with this file. Page shells are network-first (the cached copy when
   offline); static files (content-hashed URLs) cache-first. API calls are never cached here:
   gate data lives in IndexedDB, written by the page. */
'use strict';
var CACHE = 'baoming-scan-v1';

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: request.mode === 'navigate' });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request.url.split('#')[0], copy); });
    }
    return response;
  }, function () {
    return fromCache(request).then(function (cached) { return cached || Response.error(); });
  });
}

function cacheFirst(request) {
  return fromCache(request).then(function (cached) {
    if (cached) return cached;
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var scope = new URL(self.registration.scope);
  var root = new URL('../', scope).pathname;
  if (url.pathname.indexOf(root + 'static/') === 0) { event.respondWith(cacheFirst(request)); return; }
  if (request.mode === 'navigate' && url.pathname.indexOf(scope.pathname) === 0) {
    event.respondWith(networkFirst(request));
  }
});
