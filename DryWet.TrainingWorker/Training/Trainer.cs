using System.Diagnostics;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>What a finished training loop produced; the model holds the best epoch's weights.</summary>
public sealed record TrainingOutcome(
    IReadOnlyList<EpochMetrics> History,
    double BestValAcc,
    int BestEpoch,
    bool StoppedEarly,
    ClassificationReport Report,
    TimeSpan Duration)
{
    /// <summary>Share of training-step time spent waiting for data, over all epochs.</summary>
    public double DataWaitShare => History.Count == 0 ? 0 : History.Sum(h => h.DataWaitShare * h.Duration.TotalSeconds) / History.Sum(h => h.Duration.TotalSeconds);
}

/// <summary>
/// The original's training recipe: focal loss with class weights, AdamW with explicit weight decay, gradient clipping
/// at 1.0, ReduceLROnPlateau and early stopping on val_acc, best-epoch weights kept (best val_acc; among equal ones,
/// the lowest val_loss). Runs on CUDA when available.
/// When <paramref name="fineTuning"/> (the backbone starts from pretrained weights), the transfer-learning recipe on top
/// (<see cref="FineTuningRecipe"/>): the backbone learns at <c>training.backbone_lr_factor</c> × the head's rate, is
/// frozen for the first <c>training.freeze_backbone_epochs</c>, and BatchNorm keeps its pretrained statistics for
/// small batches (<c>training.batchnorm</c>).
/// </summary>
public sealed class Trainer(DryWetConfig config, ITrainingProgress progress, bool fineTuning = false)
{
    public const double GradientClipNorm = 1.0;

    /// <param name="onEpoch">Called after each epoch (e.g. to log metrics to the tracker).</param>
    public TrainingOutcome Fit(nn.Module<Tensor, Tensor> model, SampleLoader loader, IReadOnlyList<LabeledImage> train,
        IReadOnlyList<LabeledImage> validation, IReadOnlyList<string> classes, Device device,
        Action<EpochMetrics>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.StartNew();
        var t = config.Training;
        var counts = Enumerable.Range(0, classes.Count).Select(c => train.Count(i => i.Label == c)).ToArray();
        using var weights = tensor(FocalLoss.ClassWeights(counts)).to(device);
        var loss = new FocalLoss(weights, config.Loss.FocalLossGamma);
        model.to(device);
        var recipe = FineTuningRecipe.For(config, model, fineTuning);
        progress.Message(recipe.Describe());
        using var optimizer = recipe.CreateOptimizer(t.LearningRate, t.WeightDecay);
        var scheduler = new PlateauScheduler(config.Scheduler.Mode, config.Scheduler.Factor, config.Scheduler.Patience, t.LearningRate);
        var stopping = new EarlyStopping(config.EarlyStopping.Patience, config.EarlyStopping.MinDelta);
        var history = new List<EpochMetrics>();
        Dictionary<string, Tensor>? best = null;
        var bestAcc = double.NegativeInfinity;
        var bestLoss = double.PositiveInfinity;
        var bestEpoch = 0;

        try
        {
            for (var epoch = 1; epoch <= t.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var epochWatch = Stopwatch.StartNew();
                var (trainLoss, trainAcc, images, wait) = TrainEpoch(model, recipe, loader, train, loss, optimizer, device, epoch, cancellationToken);
                var trainSeconds = epochWatch.Elapsed.TotalSeconds;
                var (valLoss, valAcc, _, _) = Evaluate(model, loader, validation, loss, device, classes.Count, cancellationToken);
                // A tie on val_acc (common at 1.0) goes to the lower val_loss: the original kept the first such epoch,
                // the least trained one (docs/training.md: such a run scored 0.9675 on fresh images, validation 1.0).
                var improved = valAcc > bestAcc || (valAcc == bestAcc && valLoss < bestLoss);
                if (improved)
                {
                    bestAcc = valAcc;
                    bestLoss = valLoss;
                    bestEpoch = epoch;
                    DisposeAll(best);
                    best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }

                var reduced = scheduler.Step(valAcc);
                recipe.ApplyLearningRate(optimizer, scheduler.LearningRate);

                var metrics = new EpochMetrics(epoch, trainLoss, trainAcc, valLoss, valAcc, scheduler.LearningRate,
                    images / Math.Max(1e-9, trainSeconds), wait.TotalSeconds / Math.Max(1e-9, trainSeconds), epochWatch.Elapsed);
                history.Add(metrics);
                progress.EpochCompleted(metrics, improved, reduced);
                onEpoch?.Invoke(metrics);
                if (stopping.Step(valAcc))
                {
                    progress.Message($"Early stopping after epoch {epoch}: val_acc has not improved by more than {config.EarlyStopping.MinDelta} for {config.EarlyStopping.Patience} epochs.");
                    break;
                }
            }

            if (best is not null)
            {
                model.load_state_dict(best);
            }

            var (_, _, truth, predicted) = Evaluate(model, loader, validation, loss, device, classes.Count, cancellationToken);
            return new TrainingOutcome(history, bestAcc, bestEpoch, stopping.ShouldStop,
                new ClassificationReport(classes, truth, predicted), started.Elapsed);
        }
        finally
        {
            DisposeAll(best);
        }
    }

