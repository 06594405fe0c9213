// The citizen's map (/): every site with today's status, search, "near me", a site's stalls.
"use strict";

(async () => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("/");
  const $ = (id) => document.getElementById(id);
  const message = $("message");
  let features = [];
  let shown = [];

  const map = await GuatanMap.create($("map"), (feature) => showSite(feature));

  function statusChip(status) {
    return el("span", { class: "chip " + status }, t("status_" + status));
  }

  // Search covers what a citizen would type: the site's name, address, district, fruit.
  function matches(feature, words, district) {
    const p = feature.properties;
    if (district && p.district !== district) return false;
    if (!words.length) return true;
    const text = [p.name, p.address, p.district_name, p.site_id, ...p.slots.flatMap((s) => s.produce || [])].join(" ").toLowerCase();
    return words.every((word) => text.includes(word));
  }

  function filter() {
    const words = $("q").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    shown = features.filter((f) => matches(f, words, $("district").value));
    $("count").textContent = t("sites_found", { n: shown.length });
    const list = $("sites");
    list.replaceChildren(...shown.slice(0, 300).map((f) => {
      const p = f.properties;
      return el("li", { "data-site": p.site_id },
        el("button", { type: "button", class: "linklike", onclick: () => { showSite(f); map.focus(f); } }, p.name),
        " ", statusChip(GuatanMap.statusOf(p)),
        el("div", { class: "small muted" }, `${p.district_name} · ${p.address}`),
        el("div", { class: "small" }, t("slots_summary", { open: p.open_count, assigned: p.assigned_count, total: p.slot_count })));
    }));
    if (!shown.length) list.replaceChildren(el("li", {}, t("no_sites")));
    map.show(shown);
    return shown;
  }

  function showSite(feature) {
    const p = feature.properties;
    const box = $("site");
    const hours = p.opening_hours ? `${p.opening_hours.opens_at}–${p.opening_hours.closes_at}` : "";
    box.replaceChildren(
      el("h2", {}, p.name),
      el("p", { class: "muted" }, `${p.district_name} · ${p.address}`),
      el("p", {}, t("hours") + "：" + hours + " · " + t("slots_summary", { open: p.open_count, assigned: p.assigned_count, total: p.slot_count })),
      el("ul", { class: "list" }, p.slots.map((slot) => el("li", { "data-slot": slot.slot_id },
        el("a", { href: "/s/" + encodeURIComponent(slot.slot_id) }, `${slot.number} 号 · ${slot.slot_id}`), " ", statusChip(slot.status),
        slot.produce && slot.produce.length ? el("div", { class: "small muted" }, slot.produce.join("、")) : null))),
      el("button", { type: "button", class: "secondary", onclick: () => box.classList.add("hidden"), "data-t": "close" }));
    Guatan.translate(box);
    box.classList.remove("hidden");
    box.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  async function nearMe() {
    const box = $("nearby");
    box.classList.remove("hidden");
    box.replaceChildren(el("p", { class: "muted" }, t("locating")));
    try {
      const here = await Guatan.position();
      const found = await api(`/api/v1/stalls/nearby?lat=${here.lat}&lng=${here.lng}&radius_m=3000&limit=10`, { auth: false });
      box.replaceChildren(el("h2", {}, t("nearby_title")), found.items.length ? el("ul", { class: "list" }, found.items.map((stall) => el("li", { "data-slot": stall.slot_id },
        el("a", { href: "/s/" + encodeURIComponent(stall.slot_id) }, `${stall.site_name} ${stall.number} 号`), " ", statusChip(stall.status_today),
        el("div", { class: "small muted" }, t("meters", { n: Math.round(stall.distance_m) }) + " · " + stall.address)))) : el("p", {}, t("no_sites")));
      const near = new Set(found.items.map((s) => s.site_id));
      const sites = features.filter((f) => near.has(f.properties.site_id));
      if (sites.length) map.refit(sites);
    } catch (error) {
      box.replaceChildren(el("div", { class: "message error", role: "alert" }, error instanceof Guatan.APIError ? explain(error) : error.message));
    }
  }

  function selectTab(name) {
    $("tab-map").setAttribute("aria-selected", name === "map");
    $("tab-list").setAttribute("aria-selected", name === "list");
    $("map-view").classList.toggle("hidden", name !== "map");
    $("list-view").classList.toggle("hidden", name !== "list");
  }

  $("tab-map").addEventListener("click", () => selectTab("map"));
  $("tab-list").addEventListener("click", () => selectTab("list"));
  $("search").addEventListener("submit", (e) => { e.preventDefault(); filter(); selectTab("list"); });
  $("q").addEventListener("input", () => filter());
  $("district").addEventListener("change", () => { filter(); if (shown.length) map.refit(shown); });
  $("near-me").addEventListener("click", nearMe);
  Guatan.onLanguage(() => filter());

  try {
    const [collection, districts] = await Promise.all([api("/api/v1/map.geojson", { auth: false }), api("/api/v1/districts", { auth: false })]);
    features = collection.features;
    for (const d of districts.items) $("district").append(el("option", { value: d.code }, `${d.name}（${d.site_count}）`));
    if (Guatan.params.get("q")) $("q").value = Guatan.params.get("q");
    filter();
    document.body.dataset.ready = "true";
  } catch (error) {
    showMessage(message, "error", explain(error));
  }
})();
