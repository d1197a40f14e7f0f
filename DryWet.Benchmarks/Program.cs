using DryWet.Benchmarks;
using DryWet.Benchmarks.Abuse;
using DryWet.Benchmarks.Serving;
using DryWet.Benchmarks.Web;

// One subcommand per area; each prints its own report.
try
{
    switch (args.FirstOrDefault())
    {
        case "abuse":
            return await AbuseBenchmark.RunAsync(args[1..]);
        case "decode":
            return DecodeScaleBenchmark.Run(args[1..]);
        case "serving":
            return await ServingBenchmark.RunAsync(args[1..]);
        case "serving-memory":
            return await MemoryBenchmark.RunAsync(args[1..]);
        case "training":
            return TrainingBenchmarks.Run(args[1..]);
        case "training-phases":
            return TrainingStepPhases.Run(args[1..]);
        case "review-page":
            return await ReviewPageBenchmark.RunAsync(args[1..]);
        default:
            Console.WriteLine("usage: DryWet.Benchmarks abuse|decode|review-page|serving|serving-memory|training|training-phases");
            return 1;
    }
}
catch (BenchmarkArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
