using Microsoft.AspNetCore.Http;

namespace TypedGraph.Server.Http;

/// <summary>TF's canonical error codes (tensorflow/core/protobuf/error_codes.proto), as TF Serving's handlers return them.</summary>
public enum ErrorCode
{
    /// <summary>Not an error.</summary>
    Ok = 0,
    /// <summary>The client went away.</summary>
    Cancelled = 1,
    /// <summary>Unknown error.</summary>
    Unknown = 2,
    /// <summary>Bad request content.</summary>
    InvalidArgument = 3,
    /// <summary>Took too long.</summary>
    DeadlineExceeded = 4,
    /// <summary>No such model/version.</summary>
    NotFound = 5,
    /// <summary>Too much: body or batch over a limit.</summary>
    ResourceExhausted = 8,
    /// <summary>Not in a state to serve the request.</summary>
    FailedPrecondition = 9,
    /// <summary>Unsupported feature (e.g. a dtype JSON cannot carry).</summary>
    Unimplemented = 12,
    /// <summary>A bug or an unexpected failure.</summary>
    Internal = 13,
    /// <summary>Shutting down or not loaded yet.</summary>
    Unavailable = 14,
}

/// <summary>
/// A request failed with a TF status: the handler writes <c>{ "error": message }</c> with the HTTP status TF
/// Serving's <c>ToHTTPStatusCode</c> (model_servers/http_server.cc) maps <see cref="Code"/> to.
/// </summary>
public sealed class ServingException(ErrorCode code, string message) : Exception(message)
{
    /// <summary>The TF status code.</summary>
    public ErrorCode Code { get; } = code;

    /// <summary>An INVALID_ARGUMENT error.</summary>
    public static ServingException InvalidArgument(string message) => new(ErrorCode.InvalidArgument, message);

    /// <summary>A NOT_FOUND error.</summary>
    public static ServingException NotFound(string message) => new(ErrorCode.NotFound, message);

    /// <summary>The HTTP status for a TF status code, as http_server.cc's ToHTTPStatusCode.</summary>
    public static int HttpStatus(ErrorCode code) => code switch
    {
        ErrorCode.Ok => StatusCodes.Status200OK,
        ErrorCode.Cancelled => 499, // CLIENT_CLOSED_REQUEST
        ErrorCode.InvalidArgument or ErrorCode.FailedPrecondition => StatusCodes.Status400BadRequest,
        ErrorCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        ErrorCode.Unimplemented => StatusCodes.Status501NotImplemented,
        ErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
