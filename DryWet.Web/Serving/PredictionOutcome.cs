namespace DryWet.Web.Serving;

/// <summary>What the try-it page shows: serving's answer with the round trip it took, or serving's error message.</summary>
public sealed record PredictionOutcome(PredictionAnswer? Answer, TimeSpan Latency, string? Error, int? StatusCode)
{
    public bool Succeeded => Answer is not null;

    public static PredictionOutcome Success(PredictionAnswer answer, TimeSpan latency) => new(answer, latency, null, 200);

    public static PredictionOutcome Failure(string error, int? statusCode = null) => new(null, TimeSpan.Zero, error, statusCode);
}
