import Foundation

/// Finds a key given twice in one JSON object. JSON parsers disagree on which copy wins (the first, the last),
/// so a body with `{"reason": "a", "reason": "b"}` could be screened as one value and decoded as the other: such
/// a body is refused whole, naming the key. Only the structure is followed here; malformed JSON is left to the
/// decoder, which names what is wrong with it.
enum JSONDuplicateKeys {
    private enum Frame {
        case object(path: String, keys: Set<String>, key: String?, expectingKey: Bool)
        case array(path: String, index: Int)
    }

    /// The JSON path ("signature.password", "hla[2].allele") of the first key that repeats in its object, if any.
    static func firstDuplicate<Bytes: Collection>(in bytes: Bytes) -> String? where Bytes.Element == UInt8, Bytes.Index == Int {
        var stack: [Frame] = []
        var i = bytes.startIndex
        /// The path of the value about to start in the innermost container.
        func valuePath() -> String {
            switch stack.last {
            case .object(let path, _, let key, _)?: return path.isEmpty ? (key ?? "") : "\(path).\(key ?? "")"
            case .array(let path, let index)?: return "\(path)[\(index)]"
            case nil: return ""
            }
        }
        while i < bytes.endIndex {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "{"): stack.append(.object(path: valuePath(), keys: [], key: nil, expectingKey: true))
            case UInt8(ascii: "["): stack.append(.array(path: valuePath(), index: 0))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","):
                switch stack.last {
                case .object(let path, let keys, let key, _)?: stack[stack.count - 1] = .object(path: path, keys: keys, key: key, expectingKey: true)
                case .array(let path, let index)?: stack[stack.count - 1] = .array(path: path, index: index + 1)
                case nil: break
                }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.endIndex, bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard i < bytes.endIndex else { return nil }
                if case .object(let path, var keys, _, true)? = stack.last {
                    let raw = Array(bytes[start...i])
                    // Escapes are decoded, so "\u0061" and "a" are the same key.
                    let key = raw.contains(UInt8(ascii: "\\"))
                        ? ((try? JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed])) as? String) ?? String(decoding: raw, as: UTF8.self)
                        : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    let child = path.isEmpty ? key : "\(path).\(key)"
                    guard keys.insert(key).inserted else { return child }
                    stack[stack.count - 1] = .object(path: path, keys: keys, key: key, expectingKey: false)
                }
            default: break
            }
            i += 1
        }
        return nil
    }
}
