namespace DryWet.AppHost.Publishing;

/// <summary>
/// A resource's environment and arguments as the app model's typed values (parameters, endpoint references,
/// connection strings, expressions), gathered by running its callbacks in publish mode, as Aspire's publishers do.
/// </summary>
internal static class AppModelValues
{
    public static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource, DistributedApplicationExecutionContext executionContext, CancellationToken ct)
    {
        var environment = new Dictionary<string, object>(StringComparer.Ordinal);
        if (resource.TryGetEnvironmentVariables(out var callbacks))
        {
            var context = new EnvironmentCallbackContext(executionContext, resource, environment, ct);
            foreach (var callback in callbacks)
            {
                await callback.Callback(context).ConfigureAwait(false);
            }
        }

        return environment;
    }

    public static async Task<List<object>> ArgumentsAsync(IResource resource, DistributedApplicationExecutionContext executionContext, CancellationToken ct)
    {
        var args = new List<object>();
        if (resource.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var callbacks))
        {
            var context = new CommandLineArgsCallbackContext(args, resource, ct) { ExecutionContext = executionContext };
            foreach (var callback in callbacks)
            {
                await callback.Callback(context).ConfigureAwait(false);
            }
        }

        return args;
    }
}
