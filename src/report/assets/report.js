// The HTML report's script: draws each test's timeline (lanes, marks, arrows, fault-window bands,
// the failure's moment) and its traffic plots from the data block the page carries, and makes them
// zoomable, hoverable, clickable and filterable. Every text from the run is set with textContent,
// never parsed as markup. Without this script the page still shows every table.
(() => {
  "use strict";
  const holder = document.getElementById("faultbox-data");
  if (!holder) return;
  const DATA = JSON.parse(holder.textContent || "{}");
  const SVG = "http://www.w3.org/2000/svg";
  const GUTTER = 150;
  const RIGHT = 18;
  const AXIS = 26;
  const BAND_ROW = 20;
  const LANE = 38;
  const CATEGORY_COLOR = {
    lifecycle: "#6b7280",
    step: "#2563eb",
    fault: "#dc2626",
    topic: "#16a34a",
    check: "#7c3aed",
    output: "#a8a29e",
    connection: "#cbd5e1",
    warning: "#d97706",
    other: "#7c3aed",
  };
  const API_COLORS = [
    "#2563eb",
    "#16a34a",
    "#9333ea",
    "#ea580c",
    "#0891b2",
    "#be185d",
    "#65a30d",
    "#64748b",
    "#ca8a04",
    "#4f46e5",
    "#dc2626",
    "#0d9488",
  ];

  /** An element in the SVG namespace with attributes. */
  function s(name, attrs, parent) {
    const el = document.createElementNS(SVG, name);
    for (const k in attrs) el.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(el);
    return el;
  }
  /** An HTML element with a class and text (text is never parsed as markup). */
  function h(name, cls, text, parent) {
    const el = document.createElement(name);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    if (parent) parent.appendChild(el);
    return el;
  }
  function svgText(parent, x, y, text, attrs) {
    const el = s("text", Object.assign({ x, y }, attrs || {}), parent);
    el.textContent = text;
    return el;
  }
  function fmtMs(ms) {
    const a = Math.abs(ms);
    if (a >= 60000) {
      const sec = Math.round(a / 1000);
      return (ms < 0 ? "-" : "") + Math.floor(sec / 60) + ":" + String(sec % 60).padStart(2, "0") + " min";
    }
    if (a >= 1000) return (ms / 1000).toFixed(a >= 10000 ? 1 : 2) + " s";
    if (a >= 10 || a === 0) return Math.round(ms) + " ms";
    return ms.toFixed(1) + " ms";
  }
  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m >= 5 ? 10 : m >= 2 ? 5 : m >= 1 ? 2 : 1) * p;
  }
  function shortJson(v, n) {
    let text;
    try {
      text = JSON.stringify(v, null, 2);
    } catch {
      text = String(v);
    }
    if (text === undefined) text = "";
    return text.length > n ? text.slice(0, n) + "\n…" : text;
  }

  const tooltip = h("div", "fb-tip", undefined, document.body);
  tooltip.setAttribute("role", "tooltip");
  function showTip(ev, lines) {
    tooltip.replaceChildren();
    lines.forEach((line, i) => h(i === 0 ? "b" : "div", i === 0 ? "" : "fb-tip-line", line, tooltip));
    tooltip.style.display = "block";
    const pad = 14;
    const w = tooltip.offsetWidth;
    const hgt = tooltip.offsetHeight;
    let x = ev.clientX + pad;
    let y = ev.clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - pad);
    if (y + hgt > window.innerHeight - 4) y = Math.max(4, ev.clientY - hgt - pad);
    tooltip.style.left = x + "px";
    tooltip.style.top = y + "px";
  }
  function hideTip() {
    tooltip.style.display = "none";
  }

  function eventLines(test, i) {
    const e = test.events[i];
    const m = test.model.marks[i];
    const anomalies = test.model.anomalies.filter((a) => a.events.includes(i));
    return [
      "#" + e.seq + " " + e.type + (e.service ? " · " + e.service : ""),
      "+" + fmtMs(m.t),
      ...anomalies.slice(0, 3).map((a) => "⚠ " + a.kind + ": " + a.detail),
      shortJson(e.data || {}, 900),
    ];
  }

  function mount(test) {
    const root = document.getElementById(test.id + "-timeline");
    if (!root) return;
    const model = test.model;
    const state = {
      from: 0,
      to: model.end * 1.02 + 1,
      hiddenTypes: new Set(["proxy_conn_open", "proxy_conn_close"]),
      hiddenLanes: new Set(),
      selected: null,
    };
    root.replaceChildren();

    // Toolbar: zoom buttons, hint, filters.
    const bar = h("div", "fb-bar", undefined, root);
    const zoomBox = h("span", "fb-zoom", undefined, bar);
    const button = (label, title, fn) => {
      const b = h("button", "", label, zoomBox);
      b.type = "button";
      b.title = title;
      b.addEventListener("click", fn);
      return b;
    };
    button("−", "zoom out", () => zoomBy(2));
    button("+", "zoom in", () => zoomBy(0.5));
    button("←", "earlier", () => pan(-0.4));
    button("→", "later", () => pan(0.4));
    button("fit", "show the whole test", () => fit());
    h(
      "span",
      "fb-hint",
      "drag across the timeline to zoom in · ctrl+wheel zooms · double-click fits · click a mark for its event",
      bar,
    );

    const filters = h("div", "fb-filters", undefined, root);
    const typeBox = h("div", "fb-chips", undefined, filters);
    h("span", "fb-chips-label", "events", typeBox);
    const counts = {};
    test.events.forEach((e) => (counts[e.type] = (counts[e.type] || 0) + 1));
    const categoryOfType = {};
    model.marks.forEach((m) => (categoryOfType[test.events[m.event].type] = m.category));
    model.types.forEach((type) => {
      const chip = h("label", "fb-chip", undefined, typeBox);
      const box = h("input", "", undefined, chip);
      box.type = "checkbox";
      box.checked = !state.hiddenTypes.has(type);
      box.dataset.type = type;
      const dot = h("span", "fb-dot", undefined, chip);
      dot.style.background = CATEGORY_COLOR[categoryOfType[type]] || CATEGORY_COLOR.other;
      h("span", "", type + " (" + counts[type] + ")", chip);
      box.addEventListener("change", () => {
        if (box.checked) state.hiddenTypes.delete(type);
        else state.hiddenTypes.add(type);
        draw();
      });
    });
    const requests = model.arrows.filter((a) => a.kind === "request").length;
    if (requests) {
      const chip = h("label", "fb-chip", undefined, typeBox);
      const box = h("input", "", undefined, chip);
      box.type = "checkbox";
      box.checked = true;
      box.dataset.type = "(requests)";
      h("span", "fb-dot", undefined, chip).style.background = "#94a3b8";
      h("span", "", "requests through the proxy (" + requests + ")", chip);
      box.addEventListener("change", () => {
        if (box.checked) state.hiddenTypes.delete("(requests)");
        else state.hiddenTypes.add("(requests)");
        draw();
      });
    }
    const laneBox = h("div", "fb-chips", undefined, filters);
    h("span", "fb-chips-label", "lanes", laneBox);
    model.lanes.forEach((lane, i) => {
      const chip = h("label", "fb-chip", undefined, laneBox);
      const box = h("input", "", undefined, chip);
      box.type = "checkbox";
      box.checked = true;
      box.dataset.lane = lane.id;
      h("span", "", lane.label, chip);
      box.addEventListener("change", () => {
        if (box.checked) state.hiddenLanes.delete(i);
        else state.hiddenLanes.add(i);
        draw();
      });
    });

    const canvas = h("div", "fb-canvas", undefined, root);
    const plots = h("div", "fb-plots", undefined, root);
    const detail = h("div", "fb-detail", undefined, root);
    detail.setAttribute("aria-live", "polite");
    h("span", "fb-dim", "Click a mark, arrow or band to see its event here.", detail);

    function width() {
      return Math.max(640, canvas.clientWidth || root.clientWidth || 900);
    }
    function zoomBy(f, center) {
      const c = center === undefined ? (state.from + state.to) / 2 : center;
      const span = Math.max(0.5, (state.to - state.from) * f);
      state.from = c - (c - state.from) * (span / (state.to - state.from));
      state.to = state.from + span;
      draw();
    }
    function pan(f) {
      const d = (state.to - state.from) * f;
      state.from += d;
      state.to += d;
      draw();
    }
    function fit() {
      state.from = 0;
      state.to = model.end * 1.02 + 1;
      draw();
    }
    function select(kind, index) {
      state.selected = { kind, index };
      detail.replaceChildren();
      if (kind === "event") {
        const e = test.events[index];
        const m = model.marks[index];
        h("b", "", "Event #" + e.seq + ": " + e.type, detail);
        h(
          "span",
          "fb-dim",
          " on " + (e.service || "test") + " at +" + fmtMs(m.t) + " (" + e.timestamp + ")",
          detail,
        );
        h("pre", "fb-json", JSON.stringify(e.data || {}, null, 2), detail);
        const row = document.getElementById(test.id + "-ev-" + e.seq);
        document.querySelectorAll(".ev-selected").forEach((r) => r.classList.remove("ev-selected"));
        if (row) {
          row.classList.add("ev-selected");
          const box = row.closest("details");
          if (box) box.open = true;
        }
      } else if (kind === "band") {
        const b = model.bands[index];
        h("b", "", "Fault window " + b.assumption, detail);
        h(
          "span",
          "fb-dim",
          (b.target ? " on " + b.target : "") +
            ", open +" +
            fmtMs(b.t1) +
            " to +" +
            fmtMs(b.t2) +
            ", fired " +
            b.fired +
            "×",
          detail,
        );
        const list = h("ul", "", undefined, detail);
        b.rules.forEach((r) => h("li", "", r.rule + ": fired " + r.fired + "×", list));
      } else if (kind === "failure") {
        h("b", "", "Failure", detail);
        h(
          "span",
          "fb-dim",
          " at +" + fmtMs(model.failure.t) + ", after event #" + model.failure.afterSeq,
          detail,
        );
        h("pre", "fb-json", test.reason || model.failure.text, detail);
      }
      draw();
    }

    // Brush: drag across the plot area to zoom into that range.
    let drag = null;
    function timeAt(svg, clientX) {
      const r = svg.getBoundingClientRect();
      const plotW = r.width - GUTTER - RIGHT;
      return state.from + ((clientX - r.left - GUTTER) / plotW) * (state.to - state.from);
    }

    function draw() {
      hideTip();
      const W = width();
      const plotW = W - GUTTER - RIGHT;
      const visibleLanes = model.lanes.map((_, i) => i).filter((i) => !state.hiddenLanes.has(i));
      const row = new Map(visibleLanes.map((lane, k) => [lane, k]));
      const top = AXIS + BAND_ROW;
      const failureRow = model.failure ? 22 : 0;
      const H = top + visibleLanes.length * LANE + 10 + failureRow;
      const x = (t) => GUTTER + ((t - state.from) / (state.to - state.from)) * plotW;
      const laneY = (lane) => top + row.get(lane) * LANE + LANE / 2;
      const inView = (t) => t >= state.from - 1e-9 && t <= state.to + 1e-9;

      const svg = s("svg", { width: W, height: H, class: "fb-timeline", role: "img" });
      svg.setAttribute("aria-label", "timeline of " + test.name);
      const defs = s("defs", {}, svg);
      const clipId = test.id + "-clip";
      const clip = s("clipPath", { id: clipId }, defs);
      s("rect", { x: GUTTER, y: 0, width: plotW, height: H }, clip);
      [
        ["arrow", "#475569"],
        ["arrow-fail", "#dc2626"],
        ["arrow-record", "#16a34a"],
        ["arrow-req", "#94a3b8"],
      ].forEach(([id, color]) => {
        const m = s(
          "marker",
          {
            id: test.id + "-" + id,
            viewBox: "0 0 10 10",
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: "auto-start-reverse",
          },
          defs,
        );
        s("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, m);
      });

      // Lanes and their labels.
      visibleLanes.forEach((lane, k) => {
        const y = top + k * LANE;
        s("rect", { x: 0, y, width: W, height: LANE, class: k % 2 ? "fb-lane odd" : "fb-lane" }, svg);
        const label = svgText(svg, 8, y + LANE / 2 + 4, model.lanes[lane].label, {
          class: "fb-lane-label fb-lane-" + model.lanes[lane].kind,
        });
        label.setAttribute("data-lane", model.lanes[lane].id);
        s(
          "line",
          { x1: GUTTER, x2: W - RIGHT, y1: y + LANE / 2, y2: y + LANE / 2, class: "fb-lane-line" },
          svg,
        );
      });

      // Time axis.
      const step = niceStep(state.to - state.from, Math.max(2, Math.floor(plotW / 110)));
      const axis = s("g", { class: "fb-axis" }, svg);
      for (let t = Math.ceil(state.from / step) * step; t <= state.to; t += step) {
        const xx = x(t);
        s("line", { x1: xx, x2: xx, y1: AXIS - 4, y2: H - 10, class: "fb-grid" }, axis);
        svgText(axis, xx, AXIS - 8, "+" + fmtMs(t), { "text-anchor": "middle" });
      }

      const body = s("g", { "clip-path": "url(#" + clipId + ")" }, svg);

      // Fault windows: a tint over every lane, a stronger band on the target's lane, the name on top.
      model.bands.forEach((b, i) => {
        if (b.t2 < state.from || b.t1 > state.to) return;
        const x1 = Math.max(GUTTER, x(b.t1));
        const x2 = Math.min(W - RIGHT, Math.max(x(b.t2), x1 + 2));
        const g = s(
          "g",
          {
            class:
              "fb-band" +
              (state.selected && state.selected.kind === "band" && state.selected.index === i
                ? " selected"
                : ""),
            "data-band": i,
          },
          body,
        );
        s("rect", { x: x1, y: AXIS, width: x2 - x1, height: H - AXIS - 10, class: "fb-band-tint" }, g);
        if (b.lane !== null && row.has(b.lane))
          s(
            "rect",
            {
              x: x1,
              y: laneY(b.lane) - LANE / 2 + 2,
              width: x2 - x1,
              height: LANE - 4,
              class: "fb-band-lane",
            },
            g,
          );
        svgText(
          g,
          x1 + 4,
          AXIS + 14,
          "⚡ " + b.assumption + (b.fired ? " · fired " + b.fired + "×" : " · never fired"),
          { class: "fb-band-label" },
        );
      });

      // Call spans on the target lane.
      model.spans.forEach((sp) => {
        if (!row.has(sp.lane) || sp.t2 < state.from || sp.t1 > state.to) return;
        const x1 = x(sp.t1);
        s(
          "rect",
          {
            x: x1,
            y: laneY(sp.lane) - 5,
            width: Math.max(2, x(sp.t2) - x1),
            height: 10,
            rx: 3,
            class: "fb-span",
          },
          body,
        );
      });

      // Where each visible mark goes. Marks closer than a few pixels on one lane (a duplicated record,
      // a burst) are stacked so each stays visible and clickable; arrows end at their mark.
      const shown = (i) => !state.hiddenTypes.has(test.events[i].type);
      const placed = new Map();
      const lastX = new Map();
      model.marks.forEach((m, i) => {
        if (!row.has(m.lane) || !inView(m.t) || !shown(i)) return;
        const cx = x(m.t);
        const prev = lastX.get(m.lane);
        const level = prev && cx - prev.x < 7 ? (prev.level + 1) % 3 : 0;
        lastX.set(m.lane, { x: level ? prev.x : cx, level });
        placed.set(i, { cx, cy: laneY(m.lane) + [0, -9, 9][level] });
      });

      // Arrows.
      model.arrows.forEach((a, i) => {
        if (!row.has(a.from) || !row.has(a.to)) return;
        if (a.events.length && !a.events.every(shown)) return;
        if ((a.kind === "request" || a.kind === "response") && state.hiddenTypes.has("(requests)")) return;
        if (Math.max(a.t1, a.t2) < state.from || Math.min(a.t1, a.t2) > state.to) return;
        const first = a.events.length ? placed.get(a.events[0]) : undefined;
        const last = a.events.length ? placed.get(a.events[a.events.length - 1]) : undefined;
        const y1 = first && model.marks[a.events[0]].lane === a.from ? first.cy : laneY(a.from);
        const y2 = last && model.marks[a.events[a.events.length - 1]].lane === a.to ? last.cy : laneY(a.to);
        const dir = y2 > y1 ? 1 : -1;
        const marker = a.failed
          ? "arrow-fail"
          : a.kind === "record" || a.kind === "read"
            ? "arrow-record"
            : a.kind === "request" || a.kind === "response"
              ? "arrow-req"
              : "arrow";
        const line = s(
          "line",
          {
            x1: x(a.t1),
            y1: y1 + dir * 6,
            x2: x(a.t2),
            y2: y2 - dir * 7,
            class: "fb-arrow fb-arrow-" + a.kind + (a.failed ? " failed" : ""),
            "marker-end": "url(#" + test.id + "-" + marker + ")",
            "data-arrow": i,
          },
          body,
        );
        line.setAttribute("data-kind", a.kind);
      });

      // Marks: one per event, shaped by category; firings as red triangles.
      model.marks.forEach((m, i) => {
        const p = placed.get(i);
        if (!p) return;
        const cx = p.cx;
        const cy = p.cy;
        const color = CATEGORY_COLOR[m.category] || CATEGORY_COLOR.other;
        const selected = state.selected && state.selected.kind === "event" && state.selected.index === i;
        let el;
        if (m.firing)
          el = s(
            "path",
            { d: `M${cx},${cy - 8} L${cx + 7},${cy + 6} L${cx - 7},${cy + 6} z`, fill: color },
            body,
          );
        else if (m.category === "output" || m.category === "connection")
          el = s("rect", { x: cx - 1, y: cy - 7, width: 2, height: 14, fill: color }, body);
        else if (m.category === "topic")
          el = s("rect", { x: cx - 5, y: cy - 5, width: 10, height: 10, rx: 2, fill: color }, body);
        else el = s("circle", { cx, cy, r: m.category === "step" ? 5 : 4.5, fill: color }, body);
        el.setAttribute("class", "fb-mark" + (selected ? " selected" : ""));
        el.setAttribute("data-event", String(i));
        el.setAttribute("data-type", test.events[i].type);
      });

      // Anomalies a history check found: a red ring around each event that shows one.
      const ringed = new Set();
      model.anomalies.forEach((a) =>
        a.events.forEach((i) => {
          const p = placed.get(i);
          if (!p || ringed.has(i)) return;
          ringed.add(i);
          s("circle", { cx: p.cx, cy: p.cy, r: 9, class: "fb-anomaly" }, body);
        }),
      );

      // The failure's moment.
      if (model.failure && inView(model.failure.t)) {
        const fx = x(model.failure.t);
        const g = s("g", { class: "fb-failure", "data-failure": 1 }, svg);
        s("line", { x1: fx, x2: fx, y1: AXIS, y2: H - 4 }, g);
        const anchorEnd = fx > GUTTER + plotW * 0.6;
        // Cut to the room beside the line (about 7 px a character); the whole reason is a click away.
        const room = Math.max(12, Math.floor(((anchorEnd ? fx : W - fx) - 12) / 7));
        const full = "✗ " + model.failure.text;
        const label = full.length > room ? full.slice(0, room - 1) + "…" : full;
        const text = svgText(g, anchorEnd ? fx - 5 : fx + 5, H - 8, label, {
          "text-anchor": anchorEnd ? "end" : "start",
        });
        text.setAttribute("class", "fb-failure-label");
      }

      // Brush rectangle (while dragging).
      const brush = s(
        "rect",
        { x: 0, y: AXIS, width: 0, height: H - AXIS - 10, class: "fb-brush", visibility: "hidden" },
        svg,
      );

      svg.addEventListener("mousemove", (ev) => {
        if (drag) {
          const r = svg.getBoundingClientRect();
          const cx = Math.min(Math.max(ev.clientX - r.left, GUTTER), W - RIGHT);
          brush.setAttribute("visibility", "visible");
          brush.setAttribute("x", String(Math.min(drag.x, cx)));
          brush.setAttribute("width", String(Math.abs(cx - drag.x)));
          return;
        }
        const target = ev.target;
        if (!(target instanceof Element)) return hideTip();
        const ei = target.getAttribute("data-event");
        const ai = target.getAttribute("data-arrow");
        const band = target.closest("[data-band]");
        if (ei !== null) showTip(ev, eventLines(test, Number(ei)));
        else if (ai !== null) {
          const a = model.arrows[Number(ai)];
          showTip(ev, [a.label, "+" + fmtMs(a.t1) + (a.t2 !== a.t1 ? " → +" + fmtMs(a.t2) : "")]);
        } else if (target.closest("[data-failure]"))
          showTip(ev, ["failed at +" + fmtMs(model.failure.t), test.reason || model.failure.text]);
        else if (band) {
          const b = model.bands[Number(band.getAttribute("data-band"))];
          showTip(
            ev,
            [
              "fault window " + b.assumption + (b.target ? " on " + b.target : ""),
              "+" + fmtMs(b.t1) + " → +" + fmtMs(b.t2),
            ].concat(b.rules.map((r) => r.rule + ": fired " + r.fired + "×")),
          );
        } else hideTip();
      });
      svg.addEventListener("mouseleave", hideTip);
      svg.addEventListener("mousedown", (ev) => {
        const r = svg.getBoundingClientRect();
        if (ev.button !== 0 || ev.clientX - r.left < GUTTER) return;
        drag = { x: ev.clientX - r.left, clientX: ev.clientX, moved: false };
      });
      svg.addEventListener("mouseup", (ev) => {
        if (!drag) return;
        const start = drag;
        drag = null;
        brush.setAttribute("visibility", "hidden");
        if (Math.abs(ev.clientX - start.clientX) > 4) {
          const t1 = timeAt(svg, Math.min(start.clientX, ev.clientX));
          const t2 = timeAt(svg, Math.max(start.clientX, ev.clientX));
          state.from = t1;
          state.to = Math.max(t1 + 0.5, t2);
          draw();
          return;
        }
        const target = ev.target;
        if (!(target instanceof Element)) return;
        const ei = target.getAttribute("data-event");
        const ai = target.getAttribute("data-arrow");
        const band = target.closest("[data-band]");
        if (ei !== null) select("event", Number(ei));
        else if (ai !== null && model.arrows[Number(ai)].events.length)
          select("event", model.arrows[Number(ai)].events.at(-1));
        else if (target.closest("[data-failure]")) select("failure", 0);
        else if (band) select("band", Number(band.getAttribute("data-band")));
      });
      svg.addEventListener("dblclick", fit);
      svg.addEventListener(
        "wheel",
        (ev) => {
          if (!ev.ctrlKey && !ev.metaKey) return;
          ev.preventDefault();
          zoomBy(ev.deltaY > 0 ? 1.25 : 0.8, timeAt(svg, ev.clientX));
        },
        { passive: false },
      );

      canvas.replaceChildren(svg);
      if (model.requestsNotDrawn)
        h(
          "div",
          "fb-dim",
          model.requestsNotDrawn +
            " Produce/Fetch requests through the proxy are too many to draw as arrows; the plots below show every one.",
          canvas,
        );
      drawPlots(W, x, plotW);
    }

    function drawPlots(W, x, plotW) {
      plots.replaceChildren();
      (test.traffic || []).forEach((tr) => {
        const n = tr.t.length;
        if (!n) return;
        const box = h("div", "fb-plot", undefined, plots);
        const title = h("div", "fb-plot-title", undefined, box);
        h("b", "", tr.service + "." + tr.interface, title);
        h(
          "span",
          "fb-dim",
          " " +
            tr.protocol +
            " · " +
            n +
            " request(s)" +
            (tr.unlisted ? " (+" + tr.unlisted + " not listed)" : ""),
          title,
        );
        const legend = h("span", "fb-legend", undefined, title);
        tr.apis.forEach((api, k) => {
          const item = h("span", "fb-legend-item", undefined, legend);
          h("span", "fb-dot", undefined, item).style.background = API_COLORS[k % API_COLORS.length];
          h("span", "", api, item);
        });
        plotLatency(box, tr, W, x, plotW);
        // A rate over a handful of requests says nothing.
        if (n >= 20) plotThroughput(box, tr, W, x, plotW);
      });
    }

    function shadeBands(svg, x, H, y0) {
      model.bands.forEach((b) => {
        if (b.t2 < state.from || b.t1 > state.to) return;
        const x1 = Math.max(GUTTER, x(b.t1));
        const x2 = Math.min(W_of(svg) - RIGHT, Math.max(x(b.t2), x1 + 2));
        s("rect", { x: x1, y: y0, width: x2 - x1, height: H - y0 - 18, class: "fb-band-tint" }, svg);
      });
      if (model.failure && model.failure.t >= state.from && model.failure.t <= state.to)
        s(
          "line",
          { x1: x(model.failure.t), x2: x(model.failure.t), y1: y0, y2: H - 18, class: "fb-failure-line" },
          svg,
        );
    }
    function W_of(svg) {
      return Number(svg.getAttribute("width"));
    }

    function plotLatency(box, tr, W, x, plotW) {
      const H = 150;
      const y0 = 8;
      const svg = s("svg", { width: W, height: H, class: "fb-plot-svg" }, box);
      svg.setAttribute("data-plot", "latency");
      const lat = tr.latency_ms.filter((v) => v >= 0);
      const max = Math.max(1, ...lat);
      const min = Math.max(0.01, Math.min(...lat.filter((v) => v > 0), max));
      const log = max / min > 50;
      const y = (v) => {
        const f = log ? Math.log(Math.max(v, min) / min) / Math.log(max / min || 10) : v / max;
        return H - 18 - f * (H - 18 - y0 - 10);
      };
      svgText(svg, 8, 16, "latency", { class: "fb-axis-title" });
      svgText(svg, 8, 30, log ? "(log scale)" : "", { class: "fb-dim-text" });
      const ticks = [];
      [max, min, log ? Math.sqrt(min * max) : max / 2].forEach((v) => {
        if (ticks.every((u) => Math.abs(y(u) - y(v)) > 14)) ticks.push(v);
      });
      ticks.forEach((v) => {
        s("line", { x1: GUTTER, x2: W - RIGHT, y1: y(v), y2: y(v), class: "fb-grid" }, svg);
        svgText(svg, GUTTER - 6, y(v) + 4, fmtMs(v), { "text-anchor": "end", class: "fb-tick" });
      });
      shadeBands(svg, x, H, y0);
      const clipId = test.id + "-" + tr.service + "-" + tr.interface + "-latclip";
      const clip = s("clipPath", { id: clipId }, s("defs", {}, svg));
      s("rect", { x: GUTTER - 4, y: 0, width: plotW + 8, height: H }, clip);
      const g = s("g", { "clip-path": "url(#" + clipId + ")" }, svg);
      for (let i = 0; i < tr.t.length; i++) {
        const t = tr.t[i];
        if (t < state.from || t > state.to) continue;
        const v = tr.latency_ms[i];
        const color = API_COLORS[tr.api[i] % API_COLORS.length];
        if (v < 0) {
          const cx = x(t);
          s(
            "path",
            {
              d: `M${cx - 4},${y0} l8,8 m0,-8 l-8,8`,
              stroke: "#dc2626",
              "stroke-width": 2,
              class: "fb-noresp",
            },
            g,
          );
        } else s("circle", { cx: x(t), cy: y(v), r: 2.6, fill: color, "fill-opacity": 0.75 }, g);
      }
      svg.addEventListener("mousemove", (ev) => {
        const r = svg.getBoundingClientRect();
        const t = state.from + ((ev.clientX - r.left - GUTTER) / plotW) * (state.to - state.from);
        let best = -1;
        let bestD = Infinity;
        for (let i = 0; i < tr.t.length; i++) {
          const d =
            Math.abs(x(tr.t[i]) - (ev.clientX - r.left)) +
            (tr.latency_ms[i] >= 0 ? Math.abs(y(tr.latency_ms[i]) - (ev.clientY - r.top)) : 0);
          if (d < bestD) {
            bestD = d;
            best = i;
          }
        }
        if (best < 0 || bestD > 24 || t < state.from) return hideTip();
        const v = tr.latency_ms[best];
        showTip(ev, [
          tr.apis[tr.api[best]] + (tr.detail && tr.detail[best] ? " · " + tr.detail[best] : ""),
          "+" + fmtMs(tr.t[best]),
          v < 0 ? "no response (connection closed)" : "latency " + fmtMs(v),
        ]);
      });
      svg.addEventListener("mouseleave", hideTip);
    }

    function plotThroughput(box, tr, W, x, plotW) {
      const H = 90;
      const y0 = 8;
      const svg = s("svg", { width: W, height: H, class: "fb-plot-svg" }, box);
      svg.setAttribute("data-plot", "throughput");
      const buckets = Math.max(10, Math.min(120, Math.floor(plotW / 8)));
      const span = state.to - state.from;
      const size = span / buckets;
      const counts = new Array(buckets).fill(0);
      for (const t of tr.t) {
        const k = Math.floor((t - state.from) / size);
        if (k >= 0 && k < buckets) counts[k]++;
      }
      const perSec = counts.map((c) => (c * 1000) / size);
      const max = Math.max(1, ...perSec);
      const y = (v) => H - 18 - (v / max) * (H - 18 - y0 - 6);
      svgText(svg, 8, 16, "throughput", { class: "fb-axis-title" });
      s("line", { x1: GUTTER, x2: W - RIGHT, y1: y(max), y2: y(max), class: "fb-grid" }, svg);
      svgText(svg, GUTTER - 6, y(max) + 4, max >= 10 ? Math.round(max) + "/s" : max.toFixed(1) + "/s", {
        "text-anchor": "end",
        class: "fb-tick",
      });
      svgText(svg, GUTTER - 6, y(0) + 4, "0", { "text-anchor": "end", class: "fb-tick" });
      shadeBands(svg, x, H, y0);
      const pts = perSec.map((v, k) => x(state.from + (k + 0.5) * size) + "," + y(v)).join(" ");
      s("polyline", { points: pts, class: "fb-throughput" }, svg);
      svg.addEventListener("mousemove", (ev) => {
        const r = svg.getBoundingClientRect();
        const k = Math.floor(((ev.clientX - r.left - GUTTER) / plotW) * buckets);
        if (k < 0 || k >= buckets) return hideTip();
        showTip(ev, [
          counts[k] + " request(s)",
          "+" + fmtMs(state.from + k * size) + " → +" + fmtMs(state.from + (k + 1) * size),
          (perSec[k] >= 10 ? Math.round(perSec[k]) : perSec[k].toFixed(1)) + " per second",
        ]);
      });
      svg.addEventListener("mouseleave", hideTip);
    }

    // A history check's examples select the first event that shows them.
    document.querySelectorAll('li.hist-example[data-test="' + test.id + '"]').forEach((li) => {
      li.addEventListener("click", () => {
        const i = test.events.findIndex((e) => String(e.seq) === li.getAttribute("data-seq"));
        if (i < 0) return;
        select("event", i);
        canvas.scrollIntoView({ block: "nearest" });
      });
    });

    // Rows of the events table select their mark.
    document.querySelectorAll("#" + CSS.escape(test.id) + " tr[data-index]").forEach((tr) => {
      tr.addEventListener("click", () => {
        select("event", Number(tr.getAttribute("data-index")));
        canvas.scrollIntoView({ block: "nearest" });
      });
    });

    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(draw, 100);
    });
    draw();
  }

  (DATA.tests || []).forEach(mount);

  // The events table's type filter (works on its own, without the timeline).
  document.querySelectorAll("select.evfilter").forEach((sel) => {
    sel.addEventListener("change", () => {
      const table = sel.closest("details").querySelector("table.events");
      table.querySelectorAll("tr[data-type]").forEach((r) => {
        r.style.display = !sel.value || r.getAttribute("data-type") === sel.value ? "" : "none";
      });
    });
  });
})();
