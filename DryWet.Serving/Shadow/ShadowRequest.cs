using System.Diagnostics;
using DryWet.Core.Feedback;

namespace DryWet.Serving.Shadow;

/// <summary>
/// One image handed to the shadow: its answer arrives (or null: dropped, counted) on the shadow's thread. Whoever waits
/// for it (the prediction log's writer, off the response path) waits until the deadline at most.
/// </summary>
internal sealed class ShadowRequest(long deadlineTimestamp)
{
    private readonly TaskCompletionSource<ShadowAnswer?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A request that never reaches the shadow (not sampled into it or dropped on arrival).</summary>
    public static ShadowRequest Dropped { get; } = Completed();

    public long DeadlineTimestamp { get; } = deadlineTimestamp;

    public bool IsExpired => Stopwatch.GetTimestamp() > DeadlineTimestamp;

    public Task<ShadowAnswer?> Answer => _answer.Task;

    public void Complete(ShadowAnswer? answer) => _answer.TrySetResult(answer);

    /// <summary>The answer, or null once the deadline passed (or <paramref name="cancellationToken"/> fired) without one.</summary>
    public async Task<ShadowAnswer?> WaitAsync(CancellationToken cancellationToken)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), DeadlineTimestamp);
        if (Answer.IsCompleted || left <= TimeSpan.Zero)
        {
            return Answer.IsCompletedSuccessfully ? Answer.Result : null;
        }

        try
        {
            return await Answer.WaitAsync(left, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return null;
        }
    }

    private static ShadowRequest Completed()
    {
        var request = new ShadowRequest(0);
        request.Complete(null);
        return request;
    }
}
