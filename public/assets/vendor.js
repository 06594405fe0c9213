// The vendor's page: where his application for the coming season stands (the window, review,
// the draw, the notice, a waitlist offer with its deadline), his permit (and giving it up),
// points, one big check-in button with the phone's position, the check-out and the history.
// A refusal is told in plain words (how far; when the hours are; when the window opens).
"use strict";

(() => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("/vendor.html");
  const app = document.getElementById("app");

  Guatan.requireSignIn(app, ["vendor"], () => load());

  let state = { me: null, permit: null, permits: [], points: null, today: null, history: [], season: null, allocation: null, sites: null, record: null };

  /** A warning that his idle stall will be taken back: first on the page, in words. */
  function idleWarning() {
    const live = (state.record ? state.record.idle_warnings : []).filter((w) => state.permit && w.permit_no === state.permit.permit_no && state.permit.status === "issued");
    if (!live.length) return null;
    return el("div", { class: "message error", role: "alert", id: "idle-warning" }, t("idle_warning", { permit: live[0].permit_no, date: live[0].reclaim_on }));
  }

  /** Seasons worked, days open, points lost, bars: what renewal looks back on. */
  function recordCard() {
    const record = state.record;
    if (!record || (!record.seasons.length && !record.bars.length)) return null;
    return el("section", { class: "card", id: "record" }, el("h2", {}, t("my_record")),
      el("ul", { class: "list" }, record.seasons.map((s) => el("li", {},
        el("strong", {}, `${s.season} · ${s.slot_id} `), el("span", { class: "chip " + (s.status === "revoked" ? "bad" : "plain") }, t("ps_" + s.status)),
        el("div", { class: "small" }, [t("rec_days", { days: s.check_in_days, share: Math.round(s.check_in_share * 100) }),
          s.points_deducted ? t("rec_points", { n: s.points_deducted }) : null,
          s.months_at_zero_points ? t("rec_zero", { n: s.months_at_zero_points }) : null].filter(Boolean).join(" · "))))),
      record.bars.map((b) => el("p", { class: "small" }, t("rec_bar", { season: b.season, reason: b.reason }),
        b.lifted_at ? t("rec_bar_lifted", { reason: b.lift_reason || "" }) : null)));
  }

  /** The season's application: a line for each stage, the form while the window is open. */
  function allocationCard() {
    const a = state.allocation;
    if (!a) return null;
    // A season already under way that he did not apply for is no news on his page.
    if (!a.application && a.stage === "window_closed" && ["allocated", "in_season", "closed"].includes(a.season.phase)) return null;
    const year = a.season.year;
    const app = a.application;
    const window = a.season.applications_open_on
      ? t("alloc_window", { opens: a.season.applications_open_on, closes: a.season.applications_close_on }) : t("alloc_no_window");
    const lines = [];
    switch (a.stage) {
      case "apply": lines.push(t("st_apply", { year }), el("span", { class: "muted" }, " " + window)); break;
      case "wait_for_window": lines.push(t("st_wait_for_window", { year }), " ", window); break;
      case "window_closed": lines.push(t("st_window_closed", { year })); break;
      case "in_review": lines.push(t("st_in_review", { no: app.application_no })); break;
      case "rejected": lines.push(t("st_rejected", { reason: app.reason || "" })); break;
      case "wait_for_draw": lines.push(t("st_wait_for_draw", { no: app.application_no })); break;
      case "allocated": lines.push(t("st_allocated", { slot: app.slot_id, until: a.season.notice_ends_on || "" })); break;
      case "waitlisted": lines.push(t("st_waitlisted"), " ", a.waitlist.map((w) => t("st_wait_place", { site: w.site_id, n: w.position })).join("；")); break;
      case "offer": {
        const offer = a.offers.find((o) => o.status === "open");
        lines.push(t("st_offer", { slot: offer.slot_id, deadline: Guatan.formatTime(offer.deadline) }));
        break;
      }
      case "permit": lines.push(t("st_permit", { permit: app.permit_no })); break;
      case "barred": lines.push(t("st_barred", { year, reason: a.barred || "" })); break;
      default: lines.push(t("st_not_allocated"));
    }
    const result = el("div", { id: "allocation-result", class: "hidden" });
    const card = el("section", { class: "card", id: "allocation", "data-stage": a.stage }, el("h2", {}, t("alloc_title", { year })),
      el("p", { id: "allocation-stage" }, lines),
      a.stage === "offer" ? offerButtons(a.offers.find((o) => o.status === "open"), result) : null,
      a.stage === "apply" ? applyForm(a, result) : null,
      ["wait_for_draw", "allocated", "waitlisted"].includes(a.stage) ? el("p", {}, el("a", { href: "/allocation.html?season=" + year }, t("see_allocation"))) : null,
      result);
    return card;
  }

  function offerButtons(offer, result) {
    const take = el("button", { type: "button", id: "offer-accept" }, t("offer_accept"));
    const no = el("button", { type: "button", class: "secondary", id: "offer-decline" }, t("offer_decline"));
    take.addEventListener("click", async () => {
      take.disabled = no.disabled = true;
      try {
        const done = await api(`/api/v1/me/offers/${offer.offer_no}/accept`, { method: "POST" });
        await load();
        showMessage(document.getElementById("allocation-result"), "ok", t("offer_taken", { permit: done.permit_no }));
      } catch (error) { showMessage(result, "error", explain(error)); take.disabled = no.disabled = false; }
    });
    no.addEventListener("click", async () => {
      take.disabled = no.disabled = true;
      try {
        await api(`/api/v1/me/offers/${offer.offer_no}/decline`, { method: "POST" });
        await load();
        showMessage(document.getElementById("allocation-result"), "ok", t("offer_declined"));
      } catch (error) { showMessage(result, "error", explain(error)); take.disabled = no.disabled = false; }
    });
    return el("p", { class: "row" }, take, no);
  }

  /** Up to the season's number of sites in order, last year's stall to keep, the household,
   *  the produce and the village committee's certificate, photographed with the phone. */
  function applyForm(a, result) {
    const year = a.season.year;
    const sites = state.sites || [];
    const choices = [];
    for (let n = 1; n <= a.season.max_preferences; n++) {
      const select = el("select", { id: `preference-${n}`, name: "preferences" }, el("option", { value: "" }, t("pref_none")),
        sites.map((site) => el("option", { value: site.site_id }, `${site.name}（${site.site_id}，${site.slot_count} 个摊位）`)));
      choices.push(el("label", { for: `preference-${n}` }, t("pref_n", { n })), select);
    }
    const last = state.permits.find((p) => p.season === year - 1 && ["issued", "expired"].includes(p.status));
    const vendor = state.me && state.me.vendor;
    const form = el("form", { id: "apply-form" }, choices,
      last ? el("label", { class: "inline" }, el("input", { type: "checkbox", name: "renew", value: "true", id: "renew" }), t("renew_label", { slot: last.slot_id })) : null,
      el("label", { for: "produce" }, t("produce")), el("input", { type: "text", id: "produce", name: "produce", required: true, value: vendor ? (vendor.produce || []).join("、") : "" }),
      el("label", { for: "expected-kg" }, t("expected_kg")), el("input", { type: "number", id: "expected-kg", name: "expected_kg", required: true, min: "1", max: "100000", value: "500" }),
      el("label", { for: "household" }, t("household_label")), el("textarea", { id: "household", name: "household_id_cards", rows: "2" }),
      el("label", { for: "priority" }, t("priority_label")), el("input", { type: "text", id: "priority", name: "priority_claim", maxlength: "100" }),
      el("details", { id: "helpers" }, el("summary", {}, t("helpers_label")), [1, 2].map((n) => el("fieldset", {},
        el("label", { for: `helper-name-${n}` }, t("helper_name")), el("input", { type: "text", id: `helper-name-${n}`, name: "helper_name", maxlength: "20" }),
        el("label", { for: `helper-card-${n}` }, t("helper_card")), el("input", { type: "text", id: `helper-card-${n}`, name: "helper_id_card", maxlength: "18" }),
        el("label", { for: `helper-relation-${n}` }, t("helper_relation")), el("input", { type: "text", id: `helper-relation-${n}`, name: "helper_relation", maxlength: "10" })))),
      el("label", { for: "certificate" }, t("certificate")), el("input", { type: "file", id: "certificate", name: "certificate", accept: "image/*", capture: "environment", required: true }),
      el("p", {}, el("button", { type: "submit", id: "apply" }, t("apply_button"))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = document.getElementById("apply");
      button.disabled = true;
      const data = new FormData(form);
      data.set("season", String(year));
      data.set("household_id_cards", (data.get("household_id_cards") || "").split(/\s+/).filter(Boolean).join(","));
      // The sites chosen, in order, leaving out the empty choices.
      const kept = data.getAll("preferences").filter(Boolean);
      data.delete("preferences");
      kept.forEach((site) => data.append("preferences", site));
      try {
        const done = await api("/api/v1/season-applications", { method: "POST", form: data });
        await load();
        showMessage(document.getElementById("allocation-result"), "ok", t("applied", { no: done.application_no }));
      } catch (error) {
        showMessage(result, "error", explain(error));
        result.dataset.code = error.code || "";
        button.disabled = false;
      }
    });
    return form;
  }

  function permitCard() {
    const permit = state.permit;
    if (!permit) return el("section", { class: "card", id: "permit" }, el("h2", {}, t("my_permit")), el("p", {}, t("no_permit_yet")));
    const surrender = permit.status === "issued" ? el("button", { type: "button", class: "secondary", id: "surrender" }, t("surrender_button")) : null;
    const result = el("div", { class: "hidden", id: "surrender-result" });
    if (surrender) surrender.addEventListener("click", async () => {
      if (!window.confirm(t("surrender_confirm"))) return;
      surrender.disabled = true;
      try {
        await api(`/api/v1/me/permits/${permit.permit_no}/surrender`, { method: "POST", json: {} });
        await load();
        showMessage(document.getElementById("surrender-result"), "ok", t("surrendered"));
      } catch (error) { showMessage(result, "error", explain(error)); surrender.disabled = false; }
    });
    return el("section", { class: "card", id: "permit" }, el("h2", {}, t("my_permit")),
      el("dl", { class: "facts" },
        el("dt", {}, t("permit_no")), el("dd", {}, permit.permit_no),
        el("dt", {}, t("permit_status")), el("dd", {}, el("span", { class: "chip " + (permit.status === "issued" ? "good" : "bad") }, t("ps_" + permit.status))),
        el("dt", {}, t("stall")), el("dd", {}, el("a", { href: "/s/" + permit.slot_id }, `${permit.site_name} · ${permit.slot_id}`)),
        el("dt", {}, t("valid")), el("dd", {}, `${permit.valid_from || ""} – ${permit.valid_to || ""}`),
        el("dt", {}, t("produce")), el("dd", {}, (permit.produce || []).join("、"))),
      surrender ? el("p", {}, surrender) : null, result);
  }

  function pointsCard() {
    const points = state.points;
    if (!points || points.balance === null || points.balance === undefined) return null;
    const live = points.deductions.filter((d) => !d.annulled);
    return el("section", { class: "card", id: "points" }, el("h2", {}, t("points_left")),
      el("div", {}, el("span", { class: "points", id: "points-balance" }, String(points.balance)), " ", t("points_of", { n: points.monthly_points })),
      live.length ? [el("h3", {}, t("deductions")), el("ul", { class: "list" }, live.map((d) => el("li", {}, `−${d.points} · ${d.reason} · ${Guatan.formatTime(d.at)}`)))] : null);
  }

  function todayLine() {
    const today = state.today;
    if (!today) return t("today_not_yet");
    return today.checked_out_at ? t("checked_out_at", { time: Guatan.formatClock(today.checked_out_at) })
      : t("checked_in_already", { time: Guatan.formatClock(today.checked_in_at) });
  }

  function render() {
    const result = el("div", { id: "result", class: "hidden" });
    const checkIn = el("button", { type: "button", class: state.today ? "big secondary" : "big", id: "check-in" }, t("checkin_button"));
    const checkOut = el("button", { type: "button", class: "secondary", id: "check-out", disabled: !state.today || !!state.today.checked_out_at }, t("checkout_button"));
    checkIn.addEventListener("click", () => doCheckIn(checkIn, result));
    checkOut.addEventListener("click", () => doCheckOut(checkOut, result));
    Guatan.fill(app,
      el("p", { class: "row" }, el("span", { class: "muted" }, t("signed_in_as", { name: state.me ? (state.me.vendor ? state.me.vendor.name : state.me.username) : "" })),
        el("button", { type: "button", class: "secondary", onclick: Guatan.signOut, style: "flex:0 0 auto" }, t("sign_out"))),
      idleWarning(),
      // An open window or an offer with a deadline comes first: it is what he must act on.
      ["offer", "apply"].includes(state.allocation && state.allocation.stage) ? allocationCard() : null,
      el("section", { class: "card" },
        el("p", { id: "today", "data-checked-in": state.today ? "true" : "false" }, todayLine()),
        checkIn, result, el("p", {}, checkOut)),
      permitCard(), pointsCard(), recordCard(),
      ["offer", "apply"].includes(state.allocation && state.allocation.stage) ? null : allocationCard(),
      el("section", { class: "card", id: "history" }, el("h2", {}, t("history")),
        state.history.length ? el("table", { class: "data" }, el("tbody", {}, state.history.map((c) => el("tr", {},
          el("td", {}, c.business_date), el("td", {}, Guatan.formatClock(c.checked_in_at) + (c.checked_out_at ? "–" + Guatan.formatClock(c.checked_out_at) : "")),
          el("td", {}, c.distance_m !== null && c.distance_m !== undefined ? t("meters", { n: Math.round(c.distance_m) }) : c.method))))) : el("p", { class: "muted" }, t("none"))),
      el("details", { id: "password" }, el("summary", {}, t("change_password")), Guatan.passwordForm()));
  }

  async function load() {
    try {
      const [me, permits, points, season, allocation, record] = await Promise.all([
        api("/api/v1/me"), api("/api/v1/me/permits"), api("/api/v1/me/points").catch(() => null), api("/api/v1/seasons/current", { auth: false }),
        api("/api/v1/me/allocation").catch(() => null), api("/api/v1/me/record").catch(() => null)]);
      state.me = me;
      state.season = season;
      state.permits = permits.items;
      state.allocation = allocation;
      state.record = record;
      // The sites to choose from, once, while the window is open.
      if (allocation && allocation.stage === "apply" && !state.sites) state.sites = await Guatan.allPages("/api/v1/sites");
      // This season's permit first: the one in force, else the newest.
      const ofSeason = permits.items.filter((p) => p.season === season.year);
      state.permit = ofSeason.find((p) => p.status === "issued") || ofSeason[0] || permits.items[0] || null;
      state.points = points;
      const history = await api(`/api/v1/me/checkins?per_page=60`);
      state.history = history.items;
      state.today = history.items.find((c) => c.business_date === season.today) || null;
      render();
      document.body.dataset.ready = "true";
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") { Guatan.requireSignIn(app, ["vendor"], () => load()); return; }
      app.replaceChildren(el("div", { class: "message error", role: "alert" }, explain(error)));
    }
  }

  async function doCheckIn(button, result) {
    button.disabled = true;
    showMessage(result, "info", t("locating"));
    try {
      const here = await Guatan.position().catch((error) => { throw Object.assign(new Error(error.message), { geo: true }); });
      const done = await api("/api/v1/checkins", { method: "POST", json: { lat: here.lat, lng: here.lng, accuracy_m: here.accuracy_m, crs: "wgs84" } });
      await load();
      const box = document.getElementById("result");
      showMessage(box, "ok", t("checked_in_at", { time: Guatan.formatClock(done.checked_in_at), distance: Math.round(done.distance_m ?? 0) }));
    } catch (error) {
      showMessage(result, "error", error.geo ? error.message : explain(error, state.season));
      result.dataset.code = error.code || "GEO";
      button.disabled = false;
    }
  }

  async function doCheckOut(button, result) {
    button.disabled = true;
    try {
      const done = await api("/api/v1/checkins/today/checkout", { method: "POST" });
      await load();
      showMessage(document.getElementById("result"), "ok", t("checked_out_at", { time: Guatan.formatClock(done.checked_out_at) }));
    } catch (error) {
      showMessage(result, "error", explain(error));
      button.disabled = false;
    }
  }

  Guatan.onLanguage(() => { if (state.me) render(); });
})();
