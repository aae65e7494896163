import BerthModel
import NIOHTTP1

/// How an error leaves berthd: always as a `BerthError` in the body, with a
/// status the code decides. The client reads the body, not the status; the
/// status is for people with `curl`.
enum ErrorStatus {
    /// The status for an error of `code`: every code of the vocabulary is
    /// listed, so a new one is placed on purpose; a code this berthd does
    /// not know is its own failure (500).
    static func status(for code: BerthError.Code) -> HTTPResponseStatus {
        switch code {
        case .notFound:
            .notFound
        case .usage, .invalidArgument, .invalidName, .invalidReference, .invalidSpec, .invalidState, .invalidArchive,
            .invalidCompose, .daemonInvalidRequest:
            .badRequest
        case .alreadyExists, .inUse:
            .conflict
        case .daemonRequestTooLarge:
            .payloadTooLarge
        case .unreadableFile, .yamlSyntax, .interpolation, .cycle, .noComposeFile, .permission, .unwritableFile,
            .unsupported, .timeout, .cancelled:
            .internalServerError
        case .addressTaken, .addressUnavailable, .bind, .cgroupSetup, .command, .digestMismatch, .exhausted, .host,
            .io, .overlap, .runtime, .state, .system, .unknownUser:
            .internalServerError
        case .dependencyFailed, .executionFailed:
            .internalServerError
        case .daemonUnreachable, .daemonAccessDenied, .daemonConnectionLost, .daemonProtocol, .daemonSocket,
            .daemonAlreadyRunning, .daemonInternal, .daemonBusy:
            .internalServerError
        default:
            .internalServerError
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
