// The safety guard of plugins/safety/guard.py for Node processes a run starts (e.g. the official JS SDK).
//
// Preloaded through NODE_OPTIONS="--require <this file>" while suites run; FC_FETCH_GUARD names a
// JSON file {"origins": [base URLs], "readOnly": bool, "foreign": [ids]}. The global fetch then
// - never follows a redirect (redirect: "manual": the 3xx comes back to the caller),
// - refuses a URL whose origin is not the target's,
// - in read-only mode refuses POST, PUT, PATCH and DELETE,
// - refuses a POST, PUT, PATCH or DELETE whose path names an object that existed before the run.
// A refusal is a TypeError (what fetch throws for a network failure) saying why; nothing is sent.
"use strict";

(function install() {
  const file = process.env.FC_FETCH_GUARD;
  if (!file || typeof globalThis.fetch !== "function" || globalThis.fetch.fcGuarded) {
    return;
  }
  let config;
  try {
    config = JSON.parse(require("fs").readFileSync(file, "utf8"));
  } catch (error) {
    return; // the run is over (the file is removed at its end)
  }
  const origins = new Set((config.origins || []).map((u) => new URL(u).origin));
  const foreign = new Set(config.foreign || []);
  const predictOnly = new Set(config.predictOnly || []); // fixtures the target offers: predictions only
  const unsafe = new Set(["POST", "PUT", "PATCH", "DELETE"]);
  const original = globalThis.fetch;

  function refuse(method, url, why) {
    throw new TypeError(`flowise-conformance safety guard: refused ${method} ${url}: ${why}`);
  }

  async function guardedFetch(input, init) {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input && input.url;
    const method = String((init && init.method) || (input && typeof input === "object" && input.method) || "GET")
      .toUpperCase();
    const url = new URL(href);
    if (!origins.has(url.origin)) {
      refuse(method, url.href, "the run sends requests to the target only (a redirect elsewhere is never followed)");
    }
    if (unsafe.has(method)) {
      if (config.readOnly) {
        refuse(method, url.pathname, "read-only mode sends no state-changing request");
      }
      const named = url.pathname.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
      const hit = named.find((s) => foreign.has(s));
      const prediction = method === "POST" && url.pathname.includes("/api/v1/prediction/");
      if (hit && !(prediction && predictOnly.has(hit))) {
        refuse(method, url.pathname, `${hit} is an object that existed on the target before this run`);
      }
    }
    return original(input, Object.assign({}, init || {}, { redirect: "manual" }));
  }

  guardedFetch.fcGuarded = true;
  globalThis.fetch = guardedFetch;
})();
