import GuatanStoreInterface

/// Every workflow of the programme, over one store.
public struct GuatanWorkflows: Sendable {
    public let permits: PermitService
    public let checkIns: CheckInService
    public let reports: ReportService
    public let inspections: InspectionService
    public let accounts: AccountService
    public let registry: RegistryService
    public let allocation: AllocationService
    public let feedback: FeedbackService

    public init(store: any WorkflowStore) {
        permits = PermitService(store: store)
        checkIns = CheckInService(store: store)
        reports = ReportService(store: store)
        inspections = InspectionService(store: store)
        accounts = AccountService(store: store)
        registry = RegistryService(store: store)
        allocation = AllocationService(store: store)
        feedback = FeedbackService(store: store)
    }
}
