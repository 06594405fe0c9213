// The reporter's view (?code=…, with rating and reopening) or a case's public view (?report=…).
"use strict";

(() => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("/track.html");
  const $ = (id) => document.getElementById(id);
  const REOPEN_DAYS = 7;
  let current = null; // { code, report } or { reportId, report }

  function facts(report) {
    return el("dl", { class: "facts" },
      el("dt", {}, t("status")), el("dd", { id: "report-status", "data-status": report.status }, el("span", { class: "chip " + (report.overdue ? "overdue" : "plain") }, t("rs_" + report.status))),
      el("dt", {}, t("category")), el("dd", {}, report.category_name),
      report.slot_id ? [el("dt", {}, t("stall")), el("dd", {}, el("a", { href: "/s/" + report.slot_id }, report.slot_id))] : null,
      el("dt", {}, t("reported_at")), el("dd", {}, Guatan.formatTime(report.created_at)),
      report.due_at ? [el("dt", {}, t("due_at")), el("dd", {}, Guatan.formatTime(report.due_at), report.overdue ? [" ", el("span", { class: "chip overdue" }, t("overdue"))] : null)] : null,
      report.next_step ? [el("dt", {}, t("next_step")), el("dd", { id: "next-step" }, inLanguage(report.next_step))] : null,
      report.voice_note ? [el("dt", {}, t("voice_note")), el("dd", { id: "voice-kept" }, t("voice_kept", { n: report.voice_note.seconds }))] : null,
      el("dt", {}, t("channel")), el("dd", {}, t("ch_" + report.channel)));
  }

  /** The service says what comes next as "中文 (English)": the part in the page's language. */
  function inLanguage(text) {
    const open = text.indexOf(" (");
    if (open < 0 || !text.endsWith(")")) return text;
    return Guatan.lang === "zh" ? text.slice(0, open) : text.slice(open + 2, -1);
  }

  function timeline(report) {
    return el("ol", { class: "timeline", id: "timeline" }, report.timeline.map((event) => el("li", {},
      el("time", {}, Guatan.formatTime(event.at) + " · " + t("role_" + event.actor_role)),
      el("strong", {}, t("rs_" + event.status)), event.public_note ? el("div", {}, event.public_note) : null)));
  }

  function ratingForm(report) {
    if (report.status !== "closed") return null;
    if (report.rating) return el("p", { id: "rating" }, t("rated", { score: "★".repeat(report.rating) }), report.rating_comment ? " · " + report.rating_comment : "");
    const score = el("select", { id: "score", name: "score" }, [5, 4, 3, 2, 1].map((n) => el("option", { value: n }, "★".repeat(n) + ` ${n}`)));
    const comment = el("textarea", { id: "rating-comment", maxlength: 500 });
    const box = el("div", { class: "hidden" });
    const form = el("form", { id: "rating-form" }, el("h2", {}, t("rate_title")), el("label", { for: "score" }, t("score")), score,
      el("label", { for: "rating-comment" }, t("comment")), comment, el("p", {}, el("button", { type: "submit" }, t("submit"))), box);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const body = { score: Number(score.value) };
        if (comment.value.trim()) body.comment = comment.value.trim();
        current.report = await api(`/api/v1/reports/track/${encodeURIComponent(current.code)}/rating`, { method: "POST", json: body, auth: false });
        render();
        showMessage($("message"), "ok", t("rating_done"));
      } catch (error) { showMessage(box, "error", explain(error)); }
    });
    return form;
  }

  function reopenForm(report) {
    if (report.status !== "closed" || !report.closed_at) return null;
    if (Date.now() - Date.parse(report.closed_at) > REOPEN_DAYS * 86400e3) return null;
    const note = el("textarea", { id: "reopen-note", maxlength: 1000, required: true });
    const box = el("div", { class: "hidden" });
    const form = el("form", { id: "reopen-form" }, el("h2", {}, t("reopen_title")), el("label", { for: "reopen-note" }, t("reopen_note")), note,
      el("p", {}, el("button", { type: "submit", class: "secondary" }, t("submit"))), box);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        current.report = await api(`/api/v1/reports/track/${encodeURIComponent(current.code)}/reopen`, { method: "POST", json: { note: note.value.trim() }, auth: false });
        render();
        showMessage($("message"), "ok", t("reopen_done"));
      } catch (error) { showMessage(box, "error", explain(error)); }
    });
    return form;
  }

  function render() {
    if (!current) return;
    const report = current.report;
    const box = $("report");
    Guatan.fill(box,
      el("h2", {}, `${report.category_name} · ${report.report_id}`), facts(report),
      el("p", { class: "description" }, report.description),
      report.photos.length ? el("div", { class: "photos" }, report.photos.map((src) => el("a", { href: src }, el("img", { src, alt: t("photos"), loading: "lazy" })))) : null,
      el("h3", {}, t("timeline")), timeline(report),
      current.code ? [ratingForm(report), reopenForm(report)] : null);
    box.classList.remove("hidden");
  }

  async function lookUp({ code, reportId }) {
    $("message").classList.add("hidden");
    try {
      const report = code
        ? await api(`/api/v1/reports/track/${encodeURIComponent(code)}`, { auth: false })
        : await api(`/api/v1/reports/${encodeURIComponent(reportId)}`, { auth: false });
      current = { code, reportId, report };
      render();
    } catch (error) {
      $("report").classList.add("hidden");
      showMessage($("message"), "error", explain(error));
    }
  }

  $("lookup").addEventListener("submit", (e) => {
    e.preventDefault();
    const code = $("code").value.trim();
    if (code) { history.replaceState(null, "", "?code=" + encodeURIComponent(code)); lookUp({ code }); }
  });
  Guatan.onLanguage(render);

  const code = Guatan.params.get("code") || "";
  const reportId = Guatan.params.get("report");
  if (code) { $("code").value = code; lookUp({ code }); }
  else if (reportId) { $("lookup").classList.add("hidden"); lookUp({ reportId }); }
  else {
    try { $("code").value = localStorage.getItem("guatan.lastTracking") || ""; } catch (_) { /* private mode */ }
  }
})();
