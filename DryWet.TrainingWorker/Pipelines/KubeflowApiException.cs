using System.Net;
using System.Text.Json;
using DryWet.Core;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// An error answer from the KFP API, read from either body shape: grpc-gateway v1 (KFP 2.0–2.5)
/// <c>{"error","code","message","details"}</c> or v2 (KFP ≥ 2.14) <c>{"code","message","details"}</c>.
/// </summary>
public sealed class KubeflowApiException : DryWetException
{
    public KubeflowApiException(string operation, HttpStatusCode status, int? grpcCode, string detail)
        : base($"Kubeflow Pipelines refused {operation}: HTTP {(int)status} {status}{GrpcSuffix(grpcCode)}: {detail}{Hint(status)}")
    {
        Status = status;
        GrpcCode = grpcCode;
        Detail = detail;
    }

    public HttpStatusCode Status { get; }
    public int? GrpcCode { get; }
    public string Detail { get; }

    public static KubeflowApiException FromBody(string operation, HttpStatusCode status, string body)
    {
        int? code = null;
        string? message = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                var root = json.RootElement;
                if (root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number)
                {
                    code = c.GetInt32();
                }

                // v2 has only "message"; v1 has "error" and "message" (usually equal): prefer message, fall back to error.
                if (root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } msg)
                {
                    message = msg;
                }
                else if (root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
                {
                    message = e.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: e.g. an HTML 404 from the gateway when the host or prefix is wrong.
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            var text = body.Trim();
            message = text.Length == 0 ? "(empty body)" : text.Length > 300 ? text[..300] + "…" : text;
        }

        return new KubeflowApiException(operation, status, code, message);
    }

    private static string GrpcSuffix(int? code) => code is null ? "" : $" (gRPC {code} {GrpcName(code.Value)})";

    private static string GrpcName(int code) => code switch
    {
        0 => "OK", 1 => "Canceled", 2 => "Unknown", 3 => "InvalidArgument", 4 => "DeadlineExceeded", 5 => "NotFound",
        6 => "AlreadyExists", 7 => "PermissionDenied", 8 => "ResourceExhausted", 9 => "FailedPrecondition",
        10 => "Aborted", 11 => "OutOfRange", 12 => "Unimplemented", 13 => "Internal", 14 => "Unavailable",
        15 => "DataLoss", 16 => "Unauthenticated", _ => "code",
    };

    private static string Hint(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => ". Check --kubeflow-host (it should end with /pipeline when going through the gateway).",
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ". This looks like a multi-user Kubeflow; DryWet targets the standalone (platform-agnostic) install.",
        HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout =>
            ". The KFP API server is not ready yet; check `kubectl get pods -n kubeflow`.",
        _ => ".",
    };
}
