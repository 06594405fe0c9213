// The administrator's dashboard: the season at a glance (check-in rate per day and district,
// cases by category and status, time-limit compliance, hotspots on the map), permits and their
// moves, registering vendors and issuing permits, the season's allocation (open next year, the
// window, review counts, the draw, the notice's objections, every permit at once), and the CSV exports.
"use strict";

(() => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("/admin.html");
  const app = document.getElementById("app");
  const panel = el("section", { id: "panel" });
  let tab = "overview";
  let districts = [];
  let categories = [];
  let season = null;
  let features = null;

  Guatan.requireSignIn(app, ["admin"], async () => {
    try {
      [districts, categories, season] = await Promise.all([
        api("/api/v1/districts", { auth: false }).then((d) => d.items), api("/api/v1/report-categories", { auth: false }).then((d) => d.items),
        api("/api/v1/seasons/current", { auth: false })]);
    } catch (error) { app.replaceChildren(el("div", { class: "message error" }, explain(error))); return; }
    frame();
    show("overview");
  });

  function districtName(code) { const d = districts.find((x) => x.code === code); return d ? (Guatan.lang === "zh" ? d.name : d.name_en) : code; }

  function frame() {
    app.replaceChildren(
      el("p", { class: "row" }, el("span", { class: "muted" }, t("signed_in_as", { name: Guatan.session().username })),
        el("button", { type: "button", class: "secondary", onclick: Guatan.signOut, style: "flex:0 0 auto" }, t("sign_out"))),
      el("div", { class: "tabs", role: "tablist" }, ["overview", "feedback", "allocation", "permits", "idle", "vendors", "accounts", "exports"].map((name) =>
        el("button", { type: "button", role: "tab", id: "tab-" + name, "aria-selected": String(name === tab), onclick: () => show(name) }, t("tab_" + name)))),
      panel);
  }

  function show(name) {
    tab = name;
    app.querySelectorAll(".tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.id === "tab-" + name)));
    panel.replaceChildren(el("p", { class: "muted" }, t("loading")));
    ({ overview, feedback, allocation, permits, idle, vendors, accounts, exports })[name]();
  }

  // The step each phase leads to, as the lifecycle runs it.
  const NEXT = { planning: "open_applications", applications_open: "close_applications", review: "draw", drawn: "start_notice",
    notice: "allocate", allocated: "start_season", in_season: "close_season" };

  /** The season's allocation: where it stands, the one next step, demand per site, objections to answer. */
  async function allocation(message) {
    let seasons;
    try { seasons = (await api("/api/v1/seasons", { auth: false })).items; } catch (error) { panel.replaceChildren(el("div", { class: "message error" }, explain(error))); return; }
    const result = el("div", { class: "hidden", id: "allocation-message" });
    const opener = el("form", { class: "card row", id: "open-season" },
      el("label", { class: "inline" }, t("season_pick"), el("input", { type: "number", id: "open-year", value: String((seasons.at(-1) || season).year + 1), min: "2000", max: "2100" })),
      el("label", { class: "inline" }, t("open_from"), el("input", { type: "number", id: "open-from", value: String((seasons.at(-1) || season).year), min: "2000", max: "2100" })),
      el("button", { type: "submit", style: "flex:0 0 auto" }, t("open_season")));
    opener.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const year = Number(document.getElementById("open-year").value);
        await api("/api/v1/admin/seasons", { method: "POST", json: { year, from: Number(document.getElementById("open-from").value) } });
        panel.dataset.season = String(year);
        allocation();
      } catch (error) { showMessage(result, "error", explain(error)); }
    });
    const drawing = seasons.filter((s) => !["in_season", "closed"].includes(s.phase));
    const year = Number(panel.dataset.season) || (drawing[0] || seasons.at(-1) || {}).year;
    if (!year) { panel.replaceChildren(opener, result); return; }
    let view, list;
    try {
      [view, list] = await Promise.all([api(`/api/v1/admin/seasons/${year}`), api(`/api/v1/seasons/${year}/allocation`, { auth: false })]);
    } catch (error) { panel.replaceChildren(opener, el("div", { class: "message error" }, explain(error))); return; }
    const plan = view.season;
    const pick = el("select", { id: "allocation-season" }, seasons.map((s) => el("option", { value: s.year, selected: s.year === year }, `${s.year} · ${t("phase_" + s.phase)}`)));
    pick.addEventListener("change", () => { panel.dataset.season = pick.value; allocation(); });
    // In review the list is published first, then drawn.
    const next = plan.phase === "review" && !list.list_published ? "publish_list" : NEXT[plan.phase];
    const step = el("form", { class: "card", id: "season-step" }, el("h3", {}, t("next_step")),
      next === "open_applications" ? [
        el("label", { for: "window-opens" }, t("window_opens")), el("input", { type: "date", id: "window-opens", value: plan.applications_open_on || season.today }),
        el("label", { for: "window-closes" }, t("window_closes")), el("input", { type: "date", id: "window-closes", value: plan.applications_close_on || "" })] : null,
      next ? el("p", {}, el("button", { type: "submit", id: "season-next", "data-action": next }, t("act_" + next))) : null);
    step.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { action: next };
      if (next === "open_applications") {
        body.applications_open_on = document.getElementById("window-opens").value;
        body.applications_close_on = document.getElementById("window-closes").value;
      }
      try {
        const moved = await api(`/api/v1/admin/seasons/${year}/transitions`, { method: "POST", json: body });
        panel.dataset.season = String(year);
        allocation(t("step_done", { phase: t("phase_" + moved.phase) }));
      } catch (error) { showMessage(result, "error", explain(error)); }
    });
    const counts = Object.entries(view.applications_by_status);
    const open = list.objections.filter((o) => o.status === "open");
    panel.replaceChildren(
      el("p", { class: "row" }, pick),
      el("p", { id: "season-phase" }, t("season_phase", { phase: t("phase_" + plan.phase) }),
        plan.applications_open_on ? el("span", { class: "muted" }, " · " + t("alloc_window", { opens: plan.applications_open_on, closes: plan.applications_close_on })) : null),
      result, step,
      el("section", { class: "card" }, el("h3", {}, t("by_status")),
        counts.length ? el("dl", { class: "facts", id: "application-counts" }, counts.flatMap(([status, n]) => [el("dt", {}, status), el("dd", {}, String(n))])) : el("p", { class: "muted" }, t("none"))),
      el("section", { class: "card" }, el("h3", {}, t("oversubscribed")),
        view.oversubscribed.length ? el("div", { class: "scroll" }, el("table", { class: "data", id: "oversubscribed" }, el("tbody", {}, view.oversubscribed.slice(0, 50).map((d) =>
          el("tr", {}, el("td", {}, `${d.site_name}（${d.site_id}）`), el("td", {}, t("applicants", { n: d.named, slots: d.slots })), el("td", {}, d.ratio.toFixed(1) + "×")))))) : el("p", { class: "muted" }, t("none"))),
      el("section", { class: "card", id: "objections-to-answer" }, el("h3", {}, t("objections")),
        open.length ? el("ul", { class: "list" }, open.map((o) => objectionItem(o, year))) : el("p", { class: "muted" }, t("none"))),
      el("p", {}, el("a", { href: `/allocation.html?season=${year}` }, t("see_allocation"))),
      opener);
    if (message) showMessage(result, "ok", message);
  }

  function objectionItem(objection, year) {
    const answer = el("textarea", { id: "answer-" + objection.objection_no, maxlength: "500" });
    const box = el("div", { class: "hidden" });
    const decide = async (uphold) => {
      try {
        await api(`/api/v1/admin/objections/${objection.objection_no}/answer`, { method: "POST", json: { uphold, answer: answer.value.trim() } });
        panel.dataset.season = String(year);
        allocation();
      } catch (error) { showMessage(box, "error", explain(error)); }
    };
    return el("li", { "data-objection": objection.objection_no }, el("strong", {}, `${objection.objection_no} · ${objection.application_no}`),
      el("div", {}, objection.reason), el("label", { for: "answer-" + objection.objection_no }, t("answer")), answer,
      el("p", { class: "row" }, el("button", { type: "button", class: "danger", onclick: () => decide(true) }, t("uphold")),
        el("button", { type: "button", class: "secondary", onclick: () => decide(false) }, t("dismiss"))), box);
  }

  function period() {
    const from = el("input", { type: "date", id: "from", value: (panel.dataset.from || season.starts_on) });
    const to = el("input", { type: "date", id: "to", value: (panel.dataset.to || (season.today < season.ends_on ? season.today : season.ends_on)) });
    return { from, to, form: el("form", { class: "row", id: "period" },
      el("label", { class: "inline" }, t("period_from"), from), el("label", { class: "inline" }, t("period_to"), to),
      el("button", { type: "submit", style: "flex:0 0 auto" }, t("refresh"))) };
  }

  const STATUS_GROUPS = [["waiting", ["submitted", "accepted"]], ["working", ["dispatched", "handled", "verified"]], ["closed", ["closed"]], ["other", ["rejected", "duplicate"]]];
  const GROUP_NAMES = { zh: { waiting: "待受理", working: "办理中", closed: "已结案", other: "不立案" }, en: { waiting: "Waiting", working: "In hand", closed: "Closed", other: "Not taken" } };

  async function overview() {
    const p = period();
    p.form.addEventListener("submit", (e) => { e.preventDefault(); panel.dataset.from = p.from.value; panel.dataset.to = p.to.value; overview(); });
    let stats;
    try {
      stats = await api(`/api/v1/admin/stats?from=${p.from.value}&to=${p.to.value}`);
    } catch (error) { panel.replaceChildren(p.form, el("div", { class: "message error", role: "alert" }, explain(error))); return; }

    // Drawn at the screen's width so the labels stay legible on a phone.
    const width = Math.max(320, Math.min(720, (panel.clientWidth || 360) - 28));
    // Check-in rate: one line per district over the days with permits in force.
    const series = [...new Set(stats.checkin_rates.map((r) => r.district))].map((code) => ({
      name: districtName(code),
      points: stats.checkin_rates.filter((r) => r.district === code && r.issued > 0).map((r) => ({ x: r.date, y: r.rate })),
    })).filter((s) => s.points.length);
    const rateChart = series.length ? GuatanCharts.lines(series, { label: t("chart_checkin"), width }) : el("p", { class: "muted" }, t("no_data"));

    // Cases by category, stacked by where they stand.
    const names = GROUP_NAMES[Guatan.lang] || GROUP_NAMES.zh;
    const rows = categories.map((c) => {
      const counts = stats.reports_by_category[c.code] || {};
      return { label: Guatan.lang === "zh" ? c.name : c.name_en, parts: STATUS_GROUPS.map(([group, statuses]) => ({ name: names[group], value: statuses.reduce((s, x) => s + (counts[x] || 0), 0) })) };
    }).filter((r) => r.parts.some((part) => part.value));
    const reportChart = rows.length ? GuatanCharts.bars(rows, { label: t("chart_reports"), names: STATUS_GROUPS.map(([g]) => names[g]), width }) : el("p", { class: "muted" }, t("no_data"));

    // Where the cases came from (the stall's code, Open311, the hotline, visitors, patrols), by district.
    const channelDistricts = [...new Set(Object.values(stats.reports_by_channel || {}).flatMap((byDistrict) => Object.keys(byDistrict)))].sort();
    const channelRows = ["web", "open311", "hotline", "walk_in", "officer"].filter((c) => (stats.reports_by_channel || {})[c]).map((c) => ({
      label: t("ch_" + c), parts: channelDistricts.map((d) => ({ name: districtName(d), value: stats.reports_by_channel[c][d] || 0 })),
    }));
    const channelChart = channelRows.length ? GuatanCharts.bars(channelRows, { label: t("chart_channels"), names: channelDistricts.map(districtName), width }) : el("p", { class: "muted" }, t("no_data"));

    const share = stats.closed_within_time_limit_share;
    const compliance = el("div", { class: "card", id: "compliance" }, el("h2", {}, t("compliance")),
      el("div", { class: "points" }, share === null || share === undefined ? "—" : Math.round(share * 1000) / 10 + "%"),
      el("div", {}, t("compliance_detail", { closed: stats.closed_within_time_limit, total: stats.cases_with_time_limit })),
      stats.median_handling_minutes ? el("div", { class: "small muted" }, t("median_handling", { n: Math.round(stats.median_handling_minutes) })) : null);

    const inspectionRows = Object.entries(stats.inspections_by_district).map(([code, n]) => ({ label: districtName(code), parts: [{ name: t("total"), value: n }] }));
    const inspectionChart = inspectionRows.length ? GuatanCharts.bars(inspectionRows, { label: t("inspections_by_district"), width }) : el("p", { class: "muted" }, t("no_data"));

    const mapBox = el("div", { id: "map", style: "height:45vh" });
    const hotspotList = stats.hotspots.length ? el("ol", { id: "hotspots" }, stats.hotspots.map((h) => el("li", { "data-site": h.site_id }, `${h.site_name}（${h.site_id}）· ${h.reports}`)))
      : el("p", { class: "muted", id: "hotspots" }, t("no_data"));

    panel.replaceChildren(p.form,
      el("div", { class: "card", id: "chart-checkin" }, el("h2", {}, t("chart_checkin")), el("div", { class: "scroll" }, rateChart)),
      el("div", { class: "grid2" },
        el("div", { class: "card", id: "chart-reports" }, el("h2", {}, t("chart_reports")), reportChart),
        el("div", {}, compliance, el("div", { class: "card", id: "chart-inspections" }, el("h2", {}, t("inspections_by_district")), inspectionChart))),
      el("div", { class: "card", id: "chart-channels" }, el("h2", {}, t("chart_channels")), channelChart),
      el("div", { class: "card" }, el("h2", {}, t("hotspots")), mapBox,
        el("div", { class: "legend" }, el("span", { style: "--c:#c53030" }, t("legend_hotspot")), el("span", { style: "--c:#2f855a" }, t("legend_open")), el("span", { style: "--c:#d69e2e" }, t("legend_assigned"))),
        hotspotList));
    try {
      if (!features) features = (await api("/api/v1/map.geojson", { auth: false })).features;
      const map = await GuatanMap.create(mapBox, (f) => {});
      const hot = new Set(stats.hotspots.map((h) => h.site_id));
      await map.show(features, { highlight: hot });
      const hotFeatures = features.filter((f) => hot.has(f.properties.site_id));
      if (hotFeatures.length) map.refit(hotFeatures);
    } catch (_) { mapBox.replaceChildren(el("p", { class: "muted" }, t("no_data"))); }
  }

  async function permits(page = 1, state = "", district = "") {
    const stateSelect = el("select", { id: "permit-state", "aria-label": t("permit_state") }, el("option", { value: "" }, t("all_states")),
      ["requested", "reviewed", "approved", "issued", "suspended", "revoked", "rejected", "expired"].map((s) => el("option", { value: s, selected: s === state }, t("ps_" + s))));
    const districtSelect = el("select", { id: "permit-district", "aria-label": t("district") }, el("option", { value: "" }, t("all_districts")),
      districts.map((d) => el("option", { value: d.code, selected: d.code === district }, districtName(d.code))));
    const reload = () => permits(1, stateSelect.value, districtSelect.value);
    stateSelect.addEventListener("change", reload);
    districtSelect.addEventListener("change", reload);
    const message = el("div", { class: "hidden", id: "permit-result" });
    let data;
    try {
      const query = new URLSearchParams({ page, per_page: 50, season: season.year });
      if (state) query.set("state", state);
      if (district) query.set("district", district);
      data = await api("/api/v1/permits?" + query);
    } catch (error) { panel.replaceChildren(el("div", { class: "message error", role: "alert" }, explain(error))); return; }
    const reason = el("input", { type: "text", id: "permit-reason", placeholder: t("reason"), "aria-label": t("reason") });
    const act = async (permit, action) => {
      try {
        const body = { action };
        if (reason.value.trim()) body.reason = reason.value.trim();
        const done = await api(`/api/v1/permits/${encodeURIComponent(permit.permit_no)}/transitions`, { method: "POST", json: body });
        await permits(page, state, district);
        showMessage(document.getElementById("permit-result"), "ok", `${done.permit_no}: ${t("ps_" + done.status)}`);
      } catch (error) { showMessage(message, "error", explain(error)); }
    };
    const pages = Math.max(1, Math.ceil(data.total / data.per_page));
    panel.replaceChildren(
      el("div", { class: "row" }, stateSelect, districtSelect), el("p", {}, reason), message,
      el("p", { class: "muted" }, `${data.total} · ${page}/${pages}`),
      el("div", { class: "scroll" }, el("table", { class: "data", id: "permits" }, el("tbody", {}, data.items.map((permit) => el("tr", { "data-permit": permit.permit_no },
        el("td", {}, permit.permit_no, el("div", { class: "small muted" }, `${permit.holder_name} · ${permit.vehicle_plate}`)),
        el("td", {}, permit.slot_id, el("div", { class: "small muted" }, (permit.produce || []).join("、"))),
        el("td", {}, el("span", { class: "chip plain" }, t("ps_" + permit.status))),
        el("td", {}, (permit.allowed_actions || []).map((action) => el("button", { type: "button", class: "secondary", "data-action": action, style: "margin:.1rem", onclick: () => act(permit, action) },
          t(action === "reject" ? "act_reject_permit" : "act_" + action))))))))),
      el("p", { class: "row" },
        page > 1 ? el("button", { type: "button", class: "secondary", onclick: () => permits(page - 1, state, district) }, "←") : null,
        page < pages ? el("button", { type: "button", class: "secondary", onclick: () => permits(page + 1, state, district) }, "→") : null));
  }

  /** The loop's bureau side (督办): cases past their limit, extension requests to answer, cases
   *  the squads sent back to place again, and the receivers of the outbox with their failures. */
  async function feedback() {
    let late, pending, back, hooks, dead, squads;
    try {
      [late, pending, back, hooks, dead, squads] = await Promise.all(["/api/v1/admin/escalations", "/api/v1/admin/report-extensions", "/api/v1/admin/sent-back",
        "/api/v1/admin/webhooks", "/api/v1/admin/webhooks/dead-letters", "/api/v1/admin/scorecards"].map((path) => api(path)));
    } catch (error) { panel.replaceChildren(el("div", { class: "message error", role: "alert" }, explain(error))); return; }
    const message = el("div", { class: "hidden", id: "feedback-result" });
    const run = async (work, done) => {
      try { await work(); await feedback(); showMessage(document.getElementById("feedback-result"), "ok", done); } catch (error) { showMessage(message, "error", explain(error)); }
    };
    const caseLink = (r) => el("a", { href: "/officer.html?case=" + encodeURIComponent(r.report_id) }, `${r.report_id} · ${r.category_name}`);
    const escalations = el("section", { class: "card", id: "escalations" }, el("h2", {}, t("fb_escalations"), " ", el("span", { class: "chip overdue" }, String(late.total))),
      late.items.length ? el("ul", { class: "list" }, late.items.map((r) => el("li", { "data-report": r.report_id }, caseLink(r),
        el("div", { class: "small muted" }, [districtName(r.district), t("ch_" + r.channel), t("due", { time: Guatan.formatTime(r.due_at) })].join(" · "))))) : el("p", { class: "muted" }, t("none")));
    const extensions = el("section", { class: "card", id: "extensions" }, el("h2", {}, t("fb_extensions")),
      pending.items.length ? el("ul", { class: "list" }, pending.items.map((x) => {
        const answer = el("input", { type: "text", "aria-label": t("answer"), placeholder: t("answer"), maxlength: 500 });
        const decide = (approve) => run(() => api(`/api/v1/report-extensions/${x.extension_id}/decision`, { method: "POST", json: { approve, answer: answer.value.trim() } }),
          t(approve ? "fb_approved" : "fb_refused", { id: x.report_id }));
        return el("li", { "data-extension": String(x.extension_id) },
          el("a", { href: "/officer.html?case=" + encodeURIComponent(x.report_id) }, x.report_id), " · ", districtName(x.district),
          el("div", { class: "small" }, t("fb_until", { time: Guatan.formatTime(x.new_due_at) }) + "：" + x.reason),
          answer, el("p", { class: "row" },
            el("button", { type: "button", "data-action": "approve", onclick: () => decide(true) }, t("fb_approve")),
            el("button", { type: "button", class: "secondary", "data-action": "refuse", onclick: () => decide(false) }, t("fb_refuse"))));
      })) : el("p", { class: "muted" }, t("none")));
    const sentBack = el("section", { class: "card", id: "sent-back" }, el("h2", {}, t("fb_sent_back")),
      back.items.length ? el("ul", { class: "list" }, back.items.map((r) => {
        const to = el("select", { "aria-label": t("district") }, districts.map((d) => el("option", { value: d.code, selected: d.code === r.district }, districtName(d.code))));
        const note = el("input", { type: "text", "aria-label": t("public_note"), placeholder: t("public_note"), maxlength: 1000 });
        const why = [...r.timeline].reverse().find((e) => e.action === "send_back");
        return el("li", { "data-report": r.report_id }, caseLink(r),
          why && why.internal_note ? el("div", { class: "small" }, "🔒 " + why.internal_note) : null,
          el("p", { class: "row" }, to,
            el("button", { type: "button", "data-action": "dispatch", onclick: () => run(() => api(`/api/v1/reports/${encodeURIComponent(r.report_id)}/transitions`,
              { method: "POST", json: { action: "dispatch", district: to.value } }), t("fb_redispatched", { id: r.report_id })) }, t("act_dispatch"))),
          el("p", { class: "row" }, note,
            el("button", { type: "button", class: "secondary", "data-action": "reject", onclick: () => run(() => api(`/api/v1/reports/${encodeURIComponent(r.report_id)}/transitions`,
              { method: "POST", json: { action: "reject", public_note: note.value.trim() } }), t("fb_rejected", { id: r.report_id })) }, t("act_reject"))));
      })) : el("p", { class: "muted" }, t("none")));
    const name = el("input", { type: "text", id: "hook-name", required: true, maxlength: 100 });
    const url = el("input", { type: "url", id: "hook-url", required: true, placeholder: "https://" });
    const register = el("form", { id: "hook-form" }, el("h3", {}, t("fb_register")),
      el("label", { for: "hook-name" }, t("fb_hook_name")), name, el("label", { for: "hook-url" }, "URL"), url,
      el("p", {}, el("button", { type: "submit" }, t("fb_register"))));
    register.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const made = await api("/api/v1/admin/webhooks", { method: "POST", json: { name: name.value.trim(), url: url.value.trim() } });
        await feedback();
        // The secret is shown this once: the receiver checks signatures with it.
        showMessage(document.getElementById("feedback-result"), "ok", t("fb_secret", { secret: made.secret }));
      } catch (error) { showMessage(message, "error", explain(error)); }
    });
    const webhooks = el("section", { class: "card", id: "webhooks" }, el("h2", {}, t("fb_webhooks")),
      hooks.items.length ? el("ul", { class: "list" }, hooks.items.map((h) => el("li", { "data-endpoint": String(h.endpoint_id) },
        el("strong", {}, h.name), " ", el("span", { class: "chip " + (!h.active ? "plain" : h.failing_attempts ? "overdue" : "good") }, t(!h.active ? "fb_paused" : h.failing_attempts ? "fb_failing" : "fb_ok")),
        el("div", { class: "small muted hash" }, h.url),
        el("div", { class: "small" }, t("fb_delivered", { n: h.delivered_count }) + (h.last_error ? " · " + t("fb_last_error", { error: h.last_error }) : "")
          + (h.next_attempt_at ? " · " + t("fb_next", { time: Guatan.formatTime(h.next_attempt_at) }) : "")),
        el("button", { type: "button", class: "secondary", "data-action": h.active ? "pause" : "resume",
          onclick: () => run(() => api(`/api/v1/admin/webhooks/${h.endpoint_id}/${h.active ? "pause" : "resume"}`, { method: "POST" }), h.name) }, t(h.active ? "fb_pause" : "fb_resume"))))) : el("p", { class: "muted" }, t("none")),
      dead.items.length ? [el("h3", {}, t("fb_dead")), el("ul", { class: "list", id: "dead-letters" }, dead.items.map((d) => el("li", {},
        `${d.event.id} · ${d.event.type} · ${d.event.entity_id}`, el("div", { class: "small muted" }, `${Guatan.formatTime(d.dead_at)} · ${d.last_error || ""}`))))] : null,
      register);
    // 数字城管's figures for this month: handled within the limit (bars) and the rest in a table.
    const percent = (v) => (v === null || v === undefined ? "—" : Math.round(v * 100) + "%");
    const minutes = (v) => (v === null || v === undefined ? "—" : Math.round(v) + "′");
    const width = Math.max(320, Math.min(720, (panel.clientWidth || 360) - 28));
    const scorecards = el("section", { class: "card", id: "scorecards" }, el("h2", {}, t("fb_scorecards", { from: squads.from, to: squads.to })),
      squads.items.length ? [
        GuatanCharts.bars(squads.items.map((c) => ({ label: districtName(c.key), parts: [{ name: t("fb_in_time"), value: c.handled_in_time }, { name: t("fb_late"), value: c.handled - c.handled_in_time }] })),
          { label: t("fb_scorecards", { from: squads.from, to: squads.to }), names: [t("fb_in_time"), t("fb_late")], width }),
        el("div", { class: "scroll" }, el("table", { class: "data" },
          el("thead", {}, el("tr", {}, ["district", "fb_received", "fb_on_time", "fb_rework", "fb_reopen", "fb_satisfaction", "fb_avg", "fb_p90"].map((k) => el("th", {}, t(k))))),
          el("tbody", {}, squads.items.map((c) => el("tr", { "data-district": c.key }, el("td", {}, districtName(c.key)), el("td", {}, String(c.received)),
            el("td", {}, percent(c.on_time_rate)), el("td", {}, percent(c.rework_rate)), el("td", {}, percent(c.reopen_rate)), el("td", {}, percent(c.satisfaction)),
            el("td", {}, minutes(c.average_handling_minutes)), el("td", {}, minutes(c.p90_handling_minutes))))))),
        el("p", {}, el("button", { type: "button", class: "secondary", id: "scorecards-csv", onclick: async () => {
          // A bearer token cannot ride on a plain link: fetched, then handed to the browser as a file.
          try {
            const response = await fetch(`/api/v1/admin/scorecards?format=csv&from=${squads.from}&to=${squads.to}`, { headers: { Authorization: "Bearer " + Guatan.session().token } });
            if (!response.ok) throw new Guatan.APIError(response.status, await response.json().catch(() => null));
            const url = URL.createObjectURL(await response.blob());
            const link = el("a", { href: url, download: `guatan-scorecards-${squads.from}-${squads.to}.csv` });
            document.body.append(link); link.click(); link.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10000);
          } catch (error) { showMessage(message, "error", explain(error)); }
        } }, "CSV"))]
        : el("p", { class: "muted" }, t("no_data")));
    panel.replaceChildren(message, scorecards, escalations, extensions, sentBack, webhooks);
  }

  /** Stalls standing idle: warn the holder (he sees it on his page), then take the slot back for the waiting list. */
  async function idle(days = 5) {
    const message = el("div", { class: "hidden", id: "idle-result" });
    const daysInput = el("input", { type: "number", id: "idle-days", value: String(days), min: "1", max: "120", "aria-label": t("idle_min_days") });
    daysInput.addEventListener("change", () => idle(Number(daysInput.value) || 5));
    let data;
    try { data = await api(`/api/v1/admin/idle-permits?days=${days}`); } catch (error) { panel.replaceChildren(el("div", { class: "message error", role: "alert" }, explain(error))); return; }
    const act = async (permit, action) => {
      try {
        const done = await api(`/api/v1/admin/idle-permits/${encodeURIComponent(permit.permit_no)}/${action}`, { method: "POST", json: action === "warn" ? {} : undefined });
        await idle(days);
        showMessage(document.getElementById("idle-result"), "ok", action === "warn" ? t("idle_warned", { permit: done.permit_no, date: done.reclaim_on }) : t("idle_reclaimed", { permit: done.permit_no }));
      } catch (error) { showMessage(message, "error", explain(error)); }
    };
    panel.replaceChildren(
      el("p", { class: "row" }, el("label", { class: "inline" }, t("idle_min_days"), daysInput)),
      el("p", { class: "small muted" }, t("idle_explain")), message,
      data.items.length ? el("div", { class: "scroll" }, el("table", { class: "data", id: "idle-permits" }, el("tbody", {}, data.items.map((permit) => el("tr", { "data-permit": permit.permit_no },
        el("td", {}, permit.permit_no, el("div", { class: "small muted" }, `${permit.slot_id} · ${districtName(permit.district)}`)),
        el("td", {}, t("idle_days", { n: permit.idle_days }), el("div", { class: "small muted" }, permit.last_check_in ? t("idle_last", { date: permit.last_check_in }) : t("idle_never"))),
        el("td", {}, permit.warned_at ? t("idle_reclaim_on", { date: permit.reclaim_on }) : "—"),
        el("td", {},
          el("button", { type: "button", class: "secondary", "data-action": "warn", style: "margin:.1rem", onclick: () => act(permit, "warn") }, t(permit.warned_at ? "idle_warn_again" : "idle_warn")),
          permit.warned_at && permit.reclaim_on <= season.today
            ? el("button", { type: "button", class: "danger", "data-action": "reclaim", style: "margin:.1rem", onclick: () => act(permit, "reclaim") }, t("idle_reclaim")) : null))))))
        : el("p", { class: "muted" }, t("idle_none")));
  }

  function vendors() {
    const field = (name, key, type = "text", extra = {}) => [el("label", { for: "v-" + name }, t(key)), el("input", { type, id: "v-" + name, name, required: true, ...extra })];
    const message = el("div", { class: "hidden", id: "vendor-result" });
    const form = el("form", { class: "card", id: "vendor-form" }, el("h2", {}, t("new_vendor")),
      field("name", "vendor_name"), field("phone", "phone", "tel", { maxlength: 11 }), field("id_card_no", "id_card", "text", { maxlength: 18 }),
      field("origin", "origin"), field("vehicle_plate", "plate"), field("produce", "produce"),
      field("username", "username", "text", { autocomplete: "off" }), field("password", "password", "password", { autocomplete: "new-password", minlength: 10 }),
      el("p", {}, el("button", { type: "submit" }, t("submit"))), message);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(new FormData(form));
      values.produce = values.produce.split(/[,，、\s]+/).filter(Boolean);
      try {
        const vendor = await api("/api/v1/admin/vendors", { method: "POST", json: values });
        showMessage(message, "ok", t("vendor_created", { id: vendor.vendor_id, username: values.username }));
        form.reset();
      } catch (error) { showMessage(message, "error", explain(error)); }
    });
    const permitMessage = el("div", { class: "hidden", id: "issue-result" });
    const permitForm = el("form", { class: "card", id: "issue-form" }, el("h2", {}, t("act_issue")),
      el("label", { for: "p-vendor" }, "vendor_id"), el("input", { type: "text", id: "p-vendor", name: "vendor_id", required: true }),
      el("label", { for: "p-slot" }, t("slot_id")), el("input", { type: "text", id: "p-slot", name: "slot_id", required: true }),
      el("label", { for: "p-produce" }, t("produce")), el("input", { type: "text", id: "p-produce", name: "produce", required: true }),
      el("p", {}, el("button", { type: "submit" }, t("act_issue"))), permitMessage);
    permitForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(new FormData(permitForm));
      try {
        const permit = await api("/api/v1/admin/permits", { method: "POST", json: {
          vendor_id: values.vendor_id.trim().toUpperCase(), slot_id: values.slot_id.trim().toUpperCase(), season: season.year,
          produce: values.produce.split(/[,，、\s]+/).filter(Boolean), issue: true } });
        showMessage(permitMessage, "ok", `${permit.permit_no}: ${t("ps_" + permit.status)}`);
        permitForm.reset();
      } catch (error) { showMessage(permitMessage, "error", explain(error)); }
    });
    panel.replaceChildren(el("div", { class: "grid2" }, form, permitForm));
  }

  /** Who can sign in: take access back from a lost phone or a departed officer at once. */
  async function accounts() {
    const message = el("div", { class: "hidden", id: "account-result" });
    let list;
    try { list = (await api("/api/v1/admin/users")).items; } catch (error) { panel.replaceChildren(el("div", { class: "message error" }, explain(error))); return; }
    const act = async (user, action) => {
      try {
        await api(`/api/v1/admin/users/${encodeURIComponent(user.username)}/${action}`, { method: "POST", json: {} });
        await accounts();
        showMessage(document.getElementById("account-result"), "ok", t("acct_done_" + action, { name: user.username }));
      } catch (error) { showMessage(message, "error", explain(error)); }
    };
    // Staff by default; a vendor's account is found by typing (a season has thousands).
    const filter = el("input", { type: "search", id: "account-filter", placeholder: t("username"), autocomplete: "off" });
    const items = el("ul", { class: "plain", id: "accounts" });
    const item = (user) => el("li", { "data-user": user.username, class: "card" },
      el("strong", {}, user.username), " ", el("span", { class: "chip plain" }, user.role),
      el("div", { class: "small muted" }, [user.district || user.vendor_id,
        user.disabled_at ? t("acct_disabled", { at: user.disabled_at.slice(0, 16).replace("T", " ") }) : t("acct_active", { n: user.live_sessions })].filter(Boolean).join(" · ")),
      user.username === Guatan.session().username ? null : el("button", { type: "button", class: "secondary", "data-action": user.disabled_at ? "enable" : "disable",
        onclick: () => act(user, user.disabled_at ? "enable" : "disable") }, t(user.disabled_at ? "act_enable" : "act_disable")));
    const draw = () => {
      const wanted = filter.value.trim().toLowerCase();
      items.replaceChildren(...list.filter((u) => wanted ? u.username.includes(wanted) : u.role !== "vendor").slice(0, 100).map(item));
    };
    filter.addEventListener("input", draw);
    draw();
    const table = el("div", { class: "card" }, el("h2", {}, t("accounts_title")), message, el("label", { for: "account-filter" }, t("username")), filter, items);
    panel.replaceChildren(el("div", { class: "grid2" }, table, Guatan.passwordForm()));
  }

  function exports() {
    const p = period();
    const message = el("div", { class: "hidden" });
    const download = async (kind) => {
      try {
        const response = await fetch(`/api/v1/admin/exports/${kind}.csv?from=${p.from.value}&to=${p.to.value}`, { headers: { Authorization: "Bearer " + Guatan.session().token } });
        if (!response.ok) throw new Guatan.APIError(response.status, await response.json().catch(() => null));
        const url = URL.createObjectURL(await response.blob());
        const link = el("a", { href: url, download: `guatan-${kind}-${p.from.value}-${p.to.value}.csv` });
        document.body.append(link); link.click(); link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (error) { showMessage(message, "error", explain(error)); }
    };
    p.form.addEventListener("submit", (e) => e.preventDefault());
    p.form.querySelector("button").remove();
    panel.replaceChildren(el("div", { class: "card" }, p.form, el("p", { class: "muted" }, t("export_hint")),
      el("div", { class: "row" }, ["checkins", "reports", "inspections", "permits"].map((kind) =>
        el("button", { type: "button", class: "secondary", "data-export": kind, onclick: () => download(kind) }, t("export_" + kind)))), message));
  }

  Guatan.onLanguage(() => { if (season) { frame(); show(tab); } });
})();
