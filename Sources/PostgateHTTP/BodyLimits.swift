import HTTPTypes

/// What bodies the service takes and how large, defined once: JSON bodies are read whole up to
/// `json`; file uploads (CSV, an .xlsx workbook, the console's file form) stream, up to the
/// service's upload limit (`postgate serve --upload-limit`).
enum BodyLimits {
    /// The largest JSON body a route takes, in bytes (1 MiB).
    static let json = 1 << 20
    /// The largest response an idempotency key keeps for its replays, in bytes (2 MiB).
    static let storedResponse = 2 << 20

    static let workbookType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    /// A file the API streams instead of reading whole: CSV or a workbook.
    static func isFile(contentType: String?) -> Bool {
        let type = contentType?.lowercased() ?? ""
        return type.hasPrefix("text/csv") || type.hasPrefix(workbookType)
    }

    /// A file upload: a file to the API, or the console's file form.
    static func isUpload(contentType: String?, path: String) -> Bool {
        isFile(contentType: contentType)
            || (contentType?.lowercased().hasPrefix("multipart/form-data") == true && path == "/console/adjustments/import")
    }
}
