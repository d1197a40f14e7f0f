using System.CommandLine;
using DryWet.TrainingWorker.Data;

namespace DryWet.TrainingWorker.Commands;

/// <summary><c>sample-data</c>: a synthetic dry/wet dataset zip so the loop can be tried without data.</summary>
internal static class SampleDataCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--output") { Description = "Zip file to write (dry/ and wet/ folders of JPEGs).", Required = true };
        var count = new Option<int>("--count") { Description = "Images per class.", DefaultValueFactory = _ => SampleDataset.DefaultCount };
        var size = new Option<int>("--size") { Description = "Image width and height in pixels.", DefaultValueFactory = _ => SampleDataset.DefaultSize };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed writes the same images.", DefaultValueFactory = _ => SampleDataset.DefaultSeed };
        var labelNoise = new Option<double>("--label-noise") { Description = "Share of images filed under the wrong class (0 = clean; 0.5 = labels at random): a deliberately worse dataset whose model the promotion gate should reject." };
        var evalFolder = new Option<DirectoryInfo?>("--eval-folder") { Description = "Also write a fixed, clean evaluation set (dry/, wet/) there, from its own seed: upload it to ml-data/eval/ and the promotion gate judges every model on it too." };
        var command = new Command("sample-data", "Write a synthetic dataset of dry and wet road images (procedurally drawn) as a zip.");
        command.Options.Add(output);
        command.Options.Add(count);
        command.Options.Add(size);
        command.Options.Add(seed);
        command.Options.Add(labelNoise);
        command.Options.Add(evalFolder);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var path = parseResult.GetValue(output)!.FullName;
            var perClass = parseResult.GetValue(count);
            var px = parseResult.GetValue(size);
            var started = System.Diagnostics.Stopwatch.StartNew();
            var noise = parseResult.GetValue(labelNoise);
            SampleDataset.WriteZip(path, perClass, px, parseResult.GetValue(seed), noise);
            Console.WriteLine($"Wrote {2 * perClass} images ({perClass} dry, {perClass} wet, {px}x{px} px{(noise > 0 ? $", {noise:P0} mislabelled" : "")}) to {path} in {started.Elapsed.TotalSeconds:F1} s.");
            if (parseResult.GetValue(evalFolder) is { } eval)
            {
                var written = SampleDataset.WriteEvaluationFolder(eval.FullName, SampleDataset.DefaultEvaluationCount, px, SampleDataset.EvaluationSeed);
                Console.WriteLine($"Wrote a fixed evaluation set of {written} images to {eval.FullName}.");
            }

            return 0;
        }));
        return command;
    }
}
