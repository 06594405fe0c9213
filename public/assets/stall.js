// The stall page behind the QR code (/s/{slot_id}) is rendered by the server and works without
// scripts; this sends the report in place, shows the tracking code and lists the public cases.
"use strict";

(() => {
  const { t, el, api, explain, showMessage } = Guatan;
  Guatan.header("");
  const form = document.getElementById("report-form");
  const result = document.getElementById("report-result");
  const cases = document.getElementById("cases");
  const slotId = cases.dataset.slot;

  async function listCases() {
    try {
      const page = await api(`/api/v1/reports?slot_id=${encodeURIComponent(slotId)}&per_page=20`, { auth: false });
      cases.replaceChildren(el("h2", {}, Guatan.lang === "zh" ? `本摊位的市民举报（${page.total}）` : `Citizens' reports on this stall (${page.total})`),
        page.items.length ? el("ul", { class: "list" }, page.items.map((report) => el("li", { "data-report": report.report_id },
          el("a", { href: "/track.html?report=" + encodeURIComponent(report.report_id) }, `${report.category_name} · ${report.report_id}`), " ",
          el("span", { class: "chip plain" }, t("rs_" + report.status)),
          el("div", { class: "small muted" }, Guatan.formatTime(report.created_at) + " · " + report.description.slice(0, 80))))) : el("p", { class: "muted" }, t("none")));
    } catch (error) {
      cases.replaceChildren(el("p", { class: "muted" }, explain(error)));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const data = new FormData(form);
    // An empty file input still sends an empty part; leave it out.
    const photos = data.getAll("photo").filter((file) => file && file.size > 0);
    data.delete("photo");
    if (photos.length > 3) { showMessage(result, "error", t("err_VALIDATION_FAILED", { message: Guatan.lang === "zh" ? "最多 3 张照片" : "at most 3 photos" })); return; }
    photos.forEach((file) => data.append("photo", file, file.name));
    if (!data.get("contact_phone")) data.delete("contact_phone");
    button.disabled = true;
    try {
      const created = await api("/api/v1/reports", { method: "POST", form: data, auth: false });
      const link = "/track.html?code=" + encodeURIComponent(created.tracking_code);
      result.className = "message ok";
      result.setAttribute("role", "status");
      result.replaceChildren(...[
        el("div", {}, Guatan.lang === "zh" ? "举报已提交，谢谢！请保存查询码：" : "Report received, thank you. Keep your tracking code:"),
        el("div", { class: "tracking", id: "tracking-code" }, created.tracking_code),
        el("div", {}, el("a", { href: link, id: "tracking-link" }, t("track_title"))),
        created.due_at ? el("div", { class: "small muted" }, t("due_at") + "：" + Guatan.formatTime(created.due_at)) : null,
      ].filter(Boolean));
      result.scrollIntoView({ block: "center" });
      try { localStorage.setItem("guatan.lastTracking", created.tracking_code); } catch (_) { /* private mode */ }
      form.reset();
      listCases();
    } catch (error) {
      showMessage(result, "error", explain(error));
    } finally {
      button.disabled = false;
    }
  });

  Guatan.onLanguage(listCases);
  listCases();
})();
