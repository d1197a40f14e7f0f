namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// The watchers' debounce: a change counts only once it has held still for <see cref="Debounce"/> (an upload in
/// progress is not trained on). It remembers the pending value (an object's listing entry, a dataset's listing digest)
/// and since when it is unchanged; a different value starts the wait over.
/// </summary>
public sealed class SettlingChange<T>(TimeSpan debounce, TimeProvider clock)
{
    private (T Value, DateTimeOffset Since)? _pending;

    public TimeSpan Debounce => debounce;

    /// <summary>
    /// True when <paramref name="value"/> has been seen unchanged for the whole debounce time (the pending change is then
    /// forgotten: the next one waits again); false while it settles, with <paramref name="progress"/> saying how far.
    /// </summary>
    public bool HasSettled(T value, out string progress)
    {
        var now = clock.GetUtcNow();
        if (_pending is not { } pending || !EqualityComparer<T>.Default.Equals(pending.Value, value))
        {
            pending = (value, now);
            _pending = pending;
        }

        var held = now - pending.Since;
        progress = $"unchanged for {held.TotalSeconds:0.#} of {debounce.TotalSeconds:0.#} s";
        if (held < debounce)
        {
            return false;
        }

        _pending = null;
        return true;
    }

    /// <summary>Nothing is pending any more (the data went away).</summary>
    public void Reset() => _pending = null;
}
