import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import Prometheus

struct ReadinessBody: Encodable {
    struct Check: Encodable {
        let name: String
        let ok: Bool
        let detail: String
    }
    let status: String
    /// What is wrong, in words, when not ready.
    let reason: String?
    let checks: [Check]
}
