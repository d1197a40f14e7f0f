using System.CommandLine;

namespace DryWet.TrainingWorker.Commands;

/// <summary>The trainer's command set. One factory per command file; add yours here.</summary>
internal static class TrainerCommands
{
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return SampleDataCommand.Create();
        yield return TrainCommand.Create();
        yield return DownloadCommand.Create();
        yield return UploadCommand.Create();
        yield return PromoteCommand.Create();
        yield return WatchCommand.Create();
        yield return PipelineCommand.Create();
        yield return RegisterBestCommand.Create();
    }
}