    private (double Loss, double Acc, int Images, TimeSpan Wait) TrainEpoch(nn.Module<Tensor, Tensor> model, FineTuningRecipe recipe,
        SampleLoader loader, IReadOnlyList<LabeledImage> train, FocalLoss loss, AdamWOptimizer optimizer, Device device, int epoch, CancellationToken ct)
    {
        recipe.EnterTrainingEpoch(epoch, progress);
        var t = config.Training;
        using var prefetcher = new BatchPrefetcher(loader, train, t.BatchSize, train: true, config.RandomSeed, epoch, Math.Max(1, t.NumWorkers));
        progress.EpochStarted(epoch, t.Epochs, prefetcher.BatchCount);
        double lossSum = 0;
        var correct = 0;
        var seen = 0;
        var step = 0;
        var watch = Stopwatch.StartNew();
        foreach (var batch in prefetcher.ReadAll())
        {
            ct.ThrowIfCancellationRequested();
            step++;
            if (batch.Count < 2)
            {
                // BatchNorm cannot train on a single sample; PyTorch would fail here, we drop the remainder instead.
                continue;
            }

            using var scope = NewDisposeScope();
            var x = BatchTensors.Images(batch, loader.ImageSize, device);
            var y = BatchTensors.Labels(batch, device);
            optimizer.ZeroGrad();
            var logits = model.forward(x);
            var value = loss.Compute(logits, y);
            value.backward();
            nn.utils.clip_grad_norm_(model.parameters(), GradientClipNorm);
            optimizer.Step();

            var batchLoss = value.item<float>();
            var batchCorrect = (int)logits.argmax(1).eq(y).sum().item<long>();
            lossSum += batchLoss * batch.Count;
            correct += batchCorrect;
            seen += batch.Count;
            progress.StepCompleted(epoch, step, prefetcher.BatchCount, batchLoss, (double)batchCorrect / batch.Count,
                seen / Math.Max(1e-9, watch.Elapsed.TotalSeconds));
        }

        return (lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), seen, prefetcher.WaitTime);
    }

    /// <summary>Loss, accuracy and per-sample truth/prediction on a set, in eval mode without gradients.</summary>
    public (double Loss, double Acc, int[] Truth, int[] Predicted) Evaluate(nn.Module<Tensor, Tensor> model, SampleLoader loader,
        IReadOnlyList<LabeledImage> items, FocalLoss loss, Device device, int classCount, CancellationToken cancellationToken = default)
    {
        model.eval();
        using var noGrad = no_grad();
        using var prefetcher = new BatchPrefetcher(loader, items, config.Training.BatchSize, train: false, config.RandomSeed, 0, Math.Max(1, config.Training.NumWorkers));
        var truth = new List<int>();
        var predicted = new List<int>();
        double lossSum = 0;
        foreach (var batch in prefetcher.ReadAll())
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = BatchTensors.Images(batch, loader.ImageSize, device);
            var y = BatchTensors.Labels(batch, device);
            var logits = model.forward(x);
            lossSum += loss.Compute(logits, y).item<float>() * batch.Count;
            var argmax = logits.argmax(1).cpu().data<long>().ToArray();
            predicted.AddRange(argmax.Select(p => (int)p));
            truth.AddRange(batch.Labels.Select(l => (int)l));
        }

        var correct = truth.Zip(predicted).Count(p => p.First == p.Second);
        return (lossSum / Math.Max(1, truth.Count), (double)correct / Math.Max(1, truth.Count), truth.ToArray(), predicted.ToArray());
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
        {
            return;
        }

        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
