using System.Diagnostics;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving;
using DryWet.Serving.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>dotnet run -c Release --project DryWet.Benchmarks -- decode [--size 300] [--iterations 30] [--model &lt;package&gt; --images &lt;dir with one folder per class&gt;]</c>
/// Chooses the JPEG decode scale: for each choice (<see cref="JpegScales.Eighths"/> with the default decoder and with
/// SkiaSharp's (<see cref="JpegDecoder"/>), <see cref="JpegScales.PowersOfTwo"/>, full-size decode) the per-stage time of 1280×720 and 1920×1080 road and noisy frames (choices interleaved image by
/// image in one process, so load from other processes hits all alike: relative figures), the mean deviation of the
/// tensor from the full-size decode, and, with a model package and labelled images, the accuracy of each choice as
/// served. The trainer and serving share <see cref="ImagePreprocessor"/>, so the choice applies to both.
/// </summary>
internal static class DecodeScaleBenchmark
{
    public static int Run(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var size = arguments.Int("--size", 300);
        var iterations = arguments.Int("--iterations", 30);
        Console.WriteLine($"Decode-scale choice · {size}×{size} · load average {LoadGuard.Text()} · {iterations} interleaved iterations (relative figures)");
        (string Name, PreprocessorOptions Options)[] choices =
        [
            ("eighths (k/8)", new PreprocessorOptions { Width = size, Height = size, JpegScales = JpegScales.Eighths }),
            ("eighths, SkiaSharp's decoder", new PreprocessorOptions { Width = size, Height = size, JpegDecoder = JpegDecoder.SkiaSharp }),
            ("powers of two", new PreprocessorOptions { Width = size, Height = size, JpegScales = JpegScales.PowersOfTwo }),
            ("full decode", new PreprocessorOptions { Width = size, Height = size, ScaledJpegDecoding = false }),
        ];
        var preprocessors = choices.Select(c => new ImagePreprocessor(c.Options)).ToArray();
        Console.WriteLine($"JPEG decoder by default on this machine: {preprocessors[0].JpegDecoderName}");
        (string Name, byte[] Jpeg)[] images =
        [
            ("road 1280×720", BenchmarkImages.Road(1280, 720)),
            ("road 1920×1080", BenchmarkImages.Road(1920, 1080)),
            ("noisy 1920×1080", BenchmarkImages.Noise(1920, 1080)),
        ];

        var tensor = new float[preprocessors[0].TensorLength];
        var reference = new float[tensor.Length];
        Console.WriteLine("| image | choice | decoded at | header / decode / resize ms (median) | total | mean |Δ| vs full decode |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, jpeg) in images)
        {
            var samples = preprocessors.Select(_ => new List<PreprocessTimings>()).ToArray();
            for (var i = 0; i <= iterations; i++)
            {
                for (var c = 0; c < preprocessors.Length; c++)
                {
                    var timings = preprocessors[c].Preprocess(jpeg, tensor);
                    if (i > 0)
                    {
                        samples[c].Add(timings); // the first is warm-up
                    }
                }
            }

            preprocessors[^1].Preprocess(jpeg, reference);
            for (var c = 0; c < preprocessors.Length; c++)
            {
                preprocessors[c].Preprocess(jpeg, tensor);
                var deviation = tensor.Zip(reference, (a, b) => Math.Abs(a - b)).Average();
                var header = preprocessors[c].ReadHeader(jpeg);
                double Median(Func<PreprocessTimings, TimeSpan> stage) => samples[c].Select(s => stage(s).TotalMilliseconds).Order().ElementAt(samples[c].Count / 2);
                Console.WriteLine($"| {name} | {choices[c].Name} | {header.DecodeWidth}×{header.DecodeHeight} | {Median(s => s.Header):F2} / {Median(s => s.Decode):F2} / {Median(s => s.Resize):F2} | " +
                    $"{Median(s => s.Total):F2} ms | {deviation:F4} |");
            }
        }

        if (arguments.String("--model") is { } model && arguments.String("--images") is { } folder)
        {
            Accuracy(model, folder, choices);
        }

        return 0;
    }

    /// <summary>Accuracy of the package on labelled images (folder per class) for each decode choice, as serving runs it.</summary>
    private static void Accuracy(string packageDirectory, string folder, (string Name, PreprocessorOptions Options)[] choices)
    {
        var package = ModelPackage.Load(packageDirectory);
        using var classifier = OnnxClassifier.Load(package.OnnxPath, package.Output, new ModelOptions(), NullLogger.Instance);
        var height = classifier.FixedHeight ?? package.Config.Training.ImgSize;
        var width = classifier.FixedWidth ?? package.Config.Training.ImgSize;
        using var buffers = classifier.CreateBuffers(1, height, width, package.Labels.Count);
        var images = Directory.GetDirectories(folder).SelectMany(d => Directory.GetFiles(d).Select(f => (Class: Path.GetFileName(d), Path: f))).ToList();
        Console.WriteLine($"Accuracy of {packageDirectory} on {images.Count} labelled images in {folder} ({width}×{height}):");
        foreach (var (name, options) in choices)
        {
            var served = PreprocessorOptions.FromConfig(package.Config, height, width);
            var preprocessor = new ImagePreprocessor(new PreprocessorOptions
            {
                Width = served.Width, Height = served.Height, Mean = served.Mean, Std = served.Std,
                JpegScales = options.JpegScales, ScaledJpegDecoding = options.ScaledJpegDecoding, JpegDecoder = options.JpegDecoder,
            });
            var right = 0;
            var watch = Stopwatch.StartNew();
            foreach (var (label, path) in images)
            {
                preprocessor.Preprocess(File.ReadAllBytes(path), buffers.ImageSlot(0));
                classifier.Run(buffers, 1);
                var probabilities = buffers.ProbabilitiesOf(0);
                var best = 0;
                for (var k = 1; k < probabilities.Length; k++)
                {
                    best = probabilities[k] > probabilities[best] ? k : best;
                }

                right += package.Labels[best] == label ? 1 : 0;
            }

            Console.WriteLine($"  {name}: {100.0 * right / Math.Max(1, images.Count):F2} % ({right}/{images.Count}), {watch.Elapsed.TotalSeconds:F1} s");
        }
    }
}
