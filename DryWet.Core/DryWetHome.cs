using Microsoft.Extensions.Configuration;

namespace DryWet.Core;

/// <summary>
/// The embedded platform's root folder, shared by trainer and serving:
/// <c>objects/&lt;bucket&gt;/&lt;key&gt;</c>, <c>mlruns/</c> (MLflow's file store: experiments and runs, and the model
/// registry in <c>mlruns/models/</c>), <c>cache/</c>.
/// Configuration <c>DryWet:Home</c> (env <c>DryWet__Home</c>), else <c>DRYWET_HOME</c>, else <c>~/.drywet</c>.
/// </summary>
public static class DryWetHome
{
    public const string ConfigurationKey = "DryWet:Home";

    public static string Resolve(IConfiguration? configuration = null)
    {
        var configured = configuration?[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = Environment.GetEnvironmentVariable("DRYWET_HOME");
        }

        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".drywet");
        }

        return Path.GetFullPath(configured);
    }

    public static string Objects(string home) => Path.Combine(home, "objects");
    public static string MlRuns(string home) => Path.Combine(home, "mlruns");
    /// <summary>The embedded registry's folder before it moved into <c>mlruns/models/</c>; migrated on first use.</summary>
    public static string Registry(string home) => Path.Combine(home, "registry");
    public static string Cache(string home) => Path.Combine(home, "cache");
}
