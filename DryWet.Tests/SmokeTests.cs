namespace DryWet.Tests;

public class SmokeTests
{
    [Fact]
    public void Core_assembly_loads() => typeof(DryWet.Core.DryWetException).Assembly.GetName().Name.ShouldBe("DryWet.Core");
}
