import Foundation

/// The stores the routes work on: one per module of the programme.
public struct GuatanStores: Sendable {
    public var registry: any RegistryStore
    public var accounts: any AccountStore
    public var vendors: any VendorStore
    public var permits: any PermitStore
    public var checkIns: any CheckInStore
    public var reports: any ReportStore
    public var inspections: any InspectionStore
    public var statistics: any StatisticsStore
    public var audit: any AuditStore
    public var operations: any OperationsStore
    public var feedback: any FeedbackStore
    public var photos: PhotoFiles
    /// The transactions the workflow services run in.
    public var workflow: any WorkflowStore
    /// Per-address limits shared by several instances (PostgreSQL); nil where one process
    /// serves alone and counts in memory.
    public var limits: (any RequestLimitStore)?

    public init(
        registry: any RegistryStore, accounts: any AccountStore, vendors: any VendorStore, permits: any PermitStore,
        checkIns: any CheckInStore, reports: any ReportStore, inspections: any InspectionStore, statistics: any StatisticsStore,
        audit: any AuditStore,
        operations: any OperationsStore, feedback: any FeedbackStore, photos: PhotoFiles, workflow: any WorkflowStore
    ) {
        self.feedback = feedback
        self.workflow = workflow
        self.operations = operations
        self.statistics = statistics
        self.reports = reports
        self.inspections = inspections
        self.registry = registry
        self.accounts = accounts
        self.vendors = vendors
        self.permits = permits
        self.checkIns = checkIns
        self.audit = audit
        self.photos = photos
    }
}
