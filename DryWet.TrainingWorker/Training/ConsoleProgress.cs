using System.Globalization;
using Spectre.Console;

namespace DryWet.TrainingWorker.Training;

/// <summary>One structured line per epoch (and per message) when the output is redirected (logs, Kubeflow, CI).</summary>
public sealed class LogLineProgress(TextWriter output) : ITrainingProgress
{
    public void EpochStarted(int epoch, int epochs, int steps) { }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond) { }

    public void EpochCompleted(EpochMetrics m, bool improved, bool learningRateReduced) => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{DateTime.UtcNow:O} epoch={m.Epoch} train_loss={m.TrainLoss:F4} train_acc={m.TrainAcc:F4} val_loss={m.ValLoss:F4} val_acc={m.ValAcc:F4} lr={m.LearningRate:G4} images_per_sec={m.ImagesPerSecond:F1} data_wait_share={m.DataWaitShare:F3} seconds={m.Duration.TotalSeconds:F1} best={improved.ToString().ToLowerInvariant()}{(learningRateReduced ? " lr_reduced=true" : "")}"));

    public void Message(string text) => output.WriteLine($"{DateTime.UtcNow:O} {text}");
}

/// <summary>Spectre.Console progress bars on a terminal: one bar per epoch with loss, accuracy, images/s and ETA.</summary>
public sealed class SpectreProgress(ProgressContext context, int epochs) : ITrainingProgress
{
    private readonly ProgressTask overall = context.AddTask("[bold]epochs[/]", maxValue: epochs);
    private ProgressTask? current;

    public void EpochStarted(int epoch, int epochs, int steps)
    {
        current = context.AddTask($"epoch {epoch}/{epochs}", maxValue: Math.Max(1, steps));
    }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond)
    {
        if (current is null)
        {
            return;
        }

        current.Description = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch} step {step}/{steps} loss {loss:F3} acc {accuracy:F2} {imagesPerSecond:F1} img/s");
        current.Value = step;
    }

    public void EpochCompleted(EpochMetrics m, bool improved, bool learningRateReduced)
    {
        if (current is not null)
        {
            current.Value = current.MaxValue;
            current.Description = string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch} loss {m.TrainLoss:F3} acc {m.TrainAcc:F3} val_acc {m.ValAcc:F3}{(improved ? " [green]best[/]" : "")}{(learningRateReduced ? " [yellow]lr↓[/]" : "")}");
            current.StopTask();
        }

        overall.Increment(1);
    }

    public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));

    /// <summary>Epoch bars finish early when early stopping ends the run.</summary>
    public void Complete() => overall.Value = overall.MaxValue;
}
