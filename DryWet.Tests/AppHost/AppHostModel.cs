using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DryWet.Tests.Storage;

namespace DryWet.Tests.AppHost;

/// <summary>Builds the real AppHost's model (nothing is started) in the given mode.</summary>
internal static class AppHostModel
{
    /// <summary>The embedded home the model is built with; building the model creates nothing there (TempPathGuard checks).</summary>
    public static string Home { get; } = TestFolders.NewTempPath("drywet-model-tests");

    public static async Task<IDistributedApplicationTestingBuilder> CreateAsync(string mode, params string[] extraArgs) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.DryWet_AppHost>(
            [$"--DryWet:Mode={mode}", $"--DryWet:Home={Home}", .. extraArgs],
            TestContext.Current.CancellationToken);

    public static T Resource<T>(this IDistributedApplicationTestingBuilder builder, string name) where T : IResource =>
        builder.Resources.Single(r => r.Name == name).ShouldBeAssignableTo<T>()!;

#pragma warning disable CS0618 // Manifest-style expressions are what the model tests pin.
    public static async Task<Dictionary<string, string>> PublishedEnvironmentAsync(this IResourceWithEnvironment resource) =>
        await resource.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);

    public static async Task<string[]> PublishedArgsAsync(this IResourceWithArgs resource) =>
        await resource.GetArgumentValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
}
