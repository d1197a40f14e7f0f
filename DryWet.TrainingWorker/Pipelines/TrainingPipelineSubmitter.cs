using System.Globalization;
using System.Text.Json.Nodes;
using DryWet.Core;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>What <c>pipeline submit</c> does, in the original's order: health check, find-or-create the experiment,
/// create the run from the inline spec, print its URL, optionally follow it to a terminal state. A caller that stops
/// waiting (Ctrl+C, SIGTERM: the token is cancelled) terminates the run it waits on before it gives up: a run that
/// nobody follows any more is not left training (and registering) on its own.</summary>
public sealed class TrainingPipelineSubmitter(KubeflowPipelinesClient client, TextWriter output, TimeProvider? time = null)
{
    public const string ExperimentName = "Dry-Wet Model Training Experiment";

    /// <summary>How long terminating a run may take once the caller was cancelled (the pod's grace period is 30 s).</summary>
    public static readonly TimeSpan TerminateTimeout = TimeSpan.FromSeconds(10);
    private readonly TimeProvider clock = time ?? TimeProvider.System;

    public sealed record Options(
        Uri KubeflowHost,
        string? Namespace,
        bool Wait,
        TimeSpan PollInterval,
        TimeSpan? WaitTimeout);

    public sealed record Outcome(string RunId, string RunUrl, string? FinalState)
    {
        /// <summary>0 when submitted (no wait) or SUCCEEDED; 1 for FAILED, CANCELED, SKIPPED or a wait timeout.</summary>
        public int ExitCode => FinalState is null or KubeflowRunStates.Succeeded ? 0 : 1;
    }

    public async Task<Outcome> SubmitAsync(CompiledPipeline pipeline, Options options, CancellationToken ct)
    {
        var health = await client.GetHealthAsync(ct);
        if (!health.IsReady)
        {
            throw new DryWetException($"Kubeflow Pipelines at {options.KubeflowHost} answers, but its API server is not ready. Wait for `kubectl get pods -n kubeflow` to settle and retry.");
        }

        if (health.IsMultiUser && string.IsNullOrEmpty(options.Namespace))
        {
            throw new DryWetException($"Kubeflow Pipelines at {options.KubeflowHost} is multi-user; pass --namespace <your profile namespace> (DryWet's platform installs the single-user, platform-agnostic KFP).");
        }

        output.WriteLine($"Kubeflow Pipelines {health.Version} at {options.KubeflowHost} is healthy.");

        var experiment = await client.FindExperimentAsync(ExperimentName, options.Namespace, ct);
        if (experiment is null)
        {
            experiment = await client.CreateExperimentAsync(
                new KubeflowCreateExperimentRequest(ExperimentName, "Training runs of the dry/wet road classifier.", NullIfEmpty(options.Namespace)), ct);
            output.WriteLine($"Created experiment '{ExperimentName}' ({experiment.ExperimentId}).");
        }
        else
        {
            output.WriteLine($"Using experiment '{ExperimentName}' ({experiment.ExperimentId}).");
        }

        if (string.IsNullOrEmpty(experiment.ExperimentId))
        {
            throw new DryWetException($"Kubeflow Pipelines returned experiment '{ExperimentName}' without an experiment_id.");
        }

        var parameters = new JsonObject();
        foreach (var (name, value) in pipeline.Settings.RunParameters)
        {
            parameters[name] = value; // all STRING in the spec: the server type-checks them against parameterType
        }

        var runName = $"dry-wet-training {clock.GetLocalNow().ToString("yyyy-MM-dd HH-mm-ss", CultureInfo.InvariantCulture)}";
        var run = await client.CreateRunAsync(new KubeflowCreateRunRequest(
            runName, experiment.ExperimentId, pipeline.ToRunPipelineSpec(), new RuntimeConfig(parameters)), ct);
        if (string.IsNullOrEmpty(run.RunId))
        {
            throw new DryWetException($"Kubeflow Pipelines accepted run '{runName}' but returned no run_id.");
        }

        var url = $"{options.KubeflowHost.ToString().TrimEnd('/')}/#/runs/details/{run.RunId}";
        output.WriteLine($"Submitted run '{runName}' ({run.RunId}).");
        output.WriteLine($"Run URL: {url}");

        if (!options.Wait)
        {
            return new Outcome(run.RunId, url, null);
        }

        try
        {
            return new Outcome(run.RunId, url, await WaitAsync(run.RunId, options, ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await TerminateAsync(run.RunId, url);
            throw;
        }
    }

    private async Task TerminateAsync(string runId, string url)
    {
        using var limit = new CancellationTokenSource(TerminateTimeout);
        try
        {
            await client.TerminateRunAsync(runId, limit.Token);
            output.WriteLine($"Stopped: terminated Kubeflow run {runId} ({url}).");
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or OperationCanceledException)
        {
            var why = ex is OperationCanceledException ? $"no answer within {TerminateTimeout.TotalSeconds:0} s" : ex.Message;
            output.WriteLine($"Stopped, but Kubeflow run {runId} could not be terminated ({why}): it keeps running; terminate it on {url}.");
        }
    }

    private async Task<string> WaitAsync(string runId, Options options, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        string? last = null;
        while (true)
        {
            var run = await client.GetRunAsync(runId, ct);
            var state = string.IsNullOrEmpty(run.State) ? "PENDING" : run.State;
            if (state != last)
            {
                output.WriteLine($"{clock.GetUtcNow():HH:mm:ss} run {runId}: {state}");
                last = state;
            }

            if (KubeflowRunStates.IsTerminal(state))
            {
                if (state != KubeflowRunStates.Succeeded)
                {
                    var why = run.Error?.Message is { Length: > 0 } m ? $": {m}" : ".";
                    output.WriteLine($"Run {runId} ended {state}{why} See the run page for the failing step's logs.");
                    foreach (var task in run.RunDetails?.TaskDetails ?? [])
                    {
                        if (task.State is KubeflowRunStates.Failed or KubeflowRunStates.Canceled)
                        {
                            var detail = task.Error?.Message is { Length: > 0 } tm ? $": {tm}" : "";
                            output.WriteLine($"  step {task.DisplayName ?? "?"} {task.State}{detail}");
                        }
                    }
                }
                else
                {
                    output.WriteLine($"Run {runId} SUCCEEDED.");
                }

                return state;
            }

            if (options.WaitTimeout is { } limit && clock.GetElapsedTime(started) >= limit)
            {
                output.WriteLine($"Gave up waiting after {limit.TotalMinutes:0.#} min; run {runId} is still {state} (it keeps running in the cluster).");
                return $"TIMEOUT({state})";
            }

            await Task.Delay(options.PollInterval, clock, ct);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
