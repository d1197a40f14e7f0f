using DryWet.Benchmarks;

// One subcommand per area; each prints its own report.
switch (args.FirstOrDefault())
{
    case "training":
        return TrainingBenchmarks.Run(args[1..]);
    default:
        Console.WriteLine("usage: DryWet.Benchmarks serving|training");
        return 1;
}
