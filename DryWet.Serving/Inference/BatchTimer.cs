using System.Diagnostics;

namespace DryWet.Serving.Inference;

/// <summary>
/// Times batches of a mid-grey image on the <see cref="InferenceRunner"/>'s background lane, one run per turn, so
/// live batches take turns with the timing runs.
/// </summary>
internal sealed class BatchTimer(InferenceRunner runner) : IBatchTimer
{
    public async Task<double> TimeAsync(OnnxClassifier classifier, int height, int width, int classes, int size, int runs)
    {
        using var buffers = classifier.CreateBuffers(size, height, width, classes);
        buffers.Input.AsSpan().Fill(0.5f);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var seconds = await runner.RunAsync(() =>
            {
                var t = Stopwatch.GetTimestamp();
                classifier.Run(buffers, size);
                return Stopwatch.GetElapsedTime(t).TotalSeconds;
            }, InferencePriority.Background);
            if (i > 0 || runs == 1)
            {
                times.Add(seconds);
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
