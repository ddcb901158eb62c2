/// Where a site's label printer listens for raw ZPL: `host:port`, the port 9100 when left out (the raw TCP port of
/// Zebra and most label printers). The host is a DNS name or an IPv4 address. Database twin: the function
/// `site_label_printer_address` behind the check constraint of the same name on `site.label_printer` (046).
public struct LabelPrinterAddress: Sendable, Equatable, CustomStringConvertible {
    public static let defaultPort = 9100
    public let host: String
    public let port: Int

    public init(parsing text: String, field: String = "address") throws(DomainError) {
        let trimmed = ScanText.trimmed(text)
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        let rule = "must be a printer's host name or IPv4 address, optionally with :port (1-65535; 9100 when left out), e.g. 10.0.0.5:9100"
        guard parts.count == 1 || parts.count == 2 else { throw .invalid(field: field, rule: rule) }
        let host = String(parts[0])
        let hostBytes = Array(host.utf8)
        let hostOK = (1...253).contains(hostBytes.count)
            && hostBytes.allSatisfy { b in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
            }
            && hostBytes.first != UInt8(ascii: "-") && hostBytes.first != UInt8(ascii: ".")
        guard hostOK else { throw .invalid(field: field, rule: rule) }
        var port = Self.defaultPort
        if parts.count == 2 {
            let p = String(parts[1])
            guard (1...5).contains(p.utf8.count), p.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let n = Int(p), (1...65535).contains(n) else { throw .invalid(field: field, rule: rule) }
            port = n
        }
        self.host = host
        self.port = port
    }

    /// As stored in `site.label_printer`: always with its port.
    public var description: String { "\(host):\(port)" }
}
