using DryWet.Core;

namespace DryWet.TrainingWorker.Commands;

/// <summary>Exit codes and the one place that turns expected failures into a message a user can act on.</summary>
internal static class CommandErrors
{
    public const int Ok = 0;
    /// <summary>Bad input: config, data, arguments. The message says what and where.</summary>
    public const int InvalidInput = 2;
    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    public static int Run(Func<int> action) => RunAsync(() => Task.FromResult(action())).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (DryWetException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return InvalidInput;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled.");
            return Cancelled;
        }
    }
}
