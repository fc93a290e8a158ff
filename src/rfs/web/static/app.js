// RFS operations dashboard: hash-routed views over the ops API, polled every few seconds.
// Every value from the API is inserted as text (never as HTML).
"use strict";
(function () {
  const API = document.body.dataset.api || "/ops";
  const POLL_MS = 3000;
  const main = document.getElementById("main");
  const banner = document.getElementById("banner");
  const statusLine = document.getElementById("status");
  let lastKey = "";
  let busy = false;

  const passed = location.hash.match(/[#&]token=([^&]+)/);
  if (passed) {
    sessionStorage.setItem("rfs-token", decodeURIComponent(passed[1]));
    history.replaceState(null, "", location.pathname + "#/");
  }
  const token = () => sessionStorage.getItem("rfs-token") || "";

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const svg = (tag, attrs, ...children) => {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  };

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
    }
  }

  async function api(path, method) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    let r;
    try {
      r = await fetch(API + path, { method: method || "GET", headers });
    } catch (e) {
      throw new ApiError(0, { detail: "cannot reach the server" });
    }
    const body = r.headers.get("content-type") && r.headers.get("content-type").includes("json") ? await r.json() : null;
    if (!r.ok) throw new ApiError(r.status, body);
    return body;
  }

  const iso = (t) => (t ? new Date(t).toLocaleString() : "—");
  const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "—");
  const secs = (d) => (d === null || d === undefined ? "—" : d < 1 ? (d * 1000).toFixed(0) + " ms" : d.toFixed(2) + " s");
  const badge = (state) => h("span", { class: "badge s-" + state }, state);
  const link = (href, text) => h("a", { href }, text);

  function table(caption, heads, rows, empty) {
    if (!rows.length) return h("p", { class: "empty" }, empty || "None.");
    return h("div", { class: "scroll" },
      h("table", {},
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
  }

  function action(label, path, key) {
    return h("button", {
      type: "button", "data-key": key, "aria-label": label,
      onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await api(path, "POST");
          say(label + ": done");
        } catch (e) {
          say(label + " failed: " + e.message);
        }
        lastKey = "";
        refresh();
      },
    }, label.split(" ")[0]);
  }

  function say(text) { statusLine.textContent = text; }

  // -- views -------------------------------------------------------------------------------
  async function attention() {
    const a = await api("/attention");
    const misfires = a.misfires || [];
    const total = a.runs.length + a.sagas.length + a.dead_letters.length + a.triggers.length + misfires.length + a.alerts.length;
    return [
      h("h2", {}, "Needs attention"),
      h("ul", { class: "counts", "aria-label": "Counts" },
        h("li", {}, h("strong", {}, a.runs.length), " failed runs"),
        h("li", {}, h("strong", {}, a.sagas.length), " sagas stuck or failed"),
        h("li", {}, h("strong", {}, a.dead_letters.length), " dead letters"),
        h("li", {}, h("strong", {}, a.triggers.length), " failing triggers"),
        h("li", {}, h("strong", {}, misfires.length), " misfired triggers"),
        h("li", {}, h("strong", {}, a.alerts.length), " alerts")),
      total === 0 ? h("p", { class: "ok" }, "Nothing needs attention.") : null,
      a.unavailable && a.unavailable.length ? h("p", { class: "warn" }, "Unavailable: " + a.unavailable.join(", ")) : null,
      h("section", { "aria-labelledby": "h-runs" }, h("h3", { id: "h-runs" }, "Failed runs"),
        table("Failed runs not yet acknowledged", ["Run", "Pipeline", "Started", "Error", "Actions"],
          a.runs.map((r) => [link("#/run/" + encodeURIComponent(r.id), r.id), r.dag_id, when(r.started_at), r.error || "",
            h("span", { class: "actions" },
              action("Acknowledge run " + r.id, "/runs/" + encodeURIComponent(r.id) + "/ack", "ack-" + r.id),
              action("Resume run " + r.id, "/runs/" + encodeURIComponent(r.id) + "/resume", "resume-" + r.id))]),
          "No failed runs waiting.")),
      h("section", { "aria-labelledby": "h-sagas" }, h("h3", { id: "h-sagas" }, "Sagas"),
        table("Stuck or compensation-failed sagas", ["Execution", "Saga", "Status", "Updated", "Error"],
          a.sagas.map((s) => [link("#/saga/" + encodeURIComponent(s.id), s.id), s.saga, badge(s.stuck ? "stuck" : s.status), when(s.updated_at), s.error || ""]),
          "No sagas need a person.")),
      h("section", { "aria-labelledby": "h-dl" }, h("h3", { id: "h-dl" }, "Dead letters"),
        table("Dead letters", ["Topic", "Error", "Message"],
          a.dead_letters.map((d) => [d.topic || "", d.error || "", JSON.stringify(d.data !== undefined ? d.data : d).slice(0, 200)]),
          "No dead letters.")),
      h("section", { "aria-labelledby": "h-tr" }, h("h3", { id: "h-tr" }, "Failing triggers"),
        table("Triggers whose fires failed", ["Trigger", "Failures", "Last error", "Next fire"],
          a.triggers.map((t) => [t.name, t.failures, t.last_error || "", iso(t.next_fire_time)]),
          "No failing triggers.")),
      h("section", { "aria-labelledby": "h-mf" }, h("h3", { id: "h-mf" }, "Misfires"),
        table("Missed fire times not yet acknowledged", ["Trigger", "Misfires", "Last misfire", "Next fire", "Actions"],
          misfires.map((m) => [h("span", {}, m.name, h("br"), h("small", { class: "muted" }, m.description)), m.misfires,
            iso(m.last_misfire_time), iso(m.next_fire_time),
            action("Acknowledge misfires of " + m.name, "/triggers/" + encodeURIComponent(m.name) + "/misfires/ack", "mack-" + m.name)]),
          "No misfires waiting.")),
      h("section", { "aria-labelledby": "h-al" }, h("h3", { id: "h-al" }, "Alerts firing"),
        table("Alerts firing", ["Rule", "Operation", "Value", "Threshold"],
          a.alerts.map((x) => [x.rule || x.name || "", x.operation || "", x.value !== undefined ? String(x.value) : "", x.threshold !== undefined ? String(x.threshold) : ""]),
          "No alerts firing.")),
    ];
  }

  async function runs(params) {
    const state = params.get("state") || "";
    const list = await api("/runs?limit=100" + (state ? "&state=" + state : ""));
    const select = h("select", { id: "state-filter", onchange: (e) => { location.hash = "#/runs" + (e.target.value ? "?state=" + e.target.value : ""); } },
      ["", "running", "succeeded", "failed"].map((s) => h("option", { value: s, selected: s === state }, s || "any")));
    return [h("h2", {}, "Runs"), h("p", {}, h("label", { for: "state-filter" }, "State "), select),
      table("Latest runs", ["Run", "Pipeline", "State", "Started", "Duration"],
        list.map((r) => [link("#/run/" + encodeURIComponent(r.id), r.id), r.dag_id, badge(r.state), when(r.started_at), secs(r.duration)]), "No runs recorded.")];
  }

  function dag(tasks, edges) {
    const depth = {};
    const ups = {};
    for (const [a, b] of edges) (ups[b] = ups[b] || []).push(a);
    const level = (n, seen) => {
      if (depth[n] !== undefined) return depth[n];
      if (seen.has(n)) return 0;
      seen.add(n);
      return (depth[n] = Math.max(-1, ...(ups[n] || []).map((u) => level(u, seen))) + 1);
    };
    tasks.forEach((t) => level(t.name, new Set()));
    const cols = {};
    tasks.forEach((t) => (cols[depth[t.name]] = (cols[depth[t.name]] || []).concat([t])));
    const W = 170, H = 54, GX = 50, GY = 18;
    const pos = {};
    Object.entries(cols).forEach(([d, ts]) => ts.forEach((t, i) => (pos[t.name] = { x: 10 + d * (W + GX), y: 10 + i * (H + GY) })));
    const width = 20 + Object.keys(cols).length * (W + GX) - GX;
    const height = 20 + Math.max(...Object.values(cols).map((c) => c.length)) * (H + GY) - GY;
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": "dag-title", class: "dag" },
      svg("title", { id: "dag-title" }, "Task graph: " + tasks.map((t) => t.name + " " + t.state).join(", ")),
      svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "edge-head" }))));
    for (const [a, b] of edges) {
      const p = pos[a], q = pos[b];
      if (!p || !q) continue;
      root.append(svg("path", { class: "edge", d: `M${p.x + W},${p.y + H / 2} C${p.x + W + GX / 2},${p.y + H / 2} ${q.x - GX / 2},${q.y + H / 2} ${q.x},${q.y + H / 2}`, "marker-end": "url(#arrow)" }));
    }
    for (const t of tasks) {
      const p = pos[t.name];
      root.append(svg("g", { class: "node s-" + t.state, transform: `translate(${p.x},${p.y})` },
        svg("rect", { width: W, height: H, rx: 6 }),
        svg("text", { x: 10, y: 22, class: "name" }, t.name.length > 20 ? t.name.slice(0, 19) + "…" : t.name),
        svg("text", { x: 10, y: 42, class: "meta" }, t.state + " · " + secs(t.duration))));
    }
    return h("div", { class: "scroll" }, root);
  }

  async function run(id) {
    const r = await api("/runs/" + encodeURIComponent(id));
    const enc = encodeURIComponent(r.id);
    return [h("h2", {}, "Run ", r.id), h("p", {}, badge(r.state), " ", r.dag_id, " · started ", when(r.started_at), " · ", secs(r.duration),
      r.acknowledged ? " · acknowledged" : ""),
    r.error ? h("p", { class: "error" }, r.error) : null,
    h("p", { class: "actions" },
      r.state === "failed" && !r.acknowledged ? action("Acknowledge run " + r.id, "/runs/" + enc + "/ack", "ack-" + r.id) : null,
      r.state !== "running" ? action("Resume run " + r.id, "/runs/" + enc + "/resume", "resume-" + r.id) : null,
      r.state !== "running" ? action("Rerun run " + r.id, "/runs/" + enc + "/rerun", "rerun-" + r.id) : null),
    h("h3", {}, "Graph"), dag(r.tasks, r.edges),
    h("h3", {}, "Tasks"),
    table("Tasks of run " + r.id, ["Task", "State", "Duration", "Attempts", "Error"],
      r.tasks.map((t) => [t.name, badge(t.state), secs(t.duration), t.attempts, t.error || ""])),
    h("h3", {}, "Attempts"),
    table("Attempts", ["Task", "Attempt", "State", "Started", "Duration", "Error"],
      r.attempts.map((a) => [a.task, a.attempt, badge(a.state), when(a.started_at), secs(a.duration), a.error || ""]))];
  }

  async function sagas() {
    const list = await api("/sagas?limit=100");
    return [h("h2", {}, "Saga executions"),
      table("Latest executions", ["Execution", "Saga", "Status", "Created", "Error"],
        list.map((s) => [link("#/saga/" + encodeURIComponent(s.id), s.id), s.saga, badge(s.status), when(s.created_at), s.error || ""]), "No executions recorded."),
      h("p", {}, action("Recover interrupted executions", "/sagas/recover", "recover"))];
  }

  async function saga(id) {
    const s = await api("/sagas/" + encodeURIComponent(id));
    const t0 = s.log.length ? s.log[0].at : s.created_at;
    return [h("h2", {}, "Saga ", s.id), h("p", {}, badge(s.status), " ", s.saga, " · owner ", s.owner),
      s.error ? h("p", { class: "error" }, s.error) : null,
      h("h3", {}, "Timeline"),
      s.log.length ? h("ol", { class: "timeline" }, s.log.map((e) => h("li", { class: "k-" + e.kind },
        h("span", { class: "at" }, "+" + secs(e.at - t0)), " ", h("strong", {}, e.kind.replace(/_/g, " ")),
        e.step ? " · " + e.step : "", e.attempt ? " (attempt " + e.attempt + ")" : "", e.detail ? " — " + e.detail : ""))) : h("p", { class: "empty" }, "No log entries.")];
  }

  async function triggers() {
    const list = await api("/triggers");
    return [h("h2", {}, "Scheduler triggers"),
      table("Triggers", ["Trigger", "Kind", "Next fire", "Last fire", "Fires", "Failures", "Misfires", "Actions"],
        list.map((t) => [t.name, t.kind, iso(t.next_fire_time), iso(t.last_fire_time), t.fires, t.failures, t.misfires || 0,
          t.paused ? action("Resume trigger " + t.name, "/scheduler/triggers/" + encodeURIComponent(t.name) + "/resume", "tres-" + t.name)
            : action("Pause trigger " + t.name, "/scheduler/triggers/" + encodeURIComponent(t.name) + "/pause", "tpause-" + t.name)]), "No triggers.")];
  }

  function hourly(m) {
    const counts = Array.from({ length: 24 }, (_, hr) => m.hourly_distribution[hr] || 0);
    const top = Math.max(1, ...counts);
    const W = 240, H = 48, bw = W / 24;
    return svg("svg", { viewBox: `0 0 ${W} ${H + 12}`, width: W, height: H + 12, role: "img", class: "chart" },
      svg("title", {}, m.operation_name + " requests per hour (UTC): " + counts.join(", ")),
      ...counts.map((c, hr) => svg("rect", { x: hr * bw + 1, y: H - (c / top) * H, width: bw - 2, height: (c / top) * H, class: "bar" })),
      svg("text", { x: 0, y: H + 11, class: "axis" }, "0h"), svg("text", { x: W - 22, y: H + 11, class: "axis" }, "23h"));
  }

  async function metrics(params) {
    const range = params.get("range") || "1h";
    let list;
    try {
      list = await api("/monitoring/summary?time_range=" + range);
    } catch (e) {
      if (e.status === 404) return [h("h2", {}, "Metrics"), h("p", { class: "empty" }, "Monitoring is not enabled on this server.")];
      throw e;
    }
    const select = h("select", { id: "range", onchange: (e) => { location.hash = "#/metrics?range=" + e.target.value; } },
      ["1m", "5m", "1h", "1d"].map((r) => h("option", { value: r, selected: r === range }, r)));
    return [h("h2", {}, "Operation metrics"), h("p", {}, h("label", { for: "range" }, "Window "), select),
      table("Operations over " + range, ["Operation", "Requests", "Success", "p50", "p99", "Max", "Per hour (last day)"],
        list.map((m) => [m.operation_name, m.total_requests, (m.success_rate * 100).toFixed(1) + "%",
          m.p50_response_time_ms.toFixed(1) + " ms", m.p99_response_time_ms.toFixed(1) + " ms", m.max_response_time_ms.toFixed(1) + " ms", hourly(m)]),
        "No operations recorded.")];
  }

  // -- routing and polling -----------------------------------------------------------------
  function route() {
    const [path, query] = location.hash.replace(/^#/, "").split("?");
    const parts = (path || "/").split("/").filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(query || "");
    if (parts[0] === "runs") return () => runs(params);
    if (parts[0] === "run" && parts[1]) return () => run(parts[1]);
    if (parts[0] === "sagas") return sagas;
    if (parts[0] === "saga" && parts[1]) return () => saga(parts[1]);
    if (parts[0] === "triggers") return triggers;
    if (parts[0] === "metrics") return () => metrics(params);
    return attention;
  }

  function showProblem(e) {
    const text = e.status === 503 ? "The database is unavailable: " + e.message + ". Retrying every " + POLL_MS / 1000 + " s."
      : e.status === 401 ? "A valid token is needed: enter it above."
      : e.status === 0 ? "Cannot reach the server. Retrying every " + POLL_MS / 1000 + " s."
      : e.status === 501 ? "Not configured on this server: " + e.message
      : "Error " + e.status + ": " + e.message;
    banner.textContent = text;
    banner.hidden = false;
    main.replaceChildren(h("p", { class: "down" }, text));
    lastKey = "error:" + text;
  }

  async function refresh(navigated) {
    if (busy) return;
    busy = true;
    try {
      const nodes = await route()();
      const key = location.hash + JSON.stringify(nodes.map((n) => (n ? n.textContent : "")));
      banner.hidden = true;
      if (key !== lastKey) {
        const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
        main.replaceChildren(...nodes.filter(Boolean));
        lastKey = key;
        if (focused) { const again = main.querySelector(`[data-key="${CSS.escape(focused)}"]`); if (again) again.focus(); }
        if (navigated) main.focus();
      }
      document.body.dataset.ready = "1";
    } catch (e) {
      if (e instanceof ApiError) showProblem(e); else throw e;
      document.body.dataset.ready = "1";
    } finally {
      busy = false;
    }
  }

  document.getElementById("auth").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("rfs-token", document.getElementById("token").value);
    document.getElementById("token").value = "";
    lastKey = "";
    refresh();
  });
  window.addEventListener("hashchange", () => { lastKey = ""; refresh(true); });
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
})();
