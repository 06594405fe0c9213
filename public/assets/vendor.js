// The vendor's page: permit, points, one big check-in button with the phone's position, the
// check-out and the history. A refusal is told in plain words (how far; when the hours are).
"use strict";

(() => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("/vendor.html");
  const app = document.getElementById("app");

  Guatan.requireSignIn(app, ["vendor"], () => load());

  let state = { me: null, permit: null, points: null, today: null, history: [], season: null };

  function permitCard() {
    const permit = state.permit;
    if (!permit) return el("section", { class: "card", id: "permit" }, el("h2", {}, t("my_permit")), el("p", {}, t("no_permit_yet")));
    return el("section", { class: "card", id: "permit" }, el("h2", {}, t("my_permit")),
      el("dl", { class: "facts" },
        el("dt", {}, t("permit_no")), el("dd", {}, permit.permit_no),
        el("dt", {}, t("permit_status")), el("dd", {}, el("span", { class: "chip " + (permit.status === "issued" ? "good" : "bad") }, t("ps_" + permit.status))),
        el("dt", {}, t("stall")), el("dd", {}, el("a", { href: "/s/" + permit.slot_id }, `${permit.site_name} · ${permit.slot_id}`)),
        el("dt", {}, t("valid")), el("dd", {}, `${permit.valid_from || ""} – ${permit.valid_to || ""}`),
        el("dt", {}, t("produce")), el("dd", {}, (permit.produce || []).join("、"))));
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
      el("section", { class: "card" },
        el("p", { id: "today", "data-checked-in": state.today ? "true" : "false" }, todayLine()),
        checkIn, result, el("p", {}, checkOut)),
      permitCard(), pointsCard(),
      el("section", { class: "card", id: "history" }, el("h2", {}, t("history")),
        state.history.length ? el("table", { class: "data" }, el("tbody", {}, state.history.map((c) => el("tr", {},
          el("td", {}, c.business_date), el("td", {}, Guatan.formatClock(c.checked_in_at) + (c.checked_out_at ? "–" + Guatan.formatClock(c.checked_out_at) : "")),
          el("td", {}, c.distance_m !== null && c.distance_m !== undefined ? t("meters", { n: Math.round(c.distance_m) }) : c.method))))) : el("p", { class: "muted" }, t("none"))),
      el("details", { id: "password" }, el("summary", {}, t("change_password")), Guatan.passwordForm()));
  }

  async function load() {
    try {
      const [me, permits, points, season] = await Promise.all([
        api("/api/v1/me"), api("/api/v1/me/permits"), api("/api/v1/me/points").catch(() => null), api("/api/v1/seasons/current", { auth: false })]);
      state.me = me;
      state.season = season;
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
