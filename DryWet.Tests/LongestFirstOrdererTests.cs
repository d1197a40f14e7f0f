using System.Reflection;

namespace DryWet.Tests;

public class LongestFirstOrdererTests
{
    [Fact]
    public void Every_collection_it_starts_first_is_one_this_assembly_runs()
    {
        var collections = typeof(LongestFirstOrdererTests).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()))
            .Select(t => t.GetCustomAttribute<CollectionAttribute>()?.Name ?? CollectionAttribute.GetCollectionNameForType(t))
            .ToHashSet(StringComparer.Ordinal);

        collections.Count.ShouldBeGreaterThan(LongestFirstOrderer.Longest.Length);
        LongestFirstOrderer.Longest.ShouldAllBe(name => collections.Contains(name));
        LongestFirstOrderer.Longest.ShouldBeUnique();
    }
}
