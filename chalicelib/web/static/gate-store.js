/* baoming gate data for offline scanning: IndexedDB (gate data, the queue of offline scans, the
   scans sent), the ticket format and the offline verdict rules (SPEC §5). No DOM here. */
(function () {
  'use strict';
  var DB_NAME = 'baoming-gate', DB_VERSION = 1;
  var dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error('no indexedDB')); return; }
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains('data')) db.createObjectStore('data', { keyPath: 'event_id' });
        if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { keyPath: 'key' });
        if (!db.objectStoreNames.contains('sent')) db.createObjectStore('sent', { keyPath: 'key' });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return dbPromise;
  }
  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode), store = tx.objectStore(storeName), result;
        var request = work(store);
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function get(storeName, key) { return run(storeName, 'readonly', function (s) { return s.get(key); }); }
  function put(storeName, value) { return run(storeName, 'readwrite', function (s) { return s.put(value); }); }
  function del(storeName, key) { return run(storeName, 'readwrite', function (s) { return s['delete'](key); }); }
  function all(storeName, eventId) {
    return run(storeName, 'readonly', function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (item) { return item.event_id === eventId; })
        .sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  // --- tickets: {EVENT-ID}.{key id}{registration id (16, Crockford)}{MAC (32, base32)} ---
  var TICKET = /^([A-Z0-9][A-Z0-9-]{2,63})\.([A-Z2-7])([0-9A-HJKMNP-TV-Z]{16})([A-Z2-7]{32})$/;
  function tokenOf(code) {
    var text = String(code || '').trim();
    var marker = text.lastIndexOf('/t/');
    if (marker >= 0) text = text.slice(marker + 3);
    text = text.split(/[?#]/)[0];
    return text.toUpperCase();
  }
  function parseTicket(code) {
    var token = tokenOf(code), m = TICKET.exec(token);
    return m ? { token: token, eventId: m[1].toLowerCase(), keyId: m[2], registrationId: m[3] } : null;
  }
  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = '';
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return out;
  }
  function sha256(text) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle) return Promise.resolve(null);
    return subtle.digest('SHA-256', new TextEncoder().encode(text)).then(hex);
  }

  function listOf(data, listId) {
    var lists = (data && data.event && data.event.checkin_lists) || [];
    for (var i = 0; i < lists.length; i++) if (lists[i].list_id === listId) return lists[i];
    return listId === 'main' ? { list_id: 'main', name: '入场', roles: null } : null;
  }
  function headsIn(entry, listId) {
    var state = entry && entry.lists && entry.lists[listId];
    return state ? state.checked_in_heads || 0 : 0;
  }

  /* The offline verdict for a scanned code (or a registration picked from a search) on a list:
     {result, entry?, remaining?}. result: ok | already_checked_in | cancelled | waitlisted |
     not_allowed | invalid | wrong_event | unknown (a well-formed ticket of this event the data
     doesn't hold: 未同步的票，请人工核验). A ticket naming a registration the data holds but
     whose hash differs is invalid (forged: its MAC can't be checked offline). */
  function decide(data, eventId, input, listId) {
    var entries = (data && data.entries) || {};
    function onEntry(entry) {
      if (entry.status === 'cancelled') return { result: 'cancelled', entry: entry };
      if (entry.status === 'waitlisted') return { result: 'waitlisted', entry: entry };
      var list = listOf(data, listId);
      if (list && list.roles && list.roles.indexOf(entry.role) < 0) return { result: 'not_allowed', entry: entry };
      var remaining = (entry.party_size || 1) - headsIn(entry, listId);
      if (remaining <= 0) return { result: 'already_checked_in', entry: entry };
      return { result: 'ok', entry: entry, remaining: remaining };
    }
    if (input.registrationId && !input.code) {
      var picked = entries[input.registrationId];
      return Promise.resolve(picked ? onEntry(picked) : { result: 'unknown' });
    }
    var ticket = parseTicket(input.code);
    if (!ticket) return Promise.resolve({ result: 'invalid' });
    if (ticket.eventId !== eventId) return Promise.resolve({ result: 'wrong_event' });
    var entry = entries[ticket.registrationId];
    if (!entry) return Promise.resolve({ result: 'unknown' });
    return sha256(ticket.token).then(function (digest) {
      if (digest === null) return { result: 'unknown' };
      if (digest !== entry.ticket_hash) {
        // Signed with another key than the hashes (a key rotation): can't tell offline.
        var keyId = data.ticket_key_id;
        return { result: keyId && ticket.keyId !== keyId ? 'unknown' : 'invalid' };
      }
      return onEntry(entry);
    });
  }

  /* Heads this device let in offline, applied to its copy so a second scan is `already`. */
  function applyLocal(entry, listId, heads, at) {
    entry.lists = entry.lists || {};
    var state = entry.lists[listId] || { checked_in_heads: 0, checked_in_at: null };
    state.checked_in_heads = (state.checked_in_heads || 0) + heads;
    if (!state.checked_in_at) state.checked_in_at = at;
    entry.lists[listId] = state;
  }

  function merge(data, reply) {
    var next = data || { entries: {} };
    next.event = reply.event;
    next.entries = next.entries || {};
    (reply.entries || []).forEach(function (entry) { next.entries[entry.registration_id] = entry; });
    next.next_since = reply.next_since;
    next.ticket_key_id = reply.ticket_key_id;
    return next;
  }

  window.BaomingGate = {
    getData: function (eventId) { return get('data', eventId); },
    putData: function (record) { return put('data', record); },
    dropData: function (eventId) { return del('data', eventId); },
    queued: function (eventId) { return all('queue', eventId); },
    enqueue: function (item) { return put('queue', item); },
    dequeue: function (key) { return del('queue', key); },
    sent: function (eventId) { return all('sent', eventId); },
    putSent: function (item) { return put('sent', item); },
    dropSent: function (key) { return del('sent', key); },
    parseTicket: parseTicket,
    decide: decide,
    applyLocal: applyLocal,
    merge: merge,
    headsIn: headsIn,
    listOf: listOf
  };
})();
