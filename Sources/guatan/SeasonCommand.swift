import ArgumentParser
import Foundation
import GuatanCore
import GuatanServices

/// `guatan season …`: the bureau's season from the command line (the admin API does the same).
struct SeasonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "season",
        abstract: "Seasons and their allocation: open next year's season from this year's registry, list them.",
        subcommands: [Open.self, List.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a season in `planning` with a copy of another season's registry, for the bureau to edit.",
            discussion: """
                guatan season open 2027 --from 2026 copies the 2026 season's sites and slots (or the live registry, when 2026
                has no copy of its own) into 2027's. The running season's registry is not touched; 2027's becomes the live
                one when its permits are issued (`allocate`).
                """)

        @OptionGroup var options: DataOptions
        @Argument(help: "The new season's year.") var year: Int
        @Option(help: "The season whose registry is copied (default: the year before).") var from: Int?

        func run() async throws {
            let logger = try options.makeLogger(label: "guatan.season")
            let backend = try await options.openBackend(logger: logger, connections: 1)
            let actor = "cli:" + (ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            do {
                let plan = try await backend.workflows.allocation.openSeason(year: year, from: from ?? year - 1, actor: actor, at: Date())
                let slots = try await backend.workflows.allocation.publicView(season: year).slots
                print(
                    "season \(plan.year) opened in planning from \(plan.copiedFrom ?? year - 1): \(Set(slots.map(\.siteId)).count) sites, \(slots.count) slots"
                )
            } catch let error as AllocationError {
                FileHandle.standardError.write(Data("\(Self.describe(error))\n".utf8))
                throw ExitCode(1)
            }
        }

        static func describe(_ error: AllocationError) -> String {
            switch error {
            case .forbidden(let message), .conflict(_, let message, _): message
            case .invalid(let error): error.message
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the seasons with their phase and window.")
        @OptionGroup var options: DataOptions

        func run() async throws {
            let logger = try options.makeLogger(label: "guatan.season")
            let backend = try await options.openBackend(logger: logger, connections: 1)
            for plan in try await backend.workflows.allocation.seasons() {
                let window =
                    if let opens = plan.applicationsOpenOn, let closes = plan.applicationsCloseOn { "window \(opens)..\(closes)" } else { "" }
                print("\(plan.year)\t\(plan.phase.rawValue)\t\(plan.season.startsOn)..\(plan.season.endsOn)\t\(window)")
            }
        }
    }
}
