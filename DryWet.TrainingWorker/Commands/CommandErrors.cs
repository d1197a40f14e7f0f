using DryWet.Core;
using DryWet.Core.Storage;
using DryWet.Core.Tracking.Mlflow;
using DryWet.TrainingWorker.Model;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// The one error and exit-code policy of every trainer command: 0 ok; 2 bad input (a <see cref="DryWetException"/>:
/// config, data, arguments, weights — the message says what was wrong and the fix); 1 a failure outside the input
/// (libtorch cannot load here, a server or the network: HTTP or I/O errors), printed as one line; 130 cancelled
/// (SIGINT or SIGTERM). Anything else is a bug and keeps its stack trace.
/// </summary>
internal static class CommandErrors
{
    public const int Ok = 0;
    /// <summary>A failure outside the user's input: a server down, the network, the disk.</summary>
    public const int Failed = 1;
    /// <summary>Bad input: config, data, arguments. The message says what and where.</summary>
    public const int InvalidInput = 2;
    /// <summary>Cancelled: Ctrl+C (SIGINT) or SIGTERM, see <see cref="Platform.TerminationSignals"/>.</summary>
    public const int Cancelled = 130;

    public static int Run(Func<int> action) => RunAsync(() => Task.FromResult(action())).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (TorchUnavailableException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return Failed;
        }
        catch (Exception ex) when (IsOutsideTheInput(ex))
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return Failed;
        }
        catch (DryWetException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return InvalidInput;
        }
        catch (OperationCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            // HttpClient's own timeout, not the user's Ctrl+C.
            await Console.Error.WriteLineAsync($"error: {ex.InnerException.Message}");
            return Failed;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled.");
            return Cancelled;
        }
    }

    /// <summary>A server or the network failed (these carry DryWet's clear message, but no input of the user's was wrong).</summary>
    private static bool IsOutsideTheInput(Exception ex) =>
        ex is HttpRequestException or IOException or ObjectStoreUnavailableException or MlflowUnavailableException or MlflowServerFailureException;
}
