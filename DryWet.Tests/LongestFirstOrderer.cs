using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(DryWet.Tests.LongestFirstOrderer))]

namespace DryWet.Tests;

/// <summary>
/// Starts the test collections that take minutes first, the longest first, then the others in xUnit's own order
/// (random per run). Two collections run at a time, so a long one that happens to start late is the whole run's tail:
/// in the full run of 2026-12-07 05:10 (47 min, loaded) the review loop started 37 minutes in and ended last. Only the
/// order changes; what each test does and asserts does not. The list is by the collections' test time in that run
/// (TorchSharp is the named collection of the training and model classes that must not run beside each other); a
/// collection missing from it merely starts in the random order.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    internal static readonly string[] Longest =
    [
        CollectionAttribute.GetCollectionNameForType(typeof(Training.TrainerCliTests)),
        "TorchSharp",
        CollectionAttribute.GetCollectionNameForType(typeof(AppHost.EmbeddedLoopTests)),
        CollectionAttribute.GetCollectionNameForType(typeof(Pipelines.SweepEndToEndTests)),
        Web.WebCollection.Name,
        CollectionAttribute.GetCollectionNameForType(typeof(Registry.TrainRegisterServeEndToEndTests)),
        CollectionAttribute.GetCollectionNameForType(typeof(Platform.PrometheusRuleTests)),
        CollectionAttribute.GetCollectionNameForType(typeof(Platform.SetupScriptTests)),
        CollectionAttribute.GetCollectionNameForType(typeof(Registry.PromotionUnderLoadTests)),
        CollectionAttribute.GetCollectionNameForType(typeof(Web.ThumbnailTests)),
        CollectionAttribute.GetCollectionNameForType(typeof(Training.TrainerSignalTests)),
    ];

    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : notnull, ITestCollection
    {
        var rank = Longest.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        // OrderBy is stable: the collections not listed keep xUnit's order behind the listed ones.
        return [.. DefaultTestCollectionOrderer.Instance.OrderTestCollections(testCollections)
            .OrderBy(c => rank.GetValueOrDefault(c.TestCollectionDisplayName, int.MaxValue))];
    }
}
