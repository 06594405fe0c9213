import Foundation

/// Text messages from the outbox's events (issue 17): to a vendor at his registered number, to
/// a reporter who left his and asked to be told. Chinese templates, one per event; nothing sent
/// at night but what cannot wait; a daily cap per number.
public enum SMSRules {
    /// Messages one number receives a day at most (urgent ones aside).
    public static let defaultDailyCap = 5
    /// Attempts at one message before it is marked failed.
    public static let attempts = 5
    static let quietFrom = LocalTime(hour: 22, minute: 0)!
    static let quietUntil = LocalTime(hour: 7, minute: 0)!

    /// 22:00–07:00 in Lanzhou.
    public static func isQuiet(_ instant: Date) -> Bool {
        let time = BusinessTime.localTime(of: instant)
        return time >= quietFrom || time < quietUntil
    }

    /// When a message written at `instant` may go: at once by day or when urgent, else 07:00.
    public static func sendAfter(_ instant: Date, urgent: Bool) -> Date {
        guard !urgent, isQuiet(instant) else { return instant }
        let today = BusinessTime.localDate(of: instant)
        let morning = BusinessTime.localTime(of: instant) < quietUntil ? today : today.adding(days: 1)
        return BusinessTime.instant(of: morning, at: quietUntil)
    }

    /// A number as staff lists show it: `138****1111`.
    public static func masked(_ phone: String) -> String {
        guard phone.count >= 7 else { return String(repeating: "*", count: phone.count) }
        return String(phone.prefix(3)) + "****" + String(phone.suffix(4))
    }

    /// Who an event's message goes to.
    public enum Audience: Sendable, Equatable {
        /// The reporter of the case, if he left a number and asked to be told.
        case reporter
        /// The vendor holding the permit.
        case vendor
    }

    /// The message an event sends, to whom, and whether it cannot wait for the morning; nil for
    /// events nobody is texted about.
    public static func message(for event: OutboxEvent) -> (audience: Audience, text: String, urgent: Bool)? {
        let data = event.payload
        let id = data["report_id"] ?? event.entityId
        let note = data["public_note"].map { "：\($0)" } ?? ""
        let due = data["due_at"].flatMap(BusinessTime.parseInstant).map { time -> String in
            let date = BusinessTime.localDate(of: time)
            return "\(date.month)月\(date.day)日 \(BusinessTime.localTime(of: time))"
        }
        let permit = data["permit_no"] ?? event.entityId
        switch event.type {
        case .reportAccepted: return (.reporter, "【瓜摊】您反映的问题已立案（\(id)），将派遣区执法中队处理。", false)
        case .reportDispatched:
            return (.reporter, "【瓜摊】您反映的问题（\(id)）已派遣至区执法中队" + (due.map { "，将于 \($0) 前处理" } ?? "") + "。", false)
        case .reportHandled: return (.reporter, "【瓜摊】您反映的问题（\(id)）已处置，正在核查\(note)。", false)
        case .reportClosed: return (.reporter, "【瓜摊】您反映的问题（\(id)）已办结\(note)。欢迎凭查询码评价。", false)
        case .reportRejected: return (.reporter, "【瓜摊】您反映的问题（\(id)）不予立案\(note)。", false)
        case .reportEscalated: return (.reporter, "【瓜摊】您反映的问题（\(id)）已超过处置时限，已上报市城管委督办。", false)
        case .extensionAnswered where data["decision"] == "approved":
            return (.reporter, "【瓜摊】您反映的问题（\(id)）处置时限延长" + (due.map { "至 \($0)" } ?? "") + "。", false)
        case .permitReviewed: return (.vendor, "【瓜摊】您的摊位申请（\(permit)）已通过区中队初审，等待市城管委复审。", false)
        case .permitApproved: return (.vendor, "【瓜摊】您的摊位申请（\(permit)）已通过复审，许可证即将发放。", false)
        case .permitIssued:
            return (.vendor, "【瓜摊】您的摊位许可证 \(permit) 已发放（摊位 \(data["slot_id"] ?? "")），请按时出摊打卡。", false)
        case .permitRejected: return (.vendor, "【瓜摊】您的摊位申请（\(permit)）未通过" + (data["reason"].map { "：\($0)" } ?? "") + "。", false)
        case .permitSuspended:
            return (.vendor, "【瓜摊】您的许可证 \(permit) 已暂停" + (data["reason"].map { "：\($0)" } ?? "") + "，暂停期间请勿出摊。", true)
        case .permitRevoked:
            return (.vendor, "【瓜摊】您的许可证 \(permit) 已撤销" + (data["reason"].map { "：\($0)" } ?? "") + "，请勿再出摊。", true)
        case .pointsDeducted:
            return (.vendor, "【瓜摊】您的许可证 \(permit) 本月被扣 \(data["points"] ?? "") 分（检查 \(data["inspection_id"] ?? "")），可在摊主页面查看。", false)
        case .checkInReminder:
            return (.vendor, "【瓜摊】您的摊位 \(data["slot_id"] ?? "") 今天 \(data["opens_at"] ?? "") 已开市，您还没有出摊打卡；到摊后请打卡。", false)
        case .idleWarning:
            return (.vendor, "【瓜摊】您的摊位 \(data["slot_id"] ?? "") 多日未出摊；\(data["reclaim_on"] ?? "") 起仍未出摊的，摊位将收回。", false)
        default: return nil
        }
    }
}
