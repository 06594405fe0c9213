// The officer's desk: the district's queue (overdue first), cases by status, a case page with
// the actions its status allows, the inspection form with photos, and the coverage gaps.
"use strict";

(() => {
  const { t, el, fill, api, explain, showMessage } = Guatan;
  Guatan.header("/officer.html");
  const app = document.getElementById("app");
  const VIOLATIONS = ["outside_boundary", "not_own_produce", "hygiene", "short_weight", "permit_not_shown", "person_permit_slot_mismatch", "not_cleaned_up"];
  const STATUSES = ["submitted", "accepted", "dispatched", "handled", "verified", "closed", "rejected", "duplicate", "sent_back"];
  const SEND_BACK = ["not_ours", "wrong_district", "duplicate"];
  let account = null;
  let tab = "queue";
  let shownWith;  // the case a case page shows, to show it again
  // The district worked: an officer's own; an administrator chooses one.
  let district = null;
  let districts = [];
  const panel = el("section", { id: "panel" });

  Guatan.requireSignIn(app, ["officer", "admin"], async () => {
    try {
      account = await api("/api/v1/me");
      districts = (await api("/api/v1/districts", { auth: false })).items;
    } catch (error) { app.replaceChildren(el("div", { class: "message error" }, explain(error))); return; }
    district = account.district || (districts[0] && districts[0].code);
    frame();
    show(Guatan.params.get("case") ? "case" : "queue", Guatan.params.get("case"));
  });

  function frame() {
    const tabs = el("div", { class: "tabs", role: "tablist" }, ["queue", "cases", "inspect", "coverage"].map((name) =>
      el("button", { type: "button", role: "tab", id: "tab-" + name, "aria-selected": String(tab === name), onclick: () => show(name) }, t("tab_" + name))));
    const chooser = account.role === "admin"
      ? el("select", { id: "district", "aria-label": t("district"), onchange: (e) => { district = e.target.value; show(tab === "case" ? "queue" : tab); } },
        districts.map((d) => el("option", { value: d.code, selected: d.code === district }, Guatan.lang === "zh" ? d.name : d.name_en)))
      : null;
    app.replaceChildren(
      el("p", { class: "row" }, el("span", { class: "muted" }, t("signed_in_as", { name: `${account.username}（${account.district || t("role_admin")}）` })),
        el("button", { type: "button", class: "secondary", onclick: Guatan.signOut, style: "flex:0 0 auto" }, t("sign_out"))),
      chooser || "", tabs, panel,
      el("details", { id: "password" }, el("summary", {}, t("change_password")), Guatan.passwordForm()));
  }

  function show(name, argument) {
    tab = name;
    shownWith = argument;
    app.querySelectorAll(".tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.id === "tab-" + name)));
    panel.replaceChildren(el("p", { class: "muted" }, t("loading")));
    ({ queue, cases, case: caseView, inspect, coverage })[name](argument);
  }

  function failed(error) { panel.replaceChildren(el("div", { class: "message error", role: "alert" }, explain(error))); }

  function caseItem(report) {
    return el("li", { "data-report": report.report_id },
      el("button", { type: "button", class: "linklike", onclick: () => show("case", report.report_id) }, `${report.category_name} · ${report.report_id}`),
      " ", el("span", { class: "chip plain" }, t("rs_" + report.status)),
      report.overdue ? [" ", el("span", { class: "chip overdue" }, t(report.escalated_at ? "escalated" : "overdue"))] : null,
      el("div", { class: "small muted" }, [t("ch_" + report.channel), report.slot_id, Guatan.formatTime(report.created_at), report.due_at ? t("due", { time: Guatan.formatTime(report.due_at) }) : null].filter(Boolean).join(" · ")),
      el("div", { class: "small" }, report.description.slice(0, 120)));
  }

  async function queue() {
    try {
      const data = await api("/api/v1/officer/queue?district=" + encodeURIComponent(district));
      panel.replaceChildren(
        el("p", {}, `${data.district} · ${data.items.length}` + (data.overdue_count ? ` · ${t("overdue")} ${data.overdue_count}` : "")),
        data.items.length ? el("ul", { class: "list", id: "queue" }, data.items.map(caseItem)) : el("p", { class: "muted", id: "queue" }, t("queue_empty")));
    } catch (error) { failed(error); }
  }

  async function cases(status = "submitted") {
    const select = el("select", { id: "status-filter", "aria-label": t("status_filter") }, STATUSES.map((s) => el("option", { value: s, selected: s === status }, t("rs_" + s))));
    select.addEventListener("change", () => cases(select.value));
    try {
      const data = await api(`/api/v1/reports?status=${status}&district=${encodeURIComponent(district)}&per_page=100`);
      panel.replaceChildren(el("label", { for: "status-filter" }, t("status_filter")), select,
        data.items.length ? el("ul", { class: "list", id: "cases" }, data.items.map(caseItem)) : el("p", { class: "muted", id: "cases" }, t("none")));
    } catch (error) { failed(error); }
  }

  async function caseView(id) {
    let report, replies = [];
    try {
      report = await api("/api/v1/reports/" + encodeURIComponent(id));
      if ((report.allowed_actions || []).length) replies = (await api(`/api/v1/reports/${encodeURIComponent(id)}/replies`)).items;
    } catch (error) { failed(error); return; }
    const message = el("div", { class: "hidden", id: "action-result" });
    const publicNote = el("textarea", { id: "public-note", maxlength: 1000 });
    const internalNote = el("textarea", { id: "internal-note", maxlength: 1000 });
    const duplicateOf = el("input", { type: "text", id: "duplicate-of" });
    const sendBackReason = el("select", { id: "send-back-reason" }, SEND_BACK.map((r) => el("option", { value: r }, t("sb_" + r))));
    // A case sent back is the bureau's to place again: the squad's desk offers nothing on it.
    const actions = (report.allowed_actions || []).filter((a) => account.role === "admin" || report.status !== "sent_back");
    const buttons = actions.map((action) => el("button", {
      type: "button", "data-action": action, class: ["reject", "mark_duplicate", "redispatch", "send_back"].includes(action) ? "secondary" : "",
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          const body = { action };
          if (publicNote.value.trim()) body.public_note = publicNote.value.trim();
          if (internalNote.value.trim()) body.internal_note = internalNote.value.trim();
          if (action === "mark_duplicate") body.duplicate_of = duplicateOf.value.trim().toUpperCase();
          if (action === "send_back") body.reason = sendBackReason.value;
          const done = await api(`/api/v1/reports/${encodeURIComponent(id)}/transitions`, { method: "POST", json: body });
          await caseView(id);
          showMessage(document.getElementById("action-result"), "ok", t("action_done", { status: t("rs_" + done.status) }));
        } catch (error) {
          showMessage(message, "error", explain(error));
          event.target.disabled = false;
        }
      },
    }, t("act_" + action)));
    panel.replaceChildren(el("article", { class: "card", id: "case", "data-status": report.status },
      el("h2", {}, t("case_title", { id: report.report_id })),
      el("dl", { class: "facts" },
        el("dt", {}, t("status")), el("dd", { id: "case-status" }, t("rs_" + report.status),
          report.overdue ? [" ", el("span", { class: "chip overdue" }, t(report.escalated_at ? "escalated" : "overdue"))] : null),
        el("dt", {}, t("category")), el("dd", {}, report.category_name),
        el("dt", {}, t("channel")), el("dd", { id: "case-channel" }, t("ch_" + report.channel), report.entered_by ? el("span", { class: "small muted" }, " · " + report.entered_by.replace("account:", "")) : null),
        report.slot_id ? [el("dt", {}, t("stall")), el("dd", {}, el("a", { href: "/s/" + report.slot_id }, report.slot_id))] : null,
        el("dt", {}, t("reported_at")), el("dd", {}, Guatan.formatTime(report.created_at)),
        report.due_at ? [el("dt", {}, t("due_at")), el("dd", {}, Guatan.formatTime(report.due_at))] : null,
        report.contact_phone ? [el("dt", {}, t("contact")), el("dd", {}, el("a", { href: "tel:" + report.contact_phone }, report.contact_phone))] : null),
      el("p", {}, report.description),
      report.voice_note ? voiceNote(report) : null,
      report.photos.length ? el("div", { class: "photos" }, report.photos.map((src) => el("a", { href: src }, el("img", { src, alt: "" })))) : null,
      el("h3", {}, t("timeline")),
      el("ol", { class: "timeline" }, report.timeline.map((event) => el("li", {}, el("time", {}, Guatan.formatTime(event.at) + " · " + t("role_" + event.actor_role)),
        el("strong", {}, t("rs_" + event.status)), event.public_note ? el("div", {}, event.public_note) : null,
        event.internal_note ? el("div", { class: "small muted" }, "🔒 " + event.internal_note) : null))),
      actions.length ? [
        ...(replies.some((r) => actions.includes(r.action)) ? [el("label", { for: "reply-template" }, t("reply_templates")),
          el("select", { id: "reply-template", onchange: (e) => { if (e.target.value) publicNote.value = e.target.value; } },
            el("option", { value: "" }, "—"),
            replies.filter((r) => actions.includes(r.action)).map((r) => el("option", { value: r.filled, "data-action": r.action }, `${t("act_" + r.action)}：${r.filled}`)))] : []),
        el("label", { for: "public-note" }, t("public_note")), publicNote,
        el("label", { for: "internal-note" }, t("internal_note")), internalNote,
        ...(actions.includes("mark_duplicate") ? [el("label", { for: "duplicate-of" }, t("duplicate_of")), duplicateOf] : []),
        ...(actions.includes("send_back") ? [el("label", { for: "send-back-reason" }, t("send_back_reason")), sendBackReason] : []),
        el("p", { class: "row", id: "actions" }, buttons)] : el("p", { class: "muted" }, t(report.status === "sent_back" ? "sent_back_waiting" : "no_actions")),
      message,
      report.status === "dispatched" ? extensionForm(report) : null,
      report.slot_id && ["dispatched", "handled"].includes(report.status)
        ? el("p", {}, el("button", { type: "button", class: "secondary", id: "inspect-case", onclick: () => show("inspect", { slot: report.slot_id, report: report.report_id }) }, t("inspect_this")))
        : null,
      el("p", {}, el("button", { type: "button", class: "linklike", onclick: () => show("queue") }, "← " + t("back")))));
  }

  /** The reporter's voice note, fetched with the officer's token and played from a blob (the
   *  token never goes in a link); a format the browser cannot play (AMR) is offered to download. */
  let voiceURL = null;
  function voiceNote(report) {
    const note = report.voice_note;
    const label = el("strong", {}, t("voice_note") + " · " + t("voice_seconds", { n: note.seconds }));
    const box = el("div", { class: "voice", id: "voice-note", "data-type": note.media_type }, label, " ", el("span", { class: "small muted" }, t("voice_loading")));
    (async () => {
      try {
        const blob = await Guatan.apiBlob(note.url);
        if (voiceURL) URL.revokeObjectURL(voiceURL);
        voiceURL = URL.createObjectURL(blob);
        const audio = el("audio", { controls: true, preload: "metadata", src: voiceURL, id: "voice-audio" });
        const extension = { "audio/amr": "amr", "audio/amr-wb": "awb", "audio/mpeg": "mp3", "audio/aac": "aac", "audio/mp4": "m4a", "audio/ogg": "ogg", "audio/webm": "webm" }[note.media_type] || "bin";
        fill(box, label, " ", audio.canPlayType(note.media_type) ? audio
          : el("span", {}, t("voice_download"), " ", el("a", { href: voiceURL, download: `${report.report_id}.${extension}`, id: "voice-download" }, `${report.report_id}.${extension}`)));
      } catch (error) {
        fill(box, label, " ", el("span", { class: "small muted" }, explain(error)));
      }
    })();
    return box;
  }

  /** More time on a dispatched case (延期): a new time and why; the bureau answers. */
  function extensionForm(report) {
    const due = el("input", { type: "datetime-local", id: "extension-due", required: true });
    const reason = el("input", { type: "text", id: "extension-reason", maxlength: 500, required: true });
    const result = el("div", { class: "hidden", id: "extension-result" });
    const form = el("form", { id: "extension-form" }, el("h3", {}, t("ask_extension")),
      el("label", { for: "extension-due" }, t("new_due_at")), due, el("label", { for: "extension-reason" }, t("reason")), reason,
      el("p", {}, el("button", { type: "submit", class: "secondary" }, t("ask_extension"))), result);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        // The desk's time is Lanzhou's: the offset is said, not guessed from the phone.
        const asked = await api(`/api/v1/reports/${encodeURIComponent(report.report_id)}/extensions`, { method: "POST",
          json: { new_due_at: due.value.length === 16 ? due.value + ":00+08:00" : due.value + "+08:00", reason: reason.value.trim() } });
        showMessage(result, "ok", t("extension_asked", { time: Guatan.formatTime(asked.new_due_at) }));
      } catch (error) { showMessage(result, "error", explain(error)); }
    });
    return el("details", { id: "extension", class: "card" }, el("summary", {}, t("ask_extension")), form);
  }

  function inspect(prefill = {}) {
    const slot = el("input", { type: "text", id: "slot", name: "slot_id", value: prefill.slot || "", required: true, autocapitalize: "characters" });
    const results = ["compliant", "warning", "violation"].map((r) => el("label", { class: "inline" },
      el("input", { type: "radio", name: "result", value: r, checked: r === "compliant" }), t("res_" + r)));
    const violationBoxes = el("fieldset", { id: "violations", class: "hidden" }, el("legend", {}, t("violations")),
      VIOLATIONS.map((code) => el("label", { class: "inline" }, el("input", { type: "checkbox", name: "violations", value: code }), t("v_" + code))));
    const note = el("textarea", { id: "note", name: "note", maxlength: 2000 });
    const photos = el("input", { type: "file", id: "photos", name: "photo", accept: "image/jpeg,image/png,image/webp", multiple: true, capture: "environment" });
    const resolves = el("input", { type: "text", id: "resolves", name: "resolves_reports", value: prefill.report || "" });
    const withPosition = el("input", { type: "checkbox", id: "with-position", checked: true });
    // Who was selling (人证位相符): someone else than the holder or a registered helper is itself a violation.
    const atStall = el("select", { id: "at-stall", name: "at_stall" }, el("option", { value: "" }, t("at_stall_unchecked")),
      ["holder", "helper", "other"].map((who) => el("option", { value: who }, t("at_stall_" + who))));
    const message = el("div", { class: "hidden", id: "inspect-result" });
    const submit = el("button", { type: "submit", id: "inspect-submit" }, t("submit"));
    const form = el("form", { class: "card", id: "inspection-form" },
      el("label", { for: "slot" }, t("slot_id")), slot,
      el("label", {}, t("result")), el("div", {}, results), violationBoxes,
      el("label", { for: "at-stall" }, t("at_stall")), atStall,
      el("label", { for: "note" }, t("note")), note,
      el("label", { for: "photos" }, t("photos")), photos,
      el("label", { for: "resolves" }, t("resolves")), resolves,
      el("label", { class: "inline" }, withPosition, t("use_position")),
      el("p", {}, submit), message);
    form.addEventListener("change", () => {
      violationBoxes.classList.toggle("hidden", form.querySelector("input[name=result]:checked").value !== "violation");
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        const data = new FormData();
        data.append("slot_id", slot.value.trim().toUpperCase());
        const result = form.querySelector("input[name=result]:checked").value;
        data.append("result", result);
        if (result === "violation") form.querySelectorAll("input[name=violations]:checked").forEach((box) => data.append("violations", box.value));
        if (note.value.trim()) data.append("note", note.value.trim());
        if (atStall.value) data.append("at_stall", atStall.value);
        if (resolves.value.trim()) data.append("resolves_reports", resolves.value.trim().toUpperCase());
        if (photos.files.length > 3) throw new Guatan.APIError(400, { error: { code: "VALIDATION_FAILED", message: "≤ 3" } });
        for (const file of photos.files) data.append("photo", file, file.name);
        if (withPosition.checked) {
          try {
            const here = await Guatan.position();
            data.append("lat", here.lat); data.append("lng", here.lng); data.append("crs", "wgs84");
          } catch (_) { /* an inspection stands without a position */ }
        }
        const done = await api("/api/v1/inspections", { method: "POST", form: data });
        let text = t("inspected") + ` ${done.inspection_id}`;
        if (done.points_deducted) text += " " + (Guatan.lang === "zh" ? `扣 ${done.points_deducted} 分。` : `${done.points_deducted} points deducted.`);
        showMessage(message, "ok", text);
        form.reset();
      } catch (error) {
        showMessage(message, "error", explain(error));
      } finally {
        submit.disabled = false;
      }
    });
    panel.replaceChildren(form);
  }

  async function coverage(days = 7) {
    const input = el("input", { type: "number", id: "coverage-days", min: 1, max: 365, value: days });
    input.addEventListener("change", () => coverage(Number(input.value) || 7));
    try {
      const data = await api(`/api/v1/officer/coverage?days=${days}&district=${encodeURIComponent(district)}`);
      panel.replaceChildren(el("label", { for: "coverage-days" }, t("coverage_days")), input,
        el("p", {}, t("not_inspected", { days: data.days }) + ` ${data.total}`),
        el("ul", { class: "list", id: "coverage" }, data.items.slice(0, 200).map((site) => el("li", { "data-site": site.site_id },
          el("strong", {}, site.site_name), el("div", { class: "small muted" }, site.site_id + (site.last_inspected ? ` · ${site.last_inspected}` : ""))))));
    } catch (error) { failed(error); }
  }

  Guatan.onLanguage(() => { if (account) { frame(); show(tab, shownWith); } });
})();
