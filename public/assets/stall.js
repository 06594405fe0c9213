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

  // A voice note recorded in the page where the browser can (MediaRecorder: WebM/Opus in
  // Chromium, Ogg/Opus in Firefox, MP4/AAC in Safari); the file input stays for a recording
  // made in another app. At 32 kbit/s a minute stays well under the 1 MB the server takes.
  const MAX_VOICE_MS = 59500;
  let recorded = null;
  const recorderBox = document.getElementById("voice-recorder");

  function recorderType() {
    for (const type of ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"]) {
      if (MediaRecorder.isTypeSupported(type)) return type;
    }
    return "";
  }

  function setupRecorder() {
    if (!recorderBox || !window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    const status = el("span", { class: "small muted", id: "voice-status", "aria-live": "polite" });
    // Labelled by data-t: the language switch relabels them.
    const start = el("button", { type: "button", class: "secondary", id: "record-voice", "data-t": "record_voice" }, t("record_voice"));
    const stop = el("button", { type: "button", class: "hidden", id: "stop-voice", "data-t": "stop_recording" }, t("stop_recording"));
    const remove = el("button", { type: "button", class: "linklike hidden", id: "delete-voice", "data-t": "delete_voice" }, t("delete_voice"));
    const submit = form.querySelector("button[type=submit]");
    const preview = el("audio", { controls: true, class: "hidden", id: "voice-preview" });
    let recorder = null, timer = null, startedAt = 0;
    const showing = (recording) => {
      start.classList.toggle("hidden", recording || !!recorded);
      stop.classList.toggle("hidden", !recording);
      remove.classList.toggle("hidden", recording || !recorded);
      preview.classList.toggle("hidden", recording || !recorded);
      // A report sent mid-recording would lose the recording: stop first, then send.
      submit.disabled = recording;
    };
    start.addEventListener("click", async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (error) {
        status.textContent = t("mic_denied", { message: error.name || String(error) });
        return;
      }
      const chunks = [];
      const type = recorderType();
      recorder = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 32000 } : {});
      recorder.addEventListener("dataavailable", (e) => { if (e.data && e.data.size) chunks.push(e.data); });
      recorder.addEventListener("stop", () => {
        clearInterval(timer);
        stream.getTracks().forEach((track) => track.stop());
        const seconds = Math.max(1, Math.round((Date.now() - startedAt) / 1000));
        recorded = { blob: new Blob(chunks, { type: recorder.mimeType || type || "audio/webm" }), seconds };
        if (preview.src) URL.revokeObjectURL(preview.src);
        preview.src = URL.createObjectURL(recorded.blob);
        status.textContent = t("voice_ready", { n: seconds });
        showing(false);
      });
      recorder.start(1000);
      startedAt = Date.now();
      status.textContent = t("recording", { n: 0 });
      timer = setInterval(() => {
        const elapsed = Date.now() - startedAt;
        status.textContent = t("recording", { n: Math.floor(elapsed / 1000) });
        if (elapsed >= MAX_VOICE_MS && recorder.state === "recording") recorder.stop();
      }, 250);
      showing(true);
    });
    stop.addEventListener("click", () => { if (recorder && recorder.state === "recording") recorder.stop(); });
    remove.addEventListener("click", () => {
      recorded = null;
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.removeAttribute("src");
      status.textContent = "";
      showing(false);
    });
    recorderBox.replaceChildren(start, stop, status, preview, remove);
    recorderBox.resetVoice = () => remove.click();
  }

  function voiceName(type) {
    if (type.includes("ogg")) return "voice.ogg";
    if (type.includes("mp4")) return "voice.m4a";
    return "voice.webm";
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
    const chosen = data.get("voice");
    data.delete("voice");
    const voice = recorded ? new File([recorded.blob], voiceName(recorded.blob.type), { type: recorded.blob.type }) : (chosen && chosen.size ? chosen : null);
    if (voice && voice.size > 1024 * 1024) { showMessage(result, "error", t("err_voice_TOO_LARGE")); return; }
    if (voice) data.append("voice", voice, voice.name);
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
      if (recorderBox && recorderBox.resetVoice) recorderBox.resetVoice();
      listCases();
    } catch (error) {
      showMessage(result, "error", explain(error));
    } finally {
      button.disabled = false;
    }
  });

  Guatan.onLanguage(listCases);
  setupRecorder();
  listCases();
})();
