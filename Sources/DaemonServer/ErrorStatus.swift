import BerthModel
import DaemonAPI
import NIOHTTP1

/// How an error leaves berthd: always as a `BerthError` in the body, with a
/// status the code decides. The client reads the body, not the status; the
/// status is for people with `curl`.
///
/// | code | status |
/// |---|---|
/// | `not-found` | 404 |
/// | `usage`, `invalid-*` | 400 |
/// | `conflict`, `in-use`, `already-exists` | 409 |
/// | `daemon-request-too-large` | 413 |
/// | anything else | 500 |
enum ErrorStatus {
    /// The code of the 404 for a path no route has (the runtime's "not-found" too).
    static let notFound = BerthError.Code("not-found")

    /// The status for an error of `code`.
    static func status(for code: BerthError.Code) -> HTTPResponseStatus {
        switch code.rawValue {
        case "not-found": .notFound
        case "usage": .badRequest
        case let raw where raw.hasPrefix("invalid-"): .badRequest
        case "conflict", "in-use", "already-exists": .conflict
        case BerthError.Code.daemonRequestTooLarge.rawValue: .payloadTooLarge
        default: .internalServerError
        }
    }

    /// The `BerthError` a handler's failure travels as: itself when it is
    /// one; a request body that did not decode is the client's fault (400);
    /// anything else is berthd's (500), its description kept as the cause.
    static func berthError(for error: any Error, request: String) -> BerthError {
        switch error {
        case let error as BerthError:
            return error
        case let error as DecodingError:
            return BerthError(
                .daemonInvalidRequest, "\(request): the request body does not decode", cause: "\(error)")
        default:
            return BerthError(.daemonInternal, "\(request) failed inside berthd", cause: "\(error)")
        }
    }
}
