using System.Reflection;
using System.Runtime.CompilerServices;

namespace DryWet.Tests.Contracts;

/// <summary>
/// No two of DryWet's top-level types share a simple name across the solution's projects (issue 21 item 4: two
/// <c>TrainerHost</c>s, three <c>Extensions</c>). Nested types are named through their parent and are left out.
/// </summary>
public sealed class UniqueTypeNamesTests
{
    private static readonly string[] Projects =
        ["DryWet.Core", "DryWet.ServiceDefaults", "DryWet.Serving", "DryWet.TrainingWorker", "DryWet.Web", "DryWet.AppHost", "DryWet.Benchmarks"];

    [Fact]
    public void Every_top_level_type_name_is_used_once()
    {
        var types = Projects.SelectMany(p => DeclaredTypes(Assembly.Load(p))).ToList();
        types.Count.ShouldBeGreaterThan(300, "the scan must see the solution's types");

        var duplicates = types.GroupBy(t => t.Name)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})"))}")
            .ToList();
        duplicates.ShouldBeEmpty();
    }

    private static IEnumerable<Type> DeclaredTypes(Assembly assembly)
    {
        Type?[] all;
        try
        {
            all = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            all = ex.Types;
        }

        return all.OfType<Type>().Where(t => !t.IsNested
            && t.GetCustomAttribute<CompilerGeneratedAttribute>() is null
            && t.Name != "_Imports"
            && (t.Namespace ?? "") is var ns
            && (ns == "DryWet" || ns.StartsWith("DryWet.", StringComparison.Ordinal) || ns == "Microsoft.Extensions.Hosting"));
    }
}
