using System.Diagnostics;
using System.Threading.Channels;

namespace DryWet.TrainingWorker.Data;

/// <summary>One batch in NCHW float layout with its labels.</summary>
public sealed record Batch(float[] Data, long[] Labels, int Count);

/// <summary>
/// Decodes and augments batches ahead of the training step on a background task (a bounded channel of
/// <c>depth</c> batches; <c>workers</c> images decoded in parallel per batch), and measures how long the consumer
/// waited for data, so the data-wait share of step time can be reported. Sample i of epoch e always gets the same
/// augmentation (its Random is seeded from seed, epoch and file index), whatever the thread timing.
/// </summary>
public sealed class BatchPrefetcher : IDisposable
{
    private readonly Channel<Batch> channel;
    private readonly CancellationTokenSource stop = new();
    private readonly Task producer;

    public BatchPrefetcher(SampleLoader loader, IReadOnlyList<LabeledImage> items, int batchSize, bool train,
        int seed, int epoch, int workers = 2, int depth = 3)
    {
        channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(Math.Max(1, depth)) { SingleReader = true, SingleWriter = true });
        var order = Enumerable.Range(0, items.Count).ToArray();
        if (train)
        {
            new Random(HashSeed(seed, epoch, -1)).Shuffle(order);
        }

        BatchCount = (items.Count + batchSize - 1) / batchSize;
        producer = Task.Run(async () =>
        {
            try
            {
                for (var start = 0; start < order.Length; start += batchSize)
                {
                    var count = Math.Min(batchSize, order.Length - start);
                    var data = new float[count * loader.SampleLength];
                    var labels = new long[count];
                    var offset = start;
                    Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = stop.Token }, j =>
                    {
                        var index = order[offset + j];
                        var item = items[index];
                        var slot = data.AsSpan(j * loader.SampleLength, loader.SampleLength);
                        if (train)
                        {
                            loader.WriteTraining(item.Path, new Random(HashSeed(seed, epoch, index)), slot);
                        }
                        else
                        {
                            loader.WriteEvaluation(item.Path, slot);
                        }

                        labels[j] = item.Label;
                    });
                    await channel.Writer.WriteAsync(new Batch(data, labels, count), stop.Token);
                }

                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                // Parallel.For wraps the decode error; the consumer should see the error itself (it names the file).
                var error = ex is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : ex;
                channel.Writer.TryComplete(error is OperationCanceledException ? null : error);
            }
        });
    }

    public int BatchCount { get; }

    /// <summary>Total time <see cref="ReadAll"/>'s consumer spent blocked waiting for the next batch.</summary>
    public TimeSpan WaitTime { get; private set; }

    /// <summary>Yields the batches in order; a decode failure surfaces here as the producer's exception.</summary>
    public IEnumerable<Batch> ReadAll()
    {
        var reader = channel.Reader;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            Batch? batch = null;
            if (!reader.TryRead(out batch))
            {
                var more = reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult();
                if (more)
                {
                    reader.TryRead(out batch);
                }
            }

            WaitTime += Stopwatch.GetElapsedTime(started);
            if (batch is null)
            {
                // Completed: rethrow a producer failure, if any.
                reader.Completion.GetAwaiter().GetResult();
                yield break;
            }

            yield return batch;
        }
    }

    /// <summary>A stable seed from (seed, epoch, index): not HashCode, which differs per process.</summary>
    internal static int HashSeed(int seed, int epoch, int index) => SampleDataset.ImageSeed(seed, epoch, index);

    public void Dispose()
    {
        stop.Cancel();
        try
        {
            producer.Wait();
        }
        catch (AggregateException)
        {
            // Already surfaced through ReadAll (or the reader stopped early).
        }

        stop.Dispose();
    }
}
