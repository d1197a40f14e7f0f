namespace DryWet.Core.Platform;

/// <summary>
/// The trainer's command lines (DryWet.TrainingWorker's CLI), built in one place for every launcher: the AppHost's
/// executable, container and published Job, its dashboard commands, and the compiled Kubeflow pipelines. A test parses
/// each with the trainer's own commands, so a renamed option fails there rather than in a pod.
/// </summary>
public static class TrainerArguments
{
    /// <summary><c>train --config … --data … --output …</c>, then <paramref name="extra"/> (e.g. <c>--no-register</c>, <c>--set k=v</c>).</summary>
    public static string[] Train(string config, string data, string output, params IEnumerable<string> extra) =>
        ["train", "--config", config, "--data", data, "--output", output, .. extra];

    /// <summary><c>download --output …</c>, from <c>--bucket</c>/<c>--object</c> when given (else the trainer's defaults).</summary>
    public static string[] Download(string output, string? bucket = null, string? objectKey = null) =>
        ["download", .. Optional("--bucket", bucket), .. Optional("--object", objectKey), "--output", output];

    /// <summary><c>upload --model …</c>, to <c>--bucket</c>/<c>--name</c> when given (else the trainer's defaults).</summary>
    public static string[] Upload(string model, string? bucket = null, string? name = null) =>
        ["upload", "--model", model, .. Optional("--bucket", bucket), .. Optional("--name", name)];

    /// <summary>
    /// <c>watch --config … --bucket …</c>, then <paramref name="extra"/>: in-process training (<c>--interval</c>,
    /// <c>--debounce</c>, <c>--output</c>) or the cluster's (<c>--submit-kfp --kubeflow-host … --training-image … --gpus …</c>).
    /// </summary>
    public static string[] Watch(string config, string bucket, params IEnumerable<string> extra) =>
        ["watch", "--config", config, "--bucket", bucket, .. extra];

    /// <summary><c>sample-data --output …</c>, then <paramref name="extra"/> (<c>--count</c>, <c>--size</c>, <c>--noise</c>, …).</summary>
    public static string[] SampleData(string output, params IEnumerable<string> extra) => ["sample-data", "--output", output, .. extra];

    /// <summary><c>promote --previous --reason …</c>: back to the model that served before the current one.</summary>
    public static string[] RollBack(string reason) => ["promote", "--previous", "--reason", reason];

    /// <summary><c>register-best --config … --data … --candidates … --promote …</c> (the sweep's last step).</summary>
    public static string[] RegisterBest(string config, string data, string candidates, string promote) =>
        ["register-best", "--config", config, "--data", data, "--candidates", candidates, "--promote", promote];

    private static string[] Optional(string option, string? value) => value is null ? [] : [option, value];
}
