using DryWet.Serving.Admission;
using DryWet.Serving.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Serving.Apis;

/// <summary>The one wording of a shed request: 503, <c>Retry-After</c>, <c>{"error": ...}</c>, counted by reason.</summary>
internal static class ServerBusy
{
    public static JsonHttpResult<ErrorResponse> Result(HttpContext context, ServerBusyException error, ServingTelemetry telemetry)
    {
        telemetry.RecordRejectedRequest(error.Reason);
        context.Response.Headers.RetryAfter = ServerBusyException.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(new ErrorResponse(error.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
