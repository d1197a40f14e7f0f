namespace DryWet.Serving.Apis;

// Wire contracts. Property names become snake_case (JsonNamingPolicy.SnakeCaseLower), matching the original FastAPI
// app key for key; fields after the original's are DryWet additions.

/// <summary><c>GET /</c>: the original's health answer.</summary>
public sealed record StatusResponse(string Status, bool ModelLoaded, string? ModelVersion, string ModelStage, string ImageVersion,
    string? ModelName, string? ModelError);

/// <summary><c>GET /model/info</c>.</summary>
public sealed record ModelInfoResponse(
    string ModelName, string ModelVersion, string ModelStage, string ModelDescription, long CreationTimestamp, long LastUpdatedTimestamp,
    string ExecutionProvider, string InputName, string OutputName, int InputWidth, int InputHeight, IReadOnlyList<string> Labels,
    int MaxBatchSize, string Source, DateTimeOffset LoadedAt, ShadowInfo? Shadow);

/// <summary>The shadow model of <c>GET /model/info</c> (the registry's challenger, classifying sampled traffic off the response path).</summary>
public sealed record ShadowInfo(string ModelVersion, DateTimeOffset LoadedAt);

/// <summary><c>POST /model/reload</c> success (200).</summary>
public sealed record ReloadSucceededResponse(string Message, string ModelVersion, string Status, string ModelName, string? PreviousVersion);

/// <summary><c>POST /model/reload</c> failure (500): the original's body plus the reason and what still serves.</summary>
public sealed record ReloadFailedResponse(string Message, string Status, string Reason, string? ModelVersion);

/// <summary><c>POST /predict</c> success.</summary>
public sealed record PredictionResponse(string Prediction, IReadOnlyDictionary<string, float> Probabilities, string ModelVersion, string ModelName);

/// <summary>Any 4xx: what was wrong and what to do.</summary>
public sealed record ErrorResponse(string Error);

/// <summary><c>POST /predict</c> without a model (503): the original's text plus why.</summary>
public sealed record ModelUnavailableResponse(string Error, string? Reason);

/// <summary><c>POST /predict</c> server fault (500), the original's shape.</summary>
public sealed record PredictionFailedResponse(string Error, string ErrorType, string ErrorDetails);
