using DryWet.Benchmarks.Serving;

switch (args.FirstOrDefault())
{
    case "serving":
        return await ServingBenchmark.RunAsync(args[1..]);
    default:
        Console.WriteLine("usage: DryWet.Benchmarks serving|training");
        return 1;
}
