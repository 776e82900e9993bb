// Hearth SDK runtime: file upload.
import Foundation

private struct Uploaded: Decodable {
    let name: String
    let url: String?
}

extension ParseClient {
    /// Uploads `data` as a file named `name`; store the returned `ParseFile` in a File field.
    public func uploadFile(name: String, data: Data, contentType: String = "application/octet-stream") async throws -> ParseFile {
        let path = "files/" + name
        let answer = try ParseCoding.decode(Uploaded.self, from: try await request("POST", path, body: data, contentType: contentType))
        return ParseFile(name: answer.name, url: answer.url)
    }
}
