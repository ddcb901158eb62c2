import Foundation

extension AllocationResult {
    /// The plan in format `cryoledger.allocation-plan/v1`, with the objective by level name,
    /// each level's proof status, the solve time and the explanations as extra fields.
    public func planJSON() -> Data {
        let w = JSONWriter()
        w.object {
            w.field("format") { w.string("cryoledger.allocation-plan/v1") }
            w.field("assignments") {
                w.array(assignments) { a in
                    w.object {
                        w.field("demand") { w.string(a.demand) }
                        w.field("lot") { w.string(a.lot) }
                        w.field("vials") { w.int(a.vials) }
                        w.field("explanation") { w.string(a.explanation) }
                    }
                }
            }
            w.field("unassigned") {
                w.array(unassigned) { u in
                    w.object {
                        w.field("demand") { w.string(u.demand) }
                        w.field("reason") { w.string(u.reason) }
                    }
                }
            }
            w.field("objective") { w.levels(objective) }
            w.field("levels") {
                w.array(Array(levels.enumerated())) { i, l in
                    w.object {
                        w.field("level") { w.int(i + 1) }
                        w.field("name") { w.string(l.name) }
                        w.field("value") { w.int(l.value) }
                        w.field("provenOptimal") { w.bool(l.provenOptimal) }
                        w.field("bound") { if let b = l.bound { w.int(b) } else { w.null() } }
                        w.field("seconds") { w.seconds(l.seconds) }
                        w.field("method") { w.string(l.method) }
                    }
                }
            }
            w.field("solver") {
                w.object {
                    w.field("name") { w.string("cryoledger-cbc") }
                    w.field("seconds") { w.seconds(solveSeconds) }
                    w.field("provenOptimal") { w.bool(levels.allSatisfy(\.provenOptimal)) }
                    w.field("allowedPairs") { w.int(allowedPairs) }
                    w.field("greedyObjective") { w.levels(greedyObjective) }
                    w.field("notes") { w.array(notes) { w.string($0) } }
                }
            }
        }
        w.out.append("\n")
        return Data(w.out.utf8)
    }
}

/// A small indenting JSON writer that keeps fields in the order written.
final class JSONWriter {
    var out = ""
    private var depth = 0
    private var first = true

    private func newline() {
        out.append("\n")
        out.append(String(repeating: " ", count: depth))
    }

    func object(_ body: () -> Void) {
        out.append("{")
        depth += 1
        first = true
        body()
        depth -= 1
        if !first { newline() }
        out.append("}")
        first = false
    }

    func array<T>(_ items: [T], _ each: (T) -> Void) {
        out.append("[")
        depth += 1
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(",") }
            newline()
            each(item)
        }
        depth -= 1
        if !items.isEmpty { newline() }
        out.append("]")
        first = false
    }

    func field(_ name: String, _ value: () -> Void) {
        if !first { out.append(",") }
        newline()
        string(name)
        out.append(": ")
        value()
        first = false
    }

    func string(_ s: String) {
        out.append("\"")
        for u in s.unicodeScalars {
            switch u {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(u)
            }
        }
        out.append("\"")
    }

    func int(_ v: Int) { out.append(String(v)) }
    func bool(_ v: Bool) { out.append(v ? "true" : "false") }
    func null() { out.append("null") }
    func seconds(_ v: Double) { out.append(String(format: "%.3f", v)) }

    func levels(_ values: [Int]) {
        object {
            for (name, v) in zip(AllocationResult.levelNames, values) { field(name) { int(v) } }
        }
    }
}
