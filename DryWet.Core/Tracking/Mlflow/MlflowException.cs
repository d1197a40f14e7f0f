namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// An error answered by the MLflow server: its <c>error_code</c> (e.g. RESOURCE_DOES_NOT_EXIST, which comes as 404, or
/// RESOURCE_ALREADY_EXISTS, which comes as 400) and <c>message</c>, with the call that failed.
/// </summary>
public sealed class MlflowException(int statusCode, string errorCode, string serverMessage, string call)
    : DryWetException($"MLflow {call} failed: HTTP {statusCode} {errorCode}: {serverMessage}")
{
    public const string ResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST";
    public const string ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";
    public const string InvalidParameterValue = "INVALID_PARAMETER_VALUE";
    public const string TemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE";

    public int StatusCode { get; } = statusCode;
    public string ErrorCode { get; } = errorCode;
    public string ServerMessage { get; } = serverMessage;

    public bool IsNotFound => ErrorCode is ResourceDoesNotExist or "NOT_FOUND";
    public bool IsAlreadyExists => ErrorCode == ResourceAlreadyExists;
}

/// <summary>The MLflow server could not be reached (connection refused, timeout, retries exhausted).</summary>
public sealed class MlflowUnavailableException(Uri server, string call, Exception inner)
    : DryWetException($"MLflow at {server} is unreachable during {call}: {inner.Message}. Check that the tracking server runs and ConnectionStrings:mlflow points at it.", inner);
