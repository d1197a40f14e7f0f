using System.Globalization;
using System.Text.Json.Nodes;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Overrides;
using DryWet.TrainingWorker.Promotion;
using DryWet.TrainingWorker.Training;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// The sweep's fan-in (<c>register-best</c>): of the collected train results, registers only the best run's logged
/// model, then sends that version through the champion/challenger gate on the best run's own validation split (the
/// split its config, overrides included, makes of the same data) plus <c>ml-data/eval/</c>. The sweep itself is recorded
/// as one run in the experiment: every candidate, the chosen one, the gate's decision and both accuracies. When the gate
/// cannot judge (e.g. the champion does not load), the version keeps no alias and is tagged with the reason.
/// </summary>
public sealed class SweepRegistration(IModelRegistry registry, IExperimentTracker tracker, ITrackedRunReader runs, IObjectStore? objects,
    ITrainingProgress progress)
{
    public const string BestRunTag = "drywet.sweep.best_run_id";
    public const string CandidatesTag = "drywet.sweep.candidates";

    public sealed record Request(IReadOnlyList<SweepCandidate> Candidates, string ConfigPath, string Data, PromotionPolicy Policy, string? WorkDirectory = null);

    public sealed record Outcome(SweepCandidate Best, ModelVersion Version, PromotionDecision Decision);

    public async Task<Outcome> RegisterBestAsync(Request request, CancellationToken cancellationToken)
    {
        var best = SweepSelection.Best(request.Candidates);
        foreach (var candidate in request.Candidates)
        {
            progress.Message(string.Create(CultureInfo.InvariantCulture,
                $"{(ReferenceEquals(candidate, best) ? "best " : "     ")} run {candidate.RunId}: best_val_acc {candidate.BestValAcc:F4} ({Describe(candidate)})"));
        }

        // The best run's config, rebuilt from the image's file and its overrides: its split and thresholds are the ones it trained with.
        var overrides = ConfigOverride.ParseAll(best.Overrides.Select(o => $"{o.Key}={o.Value}"), "--candidates overrides");
        var config = ConfigWithOverrides.Load(request.ConfigPath, overrides);
        var work = request.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "drywet-register-best-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var evaluation = await EvaluationAsync(config, request.Data, work, cancellationToken);
            var name = config.Mlflow.RegisteredModelName;
            var description = ModelRegistration.Description(best.BestValAcc) +
                $" — best of {request.Candidates.Count} sweep run{(request.Candidates.Count == 1 ? "" : "s")} ({Describe(best)})";
            progress.Message($"Registering {name} from {best.ModelSource} (run {best.RunId}) in {registry.Description} …");
            var version = await registry.RegisterAsync(name, best.ModelSource, best.RunId, description, best.ModelId, cancellationToken);
            // The data's identity, as train puts it on the versions it registers: the watcher skips content already trained.
            var datasetTags = (await runs.GetRunAsync(best.RunId, cancellationToken)).Tags
                .Where(t => t.Key.StartsWith("dataset.", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);
            if (datasetTags.Count > 0)
            {
                await registry.SetVersionTagsAsync(name, version.Version, datasetTags, cancellationToken);
            }

            var package = Path.Combine(work, "challenger");
            await registry.DownloadAsync(version, package, cancellationToken);

            var gate = new PromotionGate(registry, progress);
            PromotionDecision decision;
            try
            {
                decision = await gate.DecideAsync(name, package, evaluation, request.Policy, config.Evaluation, work, cancellationToken);
            }
            catch (DryWetException ex)
            {
                // Registered but never judged: no alias moves, and the version says why it has none.
                await registry.SetVersionTagsAsync(name, version.Version, new Dictionary<string, string>
                {
                    [PromotionDecision.OutcomeTag] = "error",
                    [PromotionDecision.ReasonTag] = ex.Message.Length > 4000 ? ex.Message[..4000] : ex.Message,
                }, CancellationToken.None);
                throw;
            }

            await gate.ApplyAsync(decision, version, cancellationToken);
            await RecordAsync(config, request.Candidates, best, version, decision, cancellationToken);
            return new Outcome(best, version, decision);
        }
        finally
        {
            if (request.WorkDirectory is null)
            {
                TryDelete(work);
            }
        }
    }

    private async Task<EvaluationSet> EvaluationAsync(DryWetConfig config, string data, string work, CancellationToken cancellationToken)
    {
        if (ObjectStoreUri.IsObjectStoreUri(data) && objects is null)
        {
            throw new DryWetException($"--data {data} is in an object store, but none is configured (ConnectionStrings__minio).");
        }

        // Laid out exactly as each train step laid it out, so the split is the one the candidates validated on.
        var prepared = await DatasetPreparation.PrepareAsync(data, null, objects, work, null, progress.Message, cancellationToken);
        var dataset = ImageFolderDataset.Open(prepared.Materialized.Directory, work, describedAs: data);
        var (_, validation) = StratifiedSplit.Split(dataset.Images, dataset.Classes, config.Data.TestSize, config.Data.RandomState);
        return await EvaluationSet.BuildAsync(objects, validation, dataset.Classes, work, progress, cancellationToken);
    }

    /// <summary>One run for the sweep in the experiment, so the choice and the decision sit next to the candidates' runs.</summary>
    private async Task RecordAsync(DryWetConfig config, IReadOnlyList<SweepCandidate> candidates, SweepCandidate best, ModelVersion version,
        PromotionDecision decision, CancellationToken cancellationToken)
    {
        var tags = new Dictionary<string, string>(decision.Tags(), StringComparer.Ordinal)
        {
            [BestRunTag] = best.RunId,
            [CandidatesTag] = new JsonArray([.. candidates.Select(c => (JsonNode?)c.ToJson())]).ToJsonString(),
            ["drywet.registered_version"] = version.Version,
        };
        await using var run = await tracker.StartRunAsync(config.Mlflow.ExperimentName, $"sweep-best-of-{candidates.Count}", tags, cancellationToken);
        await run.LogMetricsAsync([MetricPoint.Now("best_val_acc", best.BestValAcc, 0), MetricPoint.Now("candidates", candidates.Count, 0),
            .. decision.Metrics().Select(m => MetricPoint.Now(m.Key, m.Value, 0))], cancellationToken);
        await run.EndAsync(RunOutcome.Finished, cancellationToken);
        progress.Message($"Sweep recorded as run {run.RunId} in experiment '{config.Mlflow.ExperimentName}'.");
    }

    private static string Describe(SweepCandidate candidate) =>
        candidate.Overrides.Count == 0 ? "no overrides" : string.Join(", ", candidate.Overrides.Select(o => $"{o.Key}={o.Value}"));

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space only.
        }
    }
}
