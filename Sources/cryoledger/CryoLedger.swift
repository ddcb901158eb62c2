import ArgumentParser

@main
struct CryoLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryoledger",
        abstract: "The system of record for allogeneic CAR T products: donors, lots, vials, cryostorage and chain of custody.",
        discussion: """
            Without DATABASE_URL, cryoledger uses its embedded PostgreSQL cluster under .cryoledger/ (or CRYOLEDGER_HOME).
            Commands that act for a user take --token or CRYOLEDGER_TOKEN.
            """,
        subcommands: [
            Serve.self, DatabaseCommand.self, UserCommand.self, DemoCommand.self, ProductCommand.self,
            DonorCommand.self, LotCommand.self, QcCommand.self, VialCommand.self, StorageCommand.self, CustodyCommand.self, AuditCommand.self,
            AllocateCommand.self, HoldCommand.self, StudyCommand.self, PatientCommand.self, CohortCommand.self, DispenseCommand.self,
            ImportCommand.self, SupplyCommand.self, NotifyCommand.self,
        ]
    )
}
