/// Proactive negotiation on `Accept` (RFC 9110 §12.5.1): which of the media types an operation can answer
/// with the client accepts. Decided before the operation runs, so a client that accepts none of them gets a 406
/// and nothing is executed (a signed step must never commit and then fail to answer).
enum ContentNegotiation {
    struct MediaRange: Equatable {
        var type: Substring
        var subtype: Substring
        var quality: Double

        /// 2 for an exact type, 1 for `type/*`, 0 for `*/*`: the most specific range decides (RFC 9110 §12.5.1).
        var specificity: Int { type == "*" ? 0 : (subtype == "*" ? 1 : 2) }

        func matches(_ mediaType: (type: Substring, subtype: Substring)) -> Bool {
            (type == "*" || type == mediaType.type) && (subtype == "*" || subtype == mediaType.subtype)
        }
    }

    /// Parses an Accept header; ranges that are not `type/subtype` are ignored, as the RFC allows.
    static func parse(_ header: String) -> [MediaRange] {
        header.lowercased().split(separator: ",").compactMap { element in
            let params = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let range = params.first, let slash = range.firstIndex(of: "/") else { return nil }
            let type = Substring(range[..<slash]), subtype = Substring(range[range.index(after: slash)...])
            guard !type.isEmpty, !subtype.isEmpty, type != "*" || subtype == "*" else { return nil }
            var quality = 1.0
            for param in params.dropFirst() where param.hasPrefix("q=") {
                quality = Double(param.dropFirst(2)).map { min(max($0, 0), 1) } ?? 1
            }
            return MediaRange(type: type, subtype: subtype, quality: quality)
        }
    }

    /// The offered media types the client accepts (quality above zero), in the order offered.
    /// Without an Accept header, or with one that holds no valid range, everything is acceptable.
    static func acceptable(_ offered: [String], accept header: String?) -> [String] {
        guard let header else { return offered }
        let ranges = parse(header)
        if ranges.isEmpty { return offered }
        return offered.filter { offer in
            let lower = offer.lowercased()
            guard let slash = lower.firstIndex(of: "/") else { return false }
            let mediaType = (type: Substring(lower[..<slash]), subtype: Substring(lower[lower.index(after: slash)...]))
            let best = ranges.filter { $0.matches(mediaType) }.max { $0.specificity < $1.specificity }
            return (best?.quality ?? 0) > 0
        }
    }
}
