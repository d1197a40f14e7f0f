Console.WriteLine("usage: DryWet.Benchmarks serving|training");
return 1;
