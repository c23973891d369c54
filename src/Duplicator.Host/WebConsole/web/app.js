// Duplicator console. Plain JS, no dependencies: everything it loads is served by the host itself.
// The token (when the tower has one) is asked once and kept for the tab (sessionStorage); every API call and the
// live stream carry it as "Authorization: Bearer ...". Live updates: GET /api/events (server-sent events) read with
// fetch, since EventSource cannot send that header. Data is only ever put into the page as text, never as markup.
"use strict";
(() => {
  const TOKEN_KEY = "duplicator.token";
  const SVG = "http://www.w3.org/2000/svg";
  let token = sessionStorage.getItem(TOKEN_KEY);
  let snapshot = null;
  let openLedger = null;
  let streamAbort = null;
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  class Unauthorized extends Error {}
  async function api(path, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (token) headers.Authorization = "Bearer " + token;
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method: options.method || "GET", headers, body: options.json !== undefined ? JSON.stringify(options.json) : undefined, cache: "no-store" });
    if (response.status === 401) throw new Unauthorized();
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { status: response.status, ok: response.ok, body };
  }

  // ---- token prompt --------------------------------------------------------------------------------------
  function showPrompt(message) {
    if (streamAbort) streamAbort.abort();
    $("app").hidden = true;
    $("token-prompt").hidden = false;
    $("token-error").textContent = message || "";
    $("token-input").focus();
  }
  $("token-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    token = $("token-input").value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    await start(true);
  });

  async function start(fromPrompt) {
    try {
      const r = await api("/api/console");
      if (!r.ok) throw new Error((r.body && r.body.problems || ["the host answered " + r.status]).join("; "));
      $("token-prompt").hidden = true;
      $("app").hidden = false;
      render(r.body);
      connect();
    } catch (e) {
      if (e instanceof Unauthorized) {
        sessionStorage.removeItem(TOKEN_KEY);
        token = null;
        showPrompt(fromPrompt ? "That token was refused." : "");
      } else {
        $("app").hidden = false;
        banner("The host does not answer: " + e.message);
        setTimeout(() => start(false), 3000);
      }
    }
  }

  // ---- live stream ---------------------------------------------------------------------------------------
  async function connect() {
    if (streamAbort) streamAbort.abort();
    const abort = new AbortController();
    streamAbort = abort;
    try {
      const headers = { Accept: "text/event-stream" };
      if (token) headers.Authorization = "Bearer " + token;
      const response = await fetch("/api/events", { headers, signal: abort.signal, cache: "no-store" });
      if (response.status === 401) { showPrompt("The token is no longer accepted."); return; }
      if (!response.ok || !response.body) throw new Error("live updates: HTTP " + response.status);
      link(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message", data = "";
          for (const line of frame.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trimStart();
          }
          if (event === "snapshot" && data) { render(JSON.parse(data)); banner(null); }
          else if (event === "problem" && data) banner(JSON.parse(data).problems.join("; "));
        }
      }
    } catch (e) {
      if (abort.signal.aborted) return;
    }
    if (abort.signal.aborted) return;
    link(false);
    setTimeout(() => { if (streamAbort === abort) connect(); }, 2000);
  }
  function link(up) {
    const l = $("link");
    l.className = "link " + (up ? "up" : "down");
    l.textContent = up ? "live" : "reconnecting";
  }
  function banner(text) {
    const b = $("banner");
    b.hidden = !text;
    b.textContent = text || "";
  }

  // ---- rendering -----------------------------------------------------------------------------------------
  const mb = (bps) => (bps / 1e6).toFixed(1);
  function eta(s) {
    if (s == null) return "–";
    if (s >= 3600) return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
    if (s >= 60) return Math.floor(s / 60) + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
    return Math.round(s) + "s";
  }

  function render(s) {
    snapshot = s;
    $("tower-name").textContent = s.name;
    document.title = s.name + " · Duplicator";
    renderHourly(s.extras);
    renderDrives(s.drives, s.extras);
    renderBatches(s.batches);
    renderDrivePicks(s.drives);
    if (openLedger) refreshLedger();
  }

  function renderHourly(x) {
    $("discs-per-hour").textContent = x.goodLastHour;
    const chart = $("hourly-chart");
    chart.replaceChildren();
    const max = Math.max(1, ...x.goodPerBucket);
    const w = 120 / x.goodPerBucket.length;
    x.goodPerBucket.forEach((n, i) => {
      const h = n === 0 ? 1 : Math.max(3, 32 * n / max);
      chart.append(svg("rect", { x: i * w + 1, y: 32 - h, width: w - 2, height: h, opacity: n === 0 ? 0.3 : 1 }));
    });
  }

  const stateColour = { writing: "#3182ce", verifying: "#805ad5", closing: "#319795", ejecting: "#38a169", checking: "#d69e2e" };

  function rateChart(series, stepSeconds) {
    const chart = svg("svg", { class: "rate", viewBox: "0 0 150 48", preserveAspectRatio: "none", role: "img" });
    const values = series || [];
    const max = Math.max(1, ...values);
    chart.setAttribute("aria-label", "write rate, last " + Math.round(values.length * stepSeconds / 60) + " minutes, peak " + mb(max) + " MB/s");
    if (values.length > 1) {
      // At least a minute wide, so a short history is a line rather than a spike at the edge.
      const n = Math.max(values.length, 30);
      chart.setAttribute("viewBox", `0 0 ${n} 48`);
      const x0 = n - values.length;
      const points = values.map((v, i) => `${x0 + i},${(46 - 44 * v / max).toFixed(1)}`);
      chart.append(svg("polygon", { points: `${x0},48 ${points.join(" ")} ${n - 1},48`, fill: "#3182ce" }));
      chart.append(svg("polyline", { points: points.join(" "), stroke: "#63b3ed" }));
    }
    return chart;
  }

  function renderDrives(drives, extras) {
    const grid = $("drive-grid");
    grid.replaceChildren(...drives.map((d) => {
      const failure = extras.lastFailures[d.id];
      const busy = d.disc != null;
      const tile = el("article", { class: "tile", "data-drive": d.id, "data-state": d.state },
        el("div", { class: "head" }, el("span", { class: "id" }, d.id), el("span", { class: "state" }, d.state)),
        el("div", { class: "bar", role: "progressbar", "aria-valuenow": d.percent, "aria-valuemin": 0, "aria-valuemax": 100 },
          el("div"), el("span", {}, busy ? d.percent.toFixed(0) + "%" : "")),
        el("div", { class: "facts" },
          el("span", {}, el("b", {}, mb(d.bytesPerSecond)), " MB/s"),
          el("span", {}, "ETA ", el("b", {}, eta(d.etaSeconds))),
          el("span", {}, busy ? `${d.batchId} · disc ${d.disc}` : "no disc")),
        el("div", { class: "counts" }, el("span", { class: "g" }, "✔ " + d.good + " good"), el("span", { class: "b" }, "✘ " + d.bad + " bad")),
        el("div", { class: "chart" }, rateChart(extras.rates[d.id], extras.rateStepSeconds),
          el("span", {}, "MB/s, last " + Math.max(1, Math.round((extras.rates[d.id] || []).length * extras.rateStepSeconds / 60)) + " min")),
        failure ? el("div", { class: "failure" }, "Last failure: " + failure) : null,
        d.quarantined ? el("button", { class: "ok big", "data-action": "clear", onclick: () => clearQuarantine(d.id) }, "Put back in service") : null,
        el("div", { class: "url" }, d.url));
      tile.querySelector(".bar > div").style.width = Math.max(0, Math.min(100, d.percent)) + "%";
      return tile;
    }));
  }

  function renderBatches(batches) {
    const list = $("batch-list");
    if (batches.length === 0) { list.replaceChildren(el("p", { class: "unit" }, "No batches yet: start one below.")); return; }
    list.replaceChildren(...batches.map((b) => {
      const live = !["completed", "failed", "cancelled"].includes(b.state);
      return el("article", { class: "batch", "data-batch": b.id, "data-state": b.state },
        el("span", { class: "bid" }, b.id),
        el("span", { class: "bstate" }, b.state),
        el("span", { class: "num good" }, el("small", {}, "good"), `${b.good} / ${b.copies}`),
        el("span", { class: "num bad" }, el("small", {}, "bad"), b.bad),
        el("span", { class: "num left" }, el("small", {}, "to go"), b.remaining),
        el("span", { class: "num" }, el("small", {}, "ETA"), eta(b.etaSeconds)),
        el("span", { class: "actions" },
          el("button", { "data-action": "ledger", onclick: () => showLedger(b.id) }, "Ledger"),
          live ? el("button", { class: "danger", "data-action": "cancel", onclick: () => cancel(b.id) }, "Cancel") : null),
        el("span", { class: "src" }, b.source),
        b.reason ? el("span", { class: "reason" }, b.reason) : null);
    }));
  }

  function renderDrivePicks(drives) {
    const box = $("f-drives");
    const known = [...box.querySelectorAll("input")].map((i) => i.value).join(",");
    if (known === drives.map((d) => d.id).join(",")) return; // keep the operator's ticks
    box.replaceChildren(...drives.map((d) => el("label", {}, el("input", { type: "checkbox", name: "drives", value: d.id }), " " + d.id)));
  }

  // ---- actions -------------------------------------------------------------------------------------------
  async function guarded(action) {
    try { return await action(); }
    catch (e) { if (e instanceof Unauthorized) showPrompt("The token is no longer accepted."); else banner(e.message); }
  }
  const clearQuarantine = (id) => guarded(async () => {
    const r = await api(`/api/drives/${encodeURIComponent(id)}/clear-quarantine`, { method: "POST" });
    if (!r.ok) banner((r.body && r.body.problems || []).join("; "));
  });
  const cancel = (id) => guarded(async () => {
    if (!confirm(`Cancel batch ${id}? Discs being burned are stopped.`)) return;
    const r = await api(`/api/batches/${encodeURIComponent(id)}/cancel`, { method: "POST" });
    if (!r.ok) banner((r.body && r.body.problems || []).join("; "));
  });

  function showLedger(id) { openLedger = id; refreshLedger(); $("ledger").scrollIntoView({ behavior: "smooth", block: "nearest" }); }
  let ledgerBusy = false;
  const refreshLedger = () => guarded(async () => {
    if (ledgerBusy) return;
    ledgerBusy = true;
    try {
      const id = openLedger;
      const r = await api(`/api/batches/${encodeURIComponent(id)}`);
      if (!r.ok || id !== openLedger) return;
      const box = $("ledger");
      box.hidden = false;
      box.replaceChildren(
        el("h3", {}, `Ledger of ${id}: ${r.body.batch.good} good, ${r.body.batch.bad} bad`),
        el("button", { onclick: () => { openLedger = null; box.hidden = true; } }, "Close"),
        el("table", {},
          el("thead", {}, el("tr", {}, ...["disc", "drive", "state", "SHA-256", "reason"].map((h) => el("th", {}, h)))),
          el("tbody", {}, ...r.body.discs.map((d) => el("tr", { "data-state": d.state },
            el("td", {}, d.number), el("td", {}, d.drive), el("td", {}, d.state),
            el("td", { class: "sha" }, d.sha256 || ""), el("td", {}, d.detail || d.reason || ""))))));
    } finally { ledgerBusy = false; }
  });

  // ---- submit --------------------------------------------------------------------------------------------
  const form = $("submit-form");
  const labels = { folder: "Folder on the host (under the allowed roots)", image: "ISO image on the host", audio: "WAV files on the host, one per line (tracks in order)" };
  form.addEventListener("change", (ev) => {
    if (ev.target.name !== "kind") return;
    $("f-source-label").textContent = labels[ev.target.value];
    $("f-source").rows = ev.target.value === "audio" ? 5 : 1;
  });

  function clearErrors() {
    for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
    for (const f of form.querySelectorAll(".field.has-error")) f.classList.remove("has-error");
  }
  // The API's problems read "key: message" (e.g. "copies: 0 is not a whole number from 1 to 10000"): each goes
  // beside its field; the source keys (folder, image, audio, audio[2]) beside the source.
  function fieldOf(problem) {
    const key = problem.split(":")[0].replace(/\[\d+\]$/, "").trim();
    if (["folder", "image", "audio", "folder/image/audio", "paths"].includes(key)) return "source";
    if (form.querySelector(`.field-error[data-for="${CSS.escape(key)}"]`)) return key;
    return "form";
  }
  function showErrors(problems) {
    for (const problem of problems) {
      const field = fieldOf(problem);
      const p = form.querySelector(`.field-error[data-for="${field}"]`);
      p.textContent = p.textContent ? p.textContent + " · " + problem : problem;
      const box = p.closest(".field");
      if (box) box.classList.add("has-error");
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guarded(async () => {
      clearErrors();
      const kind = form.querySelector('input[name="kind"]:checked').value;
      const source = $("f-source").value.trim();
      const job = { schema: "duplicator.job/1" };
      if (kind === "audio") job.audio = source.split("\n").map((l) => l.trim()).filter((l) => l);
      else job[kind] = source;
      const copies = $("f-copies").value.trim();
      // Sent as typed: the host's checks (and its words) are the only ones, shown beside the field.
      job.copies = /^-?\d+$/.test(copies) ? Number(copies) : copies;
      if ($("f-verify").value) job.verify = $("f-verify").value === "true";
      if ($("f-media").value) job.media = $("f-media").value;
      const drives = [...form.querySelectorAll('input[name="drives"]:checked')].map((i) => i.value);
      if (drives.length) job.drives = drives;
      if ($("f-id").value.trim()) job.id = $("f-id").value.trim();
      const r = await api("/api/batches", { method: "POST", json: job });
      if (!r.ok) { showErrors(r.body && r.body.problems || ["the host answered " + r.status]); return; }
      const done = form.querySelector('.field-error[data-for="form"]');
      done.className = "field-error flash";
      done.textContent = `Batch ${r.body.id} ${r.status === 201 ? "started" : "already exists"}.`;
      setTimeout(() => { done.className = "field-error"; done.textContent = ""; }, 6000);
    });
  });

  start(false);
})();
