using System.Text.RegularExpressions;
using DryWet.Core.Storage;

namespace DryWet.Core.Tracking;

/// <summary>
/// Brings LoggedModel files an older DryWet wrote into the layout MLflow's FileStore reads (a real 3.9 server answered
/// 400 "Unknown model status: READY" and 500 KeyError 'tags' on them): <c>status: READY</c> becomes the integer MLflow
/// keeps (1 PENDING, 2 READY, 3 FAILED) with <c>lifecycle_stage: active</c>, and a run's <c>outputs/&lt;m-id&gt;/meta.yaml</c>
/// without <c>tags:</c> is rewritten as MLflow writes it. Idempotent; each file is replaced atomically.
/// </summary>
internal static partial class EmbeddedLoggedModelRepair
{
    public static async Task<int> RepairAsync(string mlrunsRoot, CancellationToken cancellationToken)
    {
        var repaired = 0;
        // Experiment folders have numeric ids; mlruns/models (the registry) and dot-folders are not experiments.
        foreach (var experiment in Directory.Exists(mlrunsRoot) ? Directory.EnumerateDirectories(mlrunsRoot) : [])
        {
            if (!Path.GetFileName(experiment).All(char.IsAsciiDigit))
            {
                continue;
            }

            foreach (var meta in Metas(Path.Combine(experiment, EmbeddedLoggedModels.ModelsFolder)))
            {
                repaired += await RepairModelMetaAsync(meta, cancellationToken) ? 1 : 0;
            }

            foreach (var run in Directory.EnumerateDirectories(experiment))
            {
                foreach (var meta in Metas(Path.Combine(run, EmbeddedLoggedModels.OutputsFolder)))
                {
                    repaired += await RepairOutputMetaAsync(meta, cancellationToken) ? 1 : 0;
                }
            }
        }

        return repaired;
    }

    private static IEnumerable<string> Metas(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateDirectories(folder).Select(d => Path.Combine(d, "meta.yaml")).Where(File.Exists) : [];

    private static async Task<bool> RepairModelMetaAsync(string meta, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(meta, cancellationToken);
        var match = NamedStatus().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var status = match.Groups[1].Value switch { "PENDING" => "1", "READY" => "2", _ => "3" };
        var fixedText = text.Replace(match.Value, "status: " + status, StringComparison.Ordinal);
        if (!fixedText.Contains("\nlifecycle_stage:", StringComparison.Ordinal))
        {
            fixedText = fixedText.Replace("\nmodel_id:", "\nlifecycle_stage: active\nmodel_id:", StringComparison.Ordinal);
        }

        await AtomicFile.WriteAllTextAsync(meta, fixedText, cancellationToken);
        return true;
    }

    private static async Task<bool> RepairOutputMetaAsync(string meta, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(meta, cancellationToken);
        if (TagsKey().IsMatch(text))
        {
            return false;
        }

        var modelId = Path.GetFileName(Path.GetDirectoryName(meta)!);
        await AtomicFile.WriteAllTextAsync(meta, EmbeddedLoggedModels.OutputMeta(modelId), cancellationToken);
        return true;
    }

    [GeneratedRegex("^status: (PENDING|READY|FAILED|UPLOAD_FAILED)$", RegexOptions.Multiline)]
    private static partial Regex NamedStatus();

    [GeneratedRegex("^tags:", RegexOptions.Multiline)]
    private static partial Regex TagsKey();
}
