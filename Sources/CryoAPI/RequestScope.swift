import CryoStore
import Logging

/// Per-request values the generated handlers cannot receive as arguments.
enum RequestScope {
    @TaskLocal static var principal: Principal?
    @TaskLocal static var logger: Logger = Logger(label: "cryoledger.api")
}
