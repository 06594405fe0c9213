// The stall map: Leaflet (from the server machine's Debian package) with tiles when the
// deployment has a tile source; otherwise, or when Leaflet is missing, the pages draw the
// sites themselves in SVG on a plain background. Either way sites are coloured by today's
// status and grouped when they would crowd each other.
"use strict";

const GuatanMap = (() => {
  const COLOURS = { open: "#2f855a", assigned: "#d69e2e", vacant: "#a0aec0", hotspot: "#c53030" };

  /** A site's colour: open when any stall is open, licensed when any is assigned, else vacant. */
  function statusOf(properties) {
    if (properties.open_count > 0) return "open";
    if (properties.assigned_count > 0) return "assigned";
    return "vacant";
  }

  function load(tag, attributes) {
    return new Promise((resolve) => {
      const node = document.createElement(tag);
      Object.assign(node, attributes);
      node.onload = () => resolve(true);
      node.onerror = () => resolve(false);
      document.head.append(node);
      setTimeout(() => resolve(false), 8000);
    });
  }

  async function loadLeaflet(library) {
    if (!library) return null;
    load("link", { rel: "stylesheet", href: library.stylesheet });
    if (!(await load("script", { src: library.script })) || !window.L) return null;
    if (library.cluster_script) {
      (library.cluster_stylesheets || []).forEach((href) => load("link", { rel: "stylesheet", href }));
      await load("script", { src: library.cluster_script });
    }
    return window.L;
  }

  /** Site positions in the tiles' datum: GCJ-02 tiles need the API's converted positions. */
  async function positions(features, tiles) {
    const byId = new Map(features.map((f) => [f.properties.site_id, [f.geometry.coordinates[1], f.geometry.coordinates[0]]]));
    if (tiles && tiles.crs === "gcj02") {
      const sites = await Guatan.allPages("/api/v1/sites?crs=gcj02", 500);
      sites.forEach((site) => byId.set(site.site_id, [site.position.lat, site.position.lng]));
    }
    return byId;
  }

  // ---- Leaflet ----
  function leafletMap(L, container, config, onSelect) {
    const map = L.map(container, { zoomControl: true, preferCanvas: false, maxZoom: (config.tiles && config.tiles.max_zoom) || 19 });
    if (config.tiles) {
      L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: config.tiles.max_zoom }).addTo(map);
    } else {
      map.attributionControl.addAttribution(Guatan.t("map_plain_note"));
    }
    const clustered = typeof L.markerClusterGroup === "function";
    let layer = clustered ? L.markerClusterGroup({ maxClusterRadius: 45, showCoverageOnHover: false }) : L.layerGroup();
    layer.addTo(map);
    let byId = new Map();
    let fitted = false;
    return {
      kind: "leaflet",
      async show(features, { highlight } = {}) {
        byId = await positions(features, config.tiles);
        layer.clearLayers();
        const bounds = [];
        for (const feature of features) {
          const p = feature.properties;
          const at = byId.get(p.site_id);
          if (!at) continue;
          const status = highlight && highlight.has(p.site_id) ? "hotspot" : statusOf(p);
          const size = status === "hotspot" ? 24 : 18;
          // Built as an element, its look set through the DOM: the pages' Content-Security-Policy
          // allows no style attributes in markup.
          const dot = document.createElement("div");
          dot.className = "site-marker";
          dot.dataset.site = p.site_id;
          Object.assign(dot.style, { background: COLOURS[status], width: `${size}px`, height: `${size}px` });
          const marker = L.marker(at, { title: p.name, icon: L.divIcon({ className: "", html: dot, iconSize: [size, size] }) });
          marker.on("click", () => onSelect(feature));
          layer.addLayer(marker);
          bounds.push(at);
        }
        if (bounds.length && !fitted) { map.fitBounds(bounds, { padding: [20, 20] }); fitted = true; }
        if (!bounds.length) map.setView([36.06, 103.83], 12);
      },
      focus(feature) {
        const at = byId.get(feature.properties.site_id);
        if (at) map.setView(at, Math.max(map.getZoom(), 17));
      },
      refit(features) {
        const points = features.map((f) => byId.get(f.properties.site_id)).filter(Boolean);
        if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 17 });
      },
    };
  }

  // ---- Plain SVG, no library and no tiles ----
  function plainMap(container, onSelect) {
    const NS = "http://www.w3.org/2000/svg";
    container.classList.add("plainmap");
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", Guatan.t("map_title"));
    const controls = Guatan.el("div", { class: "controls" },
      Guatan.el("button", { type: "button", "data-t-title": "zoom_in", onclick: () => zoom(0.5) }, "+"),
      Guatan.el("button", { type: "button", "data-t-title": "zoom_out", onclick: () => zoom(2) }, "−"),
      Guatan.el("button", { type: "button", "data-t-title": "zoom_all", onclick: () => { view = whole(); draw(); } }, "⤢"));
    const note = Guatan.el("div", { class: "note", "data-t": "map_plain_note" });
    container.replaceChildren(svg, controls, note);
    Guatan.translate(container);

    let features = [];
    let highlight = null;
    let cosine = Math.cos(36.06 * Math.PI / 180);
    let view = { x: 0, y: 0, w: 1, h: 1 };
    const project = ([lng, lat]) => [lng * cosine, -lat];

    function whole(list = features) {
      if (!list.length) return { x: 103.6 * cosine, y: -36.15, w: 0.35 * cosine, h: 0.2 };
      const xs = list.map((f) => project(f.geometry.coordinates)[0]);
      const ys = list.map((f) => project(f.geometry.coordinates)[1]);
      const pad = 0.002;
      const minX = Math.min(...xs) - pad, maxX = Math.max(...xs) + pad, minY = Math.min(...ys) - pad, maxY = Math.max(...ys) + pad;
      return fitAspect({ x: minX, y: minY, w: maxX - minX, h: maxY - minY });
    }
    function fitAspect(box) {
      const width = container.clientWidth || 360, height = container.clientHeight || 300;
      const aspect = width / height;
      if (box.w / box.h > aspect) { const h = box.w / aspect; return { x: box.x, y: box.y - (h - box.h) / 2, w: box.w, h }; }
      const w = box.h * aspect;
      return { x: box.x - (w - box.w) / 2, y: box.y, w, h: box.h };
    }
    function zoom(factor) {
      const cx = view.x + view.w / 2, cy = view.y + view.h / 2;
      view = { x: cx - view.w * factor / 2, y: cy - view.h * factor / 2, w: view.w * factor, h: view.h * factor };
      draw();
    }

    function draw() {
      const width = container.clientWidth || 360;
      svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
      svg.replaceChildren();
      const unit = view.w / width; // projected units per pixel
      const cell = 44 * unit;
      const groups = new Map();
      for (const feature of features) {
        const [x, y] = project(feature.geometry.coordinates);
        if (x < view.x - cell || x > view.x + view.w + cell || y < view.y - cell || y > view.y + view.h + cell) continue;
        const key = Math.floor(x / cell) + ":" + Math.floor(y / cell);
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push({ feature, x, y });
      }
      for (const members of groups.values()) {
        const x = members.reduce((s, m) => s + m.x, 0) / members.length;
        const y = members.reduce((s, m) => s + m.y, 0) / members.length;
        const g = document.createElementNS(NS, "g");
        g.style.cursor = "pointer";
        const circle = document.createElementNS(NS, "circle");
        circle.setAttribute("cx", x); circle.setAttribute("cy", y);
        circle.setAttribute("stroke", "#fff"); circle.setAttribute("stroke-width", 2 * unit);
        const title = document.createElementNS(NS, "title");
        if (members.length === 1) {
          const p = members[0].feature.properties;
          const status = highlight && highlight.has(p.site_id) ? "hotspot" : statusOf(p);
          circle.setAttribute("r", (status === "hotspot" ? 12 : 9) * unit);
          circle.setAttribute("fill", COLOURS[status]);
          circle.dataset.site = p.site_id;
          title.textContent = p.name;
          g.addEventListener("click", () => onSelect(members[0].feature));
          g.append(circle, title);
        } else {
          const open = members.filter((m) => statusOf(m.feature.properties) === "open").length;
          circle.setAttribute("r", Math.min(22, 12 + Math.log2(members.length) * 2) * unit);
          circle.setAttribute("fill", open ? COLOURS.open : COLOURS.assigned);
          circle.setAttribute("fill-opacity", "0.85");
          const label = document.createElementNS(NS, "text");
          label.setAttribute("x", x); label.setAttribute("y", y + 4 * unit);
          label.setAttribute("text-anchor", "middle"); label.setAttribute("font-size", 12 * unit); label.setAttribute("fill", "#fff");
          label.setAttribute("font-weight", "700");
          label.textContent = members.length;
          title.textContent = members.length + " · " + members.slice(0, 3).map((m) => m.feature.properties.name).join("、");
          g.dataset.cluster = members.length;
          g.addEventListener("click", () => { view = whole(members.map((m) => m.feature)); draw(); });
          g.append(circle, label, title);
        }
        svg.append(g);
      }
    }

    // Drag to pan; the wheel zooms.
    let drag = null;
    svg.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, view: { ...view }, moved: false }; });
    svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const scale = view.w / (container.clientWidth || 360);
      const dx = (e.clientX - drag.x) * scale, dy = (e.clientY - drag.y) * scale;
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 4) drag.moved = true;
      if (drag.moved) { view = { ...drag.view, x: drag.view.x - dx, y: drag.view.y - dy }; svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`); }
    });
    const endDrag = () => { if (drag && drag.moved) draw(); drag = null; };
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointerleave", endDrag);
    svg.addEventListener("wheel", (e) => { e.preventDefault(); zoom(e.deltaY > 0 ? 1.25 : 0.8); }, { passive: false });

    return {
      kind: "plain",
      async show(list, options = {}) {
        const first = features.length === 0;
        features = list;
        highlight = options.highlight || null;
        if (list.length) cosine = Math.cos((list.reduce((s, f) => s + f.geometry.coordinates[1], 0) / list.length) * Math.PI / 180);
        if (first) view = whole();
        draw();
      },
      focus(feature) {
        const [x, y] = project(feature.geometry.coordinates);
        const w = 0.004, h = 0.004;
        view = fitAspect({ x: x - w / 2, y: y - h / 2, w, h });
        draw();
      },
      refit(list) { view = whole(list); draw(); },
    };
  }

  /** The map for a page: Leaflet when the server has it, else the plain drawing. */
  async function create(container, onSelect) {
    let config = { tiles: null, leaflet: null };
    try { config = await Guatan.api("/api/v1/web-config", { auth: false }); } catch (_) { /* draw plainly */ }
    const L = await loadLeaflet(config.leaflet);
    const map = L ? leafletMap(L, container, config, onSelect) : plainMap(container, onSelect);
    container.dataset.renderer = map.kind;
    return map;
  }

  return { create, statusOf, COLOURS };
})();
