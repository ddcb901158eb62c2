import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// `multipart/form-data` (RFC 7578) from the console's upload form, parsed by vapor/multipart-kit.
enum Multipart {
    struct Part { var name: String; var fileName: String?; var data: Data }

    /// The boundary of a `multipart/form-data` content type; nil for any other type.
    static func boundary(of contentType: String?) -> String? {
        guard let type = contentType.flatMap(MediaType.init(from:)), type.isType(.multipartForm),
              let parameter = type.parameter, parameter.name.lowercased() == "boundary" else { return nil }
        return parameter.value
    }

    /// The named parts of a body; a malformed body has none.
    static func parse(_ body: Data, boundary: String) -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers = HTTPHeaders(), content = ByteBuffer()
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let part = MultipartPart(headers: headers, body: content)
            if let name = part.name {
                parts.append(Part(name: name, fileName: fileName(headers), data: Data(buffer: content)))
            }
            headers = HTTPHeaders(); content = ByteBuffer()
        }
        do { try parser.execute(ByteBuffer(bytes: body)) } catch { return [] }
        return parts
    }

    /// The `filename` of a part's Content-Disposition (multipart-kit reads only `name` publicly).
    private static func fileName(_ headers: HTTPHeaders) -> String? {
        guard let disposition = headers.first(name: "Content-Disposition"),
              let match = disposition.firstMatch(of: /;\s*filename="([^"]*)"/) else { return nil }
        return String(match.1)
    }
}
