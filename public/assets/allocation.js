// The public page of a season's allocation: the timeline, the published list's commitment and
// the seed once drawn (with the file anyone can re-run), each site's results and waiting list,
// and the objections with the bureau's answers; during the notice anyone may object.
"use strict";

(() => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("/allocation.html");
  const app = document.getElementById("app");
  const PHASES = ["planning", "applications_open", "review", "drawn", "notice", "allocated", "in_season", "closed"];
  let state = { seasons: [], districts: [], year: null, district: "", data: null };

  function timeline(season) {
    const at = PHASES.indexOf(season.phase);
    return el("ol", { class: "timeline", id: "phases" }, PHASES.map((phase, index) => el("li", { "data-phase": phase },
      index === at ? el("strong", {}, t("phase_" + phase)) : el("span", { class: index < at ? "" : "muted" }, t("phase_" + phase)),
      phase === "applications_open" && season.applications_open_on ? el("time", {}, `${season.applications_open_on} – ${season.applications_close_on}`) : null,
      phase === "notice" && season.notice_ends_on ? el("time", {}, "→ " + season.notice_ends_on) : null,
      phase === "in_season" ? el("time", {}, `${season.starts_on} – ${season.ends_on}`) : null)));
  }

  function drawFacts(data) {
    if (!data.list_published) return el("p", { class: "muted", id: "draw-facts" }, t("not_published"));
    return el("section", { class: "card", id: "draw-facts" },
      el("p", {}, t("list_published", { n: data.applications })),
      el("dl", { class: "facts" },
        el("dt", {}, t("commitment")), el("dd", { class: "hash", id: "commitment" }, data.commitment),
        data.seed ? [el("dt", {}, t("seed")), el("dd", { class: "hash", id: "seed" }, data.seed)] : null),
      el("p", {}, el("a", { class: "button secondary", href: `/api/v1/seasons/${data.season.year}/draw`, download: `guatan-draw-${data.season.year}.json` }, t("download_draw"))),
      el("p", { class: "small muted" }, t("how_to_check")));
  }

  function siteCard(site) {
    return el("section", { class: "card site-result", "data-site": site.site_id },
      el("h3", {}, `${site.site_name}（${site.site_id}）`),
      el("p", { class: "muted small" }, t("applicants", { n: site.applicants, slots: site.slots })),
      site.results.length ? el("div", { class: "scroll" }, el("table", { class: "data" },
        el("thead", {}, el("tr", {}, ["col_slot", "col_application", "col_holder", "col_tier", "col_permit"].map((k) => el("th", {}, t(k))))),
        el("tbody", {}, site.results.map((r) => el("tr", {},
          el("td", {}, r.slot_id), el("td", {}, r.application_no), el("td", {}, r.holder_masked), el("td", {}, t("tier_" + r.tier)),
          el("td", {}, r.permit_no || (r.permit_no_to_be ? el("span", { class: "muted", title: t("permit_to_be") }, r.permit_no_to_be + t("to_be")) : "—"))))))) : null,
      site.waitlist.length ? el("p", { class: "small" }, t("waitlist") + "：", site.waitlist.join("、")) : null);
  }

  function objectionsCard(data) {
    const season = data.season;
    const result = el("div", { class: "hidden", id: "objection-result" });
    let form = null;
    if (season.accepting_objections) {
      form = el("form", { id: "objection-form" },
        el("p", { class: "small" }, t("notice_until", { date: season.notice_ends_on })),
        el("label", { for: "objection-application" }, t("col_application")),
        el("input", { type: "text", id: "objection-application", name: "application_no", required: true, placeholder: `SQ${season.year}-000001` }),
        el("label", { for: "objection-reason" }, t("objection_reason")),
        el("textarea", { id: "objection-reason", name: "reason", required: true, minlength: "5", maxlength: "500" }),
        el("p", {}, el("button", { type: "submit", id: "objection-submit" }, t("objection_file"))), result);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const done = await api(`/api/v1/seasons/${season.year}/objections`, { method: "POST", auth: false,
            json: { application_no: form.application_no.value.trim(), reason: form.reason.value.trim() } });
          await load();
          showMessage(document.getElementById("objection-result"), "ok", t("objection_filed", { no: done.objection_no }));
        } catch (error) { showMessage(result, "error", explain(error)); }
      });
    }
    return el("section", { class: "card", id: "objections" }, el("h2", {}, t("objections")),
      data.objections.length ? el("ul", { class: "list" }, data.objections.map((o) => el("li", { "data-status": o.status },
        el("strong", {}, `${o.objection_no} · ${o.application_no} `), el("span", { class: "chip " + (o.status === "upheld" ? "warn" : "plain") }, t("obj_" + o.status)),
        el("div", {}, o.reason), o.answer ? el("div", { class: "muted" }, "→ " + o.answer) : null))) : el("p", { class: "muted" }, t("none")),
      form);
  }

  function render() {
    const data = state.data;
    const pick = el("select", { id: "season-pick" }, state.seasons.map((s) => el("option", { value: s.year, selected: s.year === state.year }, String(s.year))));
    pick.addEventListener("change", () => { state.year = Number(pick.value); load(); });
    const district = el("select", { id: "district-pick" }, el("option", { value: "" }, t("all_districts")),
      state.districts.map((d) => el("option", { value: d.code, selected: d.code === state.district }, d.name)));
    district.addEventListener("change", () => { state.district = district.value; load(); });
    Guatan.fill(app,
      el("div", { class: "row" }, el("label", { for: "season-pick" }, t("season_pick")), pick, district),
      data ? [timeline(data.season), drawFacts(data),
        el("h2", {}, t("site_results")), el("div", { id: "sites" }, data.sites.map(siteCard)),
        objectionsCard(data)] : el("p", { class: "muted" }, t("none")));
  }

  async function load() {
    try {
      if (!state.seasons.length) {
        const [seasons, districts] = await Promise.all([api("/api/v1/seasons", { auth: false }), api("/api/v1/districts", { auth: false })]);
        state.seasons = seasons.items;
        state.districts = districts.items;
        const asked = Number(Guatan.params.get("season"));
        const drawing = state.seasons.filter((s) => !["in_season", "closed"].includes(s.phase));
        state.year = asked || (drawing[0] || state.seasons[state.seasons.length - 1] || {}).year || null;
      }
      state.data = state.year ? await api(`/api/v1/seasons/${state.year}/allocation` + (state.district ? `?district=${state.district}` : ""), { auth: false }) : null;
      render();
      document.body.dataset.ready = "true";
    } catch (error) {
      app.replaceChildren(el("div", { class: "message error", role: "alert" }, explain(error)));
    }
  }

  load();
  Guatan.onLanguage(() => { if (state.data) render(); });
})();
