// Charts drawn as SVG by the project itself: a line chart of rates over days and horizontal
// (stacked) bars. Each chart carries a table-like <title>/<desc> so it is readable without sight.
"use strict";

const GuatanCharts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#0b6e4f", "#d69e2e", "#3182ce", "#c53030", "#805ad5", "#dd6b20", "#319795", "#718096"];

  function node(tag, attributes = {}, text) {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attributes)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function frame(width, height, label) {
    const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
    svg.append(node("title", {}, label));
    return svg;
  }

  /** series: [{name, points: [{x: "2026-07-01", y: 0.8 | null}]}], y in 0..1 shown as %. */
  function lines(series, { label, width = 640, height = 260 } = {}) {
    const svg = frame(width, height, label);
    const left = 36, right = 8, top = 28, bottom = 28;
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort();
    const plotW = width - left - right, plotH = height - top - bottom;
    const xAt = (i) => left + (xs.length <= 1 ? plotW / 2 : (i / (xs.length - 1)) * plotW);
    const yAt = (v) => top + (1 - v) * plotH;
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      svg.append(node("line", { x1: left, x2: width - right, y1: yAt(tick), y2: yAt(tick), stroke: "#e2e8f0" }));
      svg.append(node("text", { x: left - 4, y: yAt(tick) + 4, "text-anchor": "end" }, Math.round(tick * 100) + "%"));
    }
    const step = Math.max(1, Math.ceil(xs.length / 6));
    xs.forEach((x, i) => {
      const last = i === xs.length - 1;
      // The last label is the day that matters most; the one before gives way if they would touch.
      if ((i % step === 0 && (xs.length - 1 - i >= step || xs.length === 1)) || last) {
        svg.append(node("text", { x: xAt(i), y: height - 8, "text-anchor": last && xs.length > 1 ? "end" : "middle" }, x.slice(5)));
      }
    });
    series.forEach((s, index) => {
      const colour = PALETTE[index % PALETTE.length];
      const byX = new Map(s.points.map((p) => [p.x, p.y]));
      let d = "";
      let pen = false;
      xs.forEach((x, i) => {
        const v = byX.get(x);
        if (v === null || v === undefined) { pen = false; return; }
        d += `${pen ? "L" : "M"}${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}`;
        pen = true;
      });
      const path = node("path", { d, fill: "none", stroke: colour, "stroke-width": 2, "data-series": s.name });
      path.append(node("title", {}, s.name));
      svg.append(path);
      if (xs.length === 1 || s.points.length === 1) {
        s.points.forEach((p) => { if (p.y !== null) svg.append(node("circle", { cx: xAt(xs.indexOf(p.x)), cy: yAt(p.y), r: 4, fill: colour })); });
      }
      const slot = Math.min(90, (width - left) / series.length);
      svg.append(node("rect", { x: left + index * slot, y: 8, width: 10, height: 10, fill: colour }));
      svg.append(node("text", { x: left + 14 + index * slot, y: 17 }, s.name));
    });
    return svg;
  }

  /** rows: [{label, parts: [{name, value}]}]: one horizontal bar per row, parts stacked.
   * On a narrow screen each row's label goes above its bar, so long names are not cut. */
  function bars(rows, { label, names = [], width = 640 } = {}) {
    const narrow = width < 480;
    const rowHeight = narrow ? 36 : 26;
    const left = narrow ? 8 : 130, right = 44, top = names.length ? 30 : 8;
    const height = top + rows.length * rowHeight + 8;
    const svg = frame(width, height, label);
    const max = Math.max(1, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
    const scale = (width - left - right) / max;
    const slot = Math.min(90, (width - 8) / Math.max(1, names.length));
    names.forEach((name, i) => {
      svg.append(node("rect", { x: 8 + i * slot, y: 8, width: 10, height: 10, fill: PALETTE[i % PALETTE.length] }));
      svg.append(node("text", { x: 22 + i * slot, y: 17 }, name));
    });
    rows.forEach((row, r) => {
      const y = top + r * rowHeight;
      const barTop = narrow ? y + 15 : y + 4;
      const barHeight = narrow ? rowHeight - 19 : rowHeight - 8;
      svg.append(narrow
        ? node("text", { x: left, y: y + 11 }, row.label)
        : node("text", { x: left - 6, y: y + rowHeight / 2 + 4, "text-anchor": "end" }, row.label));
      let x = left;
      row.parts.forEach((part) => {
        if (!part.value) return;
        const index = Math.max(0, names.indexOf(part.name));
        const rect = node("rect", { x, y: barTop, width: Math.max(1, part.value * scale), height: barHeight, fill: PALETTE[index % PALETTE.length], "data-value": part.value });
        rect.append(node("title", {}, `${row.label} · ${part.name}: ${part.value}`));
        svg.append(rect);
        x += part.value * scale;
      });
      svg.append(node("text", { x: x + 4, y: barTop + barHeight / 2 + 4 }, String(row.parts.reduce((s, p) => s + p.value, 0))));
    });
    return svg;
  }

  return { lines, bars, PALETTE };
})();
