import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import QRCode

/// 一摊一码: every stall carries a QR code leading to its public page, where a citizen sees
/// whether the stall is legitimate and can report a problem. The code encodes a short,
/// stable address (`/s/{slot_id}`) so printed codes survive changes to the pages.
struct StallCodeRoutes {
    let registry: any RegistryStore
    /// The address printed codes point at (`--public-url`); the request's own host when unset.
    let publicURL: String?
    let clock: ServiceClock

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.get("/api/v1/stalls/{slot_id}/code.svg") { request, context in try await code(request, context) }
        routes.get("/s/{slot_id}") { request, context in try await page(request, context) }
        routes.get("/sites/{site_id}/codes") { request, context in try await sheet(request, context) }
    }

    func base(_ request: Request, _ context: GuatanRequestContext) -> String {
        context.origin(of: request)
    }

    static func stallURL(base: String, slotId: String) -> String {
        base + "/s/" + slotId
    }

    func code(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let slotId = try context.parameters.require("slot_id").uppercased()
        guard try await registry.stall(slotId: slotId, today: BusinessTime.localDate(of: clock.now())) != nil else {
            throw APIError.notFound("no stall \(slotId)")
        }
        let svg = try QRCode(text: Self.stallURL(base: base(request, context), slotId: slotId), errorCorrection: .quartile).svg()
        var headers: HTTPFields = [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "public, max-age=86400"]
        // Without --public-url the code is made from the address asked for: a shared cache
        // must keep one copy per host and scheme, or it would hand one host's code to another.
        if publicURL == nil { headers[.vary] = "Host, X-Forwarded-Proto" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    /// The page a scan opens: server-rendered, Chinese first, readable on a 360-px phone without scripts.
    func page(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let slotId = try context.parameters.require("slot_id").uppercased()
        let today = BusinessTime.localDate(of: clock.now())
        guard let stall = try await registry.stall(slotId: slotId, today: today) else {
            return html(status: .notFound, title: "没有这个摊位", body: "<p>没有编号为 \(HTML.escape(slotId)) 的摊位。No stall \(HTML.escape(slotId)).</p>")
        }
        let status: String
        switch stall.slot.statusToday {
        case .vacant: status = "空闲（本季无有效许可）· vacant"
        case .assigned: status = "今日未出摊 · not open today"
        case .open: status = "营业中 · open"
        case .closedForDay: status = "今日已收摊 · closed for the day"
        }
        var rows: [(String, String)] = [
            ("摊点 Site", "\(stall.site.name)（\(stall.districtName)）"),
            ("地址 Address", stall.site.address),
            ("摊位 Stall", "\(stall.slot.slot.id) · 第 \(stall.slot.slot.number) 号"),
            ("今日 Today", status),
            ("营业时间 Hours", "\(stall.site.opensAt)–\(stall.site.closesAt)"),
        ]
        if let permit = stall.slot.permit {
            rows += [
                ("许可证 Permit", permit.number + "（有效 valid）"),
                ("经营者 Holder", permit.holderMasked),
                ("产地 Origin", permit.origin + "（自产自销）"),
                ("品种 Produce", permit.produce.joined(separator: "、")),
            ]
        } else {
            rows.append(("许可证 Permit", "无有效许可证 — no valid permit: 如有人在此经营，请举报"))
        }
        if let last = stall.lastInspection {
            rows.append(("最近检查 Last inspection", "\(last.date) · \(last.result.rawValue)"))
        }
        rows.append(("处理中的举报 Open reports", String(stall.openReportCount)))
        let table = rows.map { "<tr><th>\(HTML.escape($0.0))</th><td>\(HTML.escape($0.1))</td></tr>" }.joined()
        let categories = ReportCategory.allCases.map { "<option value=\"\($0.rawValue)\">\(HTML.escape($0.nameZh))</option>" }.joined()
        let body = """
            <table>\(table)</table>
            <h2>市民监督 · Report a problem</h2>
            <form id="report-form" method="post" action="/api/v1/reports" enctype="multipart/form-data">
            <input type="hidden" name="slot_id" value="\(HTML.escape(slotId))">
            <label>问题 Category <select name="category">\(categories)</select></label>
            <label>描述 Description <textarea name="description" maxlength="2000" required></textarea></label>
            <label>照片 Photos (≤3) <input type="file" name="photo" accept="image/jpeg,image/png,image/webp" multiple></label>
            <label>语音 Voice note (≤60 s) <input type="file" name="voice" id="voice-file" accept="audio/*,.amr"></label>
            <div id="voice-recorder" class="row"></div>
            <label>联系电话（仅执法人员可见）Phone, seen by officers only <input type="tel" name="contact_phone" maxlength="13"></label>
            <label class="inline"><input type="checkbox" name="notify_sms" value="1" id="notify-sms"> 有进展时短信告诉我（需留手机号）Tell me by SMS when it moves</label>
            <button type="submit">提交 Submit</button>
            </form>
            <div id="report-result" class="hidden"></div>
            <p class="note">提交后请保存返回的查询码（tracking_code），用于查询进度和评价。Keep the tracking code you get back.</p>
            <section id="cases" data-slot="\(HTML.escape(slotId))"></section>
            <p><a href="/?q=\(HTML.escape(stall.site.id))">← 摊点地图 · stall map</a></p>
            """
        // The page works without scripts; with them the report is sent in place and the public cases listed.
        return html(
            status: .ok, title: "\(stall.site.name) \(stall.slot.slot.number) 号摊位", body: body, scripts: ["/assets/guatan.js", "/assets/stall.js"])
    }

    /// A printable A4 sheet of a site's stall codes, to cut out and fix at each stall.
    func sheet(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let siteId = try context.parameters.require("site_id").uppercased()
        guard let site = try await registry.site(id: siteId, today: BusinessTime.localDate(of: clock.now())) else {
            return html(status: .notFound, title: "没有这个摊点", body: "<p>No site \(HTML.escape(siteId)).</p>")
        }
        let base = base(request, context)
        let cards = try site.slots.map { slot -> String in
            let url = Self.stallURL(base: base, slotId: slot.slot.id)
            let svg = try QRCode(text: url, errorCorrection: .quartile).svg(moduleSize: 4)
            return """
                <div class="card">\(svg)<div class="no">\(HTML.escape(slot.slot.id)) · 第 \(slot.slot.number) 号</div>\
                <div>\(HTML.escape(slot.permit?.number ?? "—"))</div><div class="url">\(HTML.escape(url))</div></div>
                """
        }.joined()
        let body = """
            \(printWarning(base: base))<p>\(HTML.escape(site.site.name)) · \(HTML.escape(site.site.address))</p>
            <p class="note">扫码查看摊位许可证并监督举报 · Scan to check the stall's permit or report a problem.</p>
            <div class="sheet">\(cards)</div>
            """
        return html(status: .ok, title: "一摊一码 \(site.site.name)", body: body, printable: true)
    }

    /// Printed codes live on the stalls for the whole season: they must point at the city's
    /// public HTTPS address, not at whatever address an administrator happened to use.
    func printWarning(base: String) -> String {
        guard publicURL?.hasPrefix("https://") != true else { return "" }
        let why =
            publicURL == nil
            ? "这些二维码指向本次访问的地址 \(base)，不是市民能访问的正式地址。These codes point at the address this page was opened with, \(base), not the city's public address."
            : "这些二维码指向 \(base)，不是 HTTPS 地址：手机浏览器会提示不安全，且无法定位。These codes point at \(base), which is not HTTPS: phones warn and cannot locate."
        return """
            <div class="warning" role="alert"><strong>请勿打印 · Do not print yet.</strong> \(HTML.escape(why))             请用 <code>guatan serve --public-url https://…</code>（或环境变量 GUATAN_PUBLIC_URL）设置正式的 HTTPS 地址后再打印。            Set the public HTTPS address with <code>--public-url https://…</code> (or GUATAN_PUBLIC_URL), then print.</div>
            """
    }

    func html(status: HTTPResponse.Status, title: String, body: String, printable: Bool = false, scripts: [String] = []) -> Response {
        let style = Self.style
        let page = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width,initial-scale=1"><title>\(HTML.escape(title))</title>\
            \(scripts.isEmpty ? "" : "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/assets/guatan.css\">")<style>\(style)</style></head>\
            <body\(printable ? " class=\"print\"" : "")><main><h1>\(HTML.escape(title))</h1>\(body)</main>\
            \(scripts.map { "<script src=\"\($0)\"></script>" }.joined())</body></html>
            """
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache", .contentSecurityPolicy: Self.policy],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// The pages' own policy: their one style block by its hash, scripts from here only.
    static let policy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self' \(Digest.cspHash(style))", "img-src 'self' data:", "connect-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let style = """
        body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0 auto;max-width:640px;padding:12px;line-height:1.5}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px;border-bottom:1px solid #ddd;vertical-align:top}
        th{width:38%;font-weight:600}label{display:block;margin:8px 0}select,textarea,input{width:100%;box-sizing:border-box;font-size:16px}
        textarea{min-height:5em}button{font-size:18px;padding:8px 20px;margin-top:8px}.note{color:#555;font-size:14px}
        .sheet{display:grid;grid-template-columns:repeat(3,1fr);gap:6mm}.card{border:1px dashed #999;padding:3mm;text-align:center;break-inside:avoid}
        .card svg{width:45mm;height:45mm}.no{font-weight:700;font-size:16px}.url{font-size:9px;color:#555;word-break:break-all}
        .warning{border:3px solid #b00020;background:#fff0f0;color:#600;padding:3mm;margin:3mm 0;font-size:15px}
        @page{size:A4;margin:10mm}@media print{body{max-width:none}.note{display:none}}
        """
}

enum HTML {
    /// Text as HTML shows it, never as markup.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
