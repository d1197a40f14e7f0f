using DryWet.Core.LiveEvaluation;

namespace DryWet.Tests.LiveEvaluation;

/// <summary>
/// The live gate's paired test against an independent reference: exact fractions of big integers
/// (<see cref="ExactRational"/>) from a handful of pairs up to thousands, and the published textbook value.
/// </summary>
public sealed class ExactMcNemarTests
{
    public static TheoryData<int, int> Tables() => new()
    {
        { 0, 0 }, { 0, 1 }, { 1, 7 }, { 7, 1 }, { 2, 8 }, { 5, 5 }, { 0, 30 }, { 12, 25 }, { 40, 60 },
        { 300, 380 }, { 480, 520 }, { 850, 1150 }, { 1400, 1600 }, { 2300, 2700 }, { 1, 1000 }, { 2, 1010 },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public void P_value_matches_the_exact_rational_computation(int championOnly, int shadowOnly)
    {
        var expected = ExactRational.McNemarPValue(championOnly, shadowOnly);

        var p = ExactMcNemar.TwoSidedPValue(championOnly, shadowOnly);

        p.ShouldBeGreaterThan(0.0);
        RelativeError(p, expected).ShouldBeLessThan(1e-9, $"b={championOnly}, c={shadowOnly}: {p:R} vs exact {expected:R}");
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(3, 10)]
    [InlineData(4, 10)]
    [InlineData(10, 25)]
    [InlineData(499, 1000)]
    [InlineData(700, 1600)]
    [InlineData(1500, 3001)]
    [InlineData(2000, 4000)]
    public void Binomial_tail_matches_the_exact_rational_computation(int k, int n)
    {
        var expected = ExactRational.BinomialHalfLowerTail(k, n);

        RelativeError(ExactMcNemar.BinomialHalfLowerTail(k, n), expected).ShouldBeLessThan(1e-9, $"k={k}, n={n}");
    }

    [Fact]
    public void Matches_the_published_example_of_Fagerland_Lydersen_and_Laake()
    {
        // Fagerland, Lydersen & Laake (2013), BMC Med Res Methodol 13:91, airway hyper-responsiveness before and after
        // stem cell transplantation: 1 and 7 discordant pairs, exact conditional McNemar p = 0.070 (= 18/256).
        var p = ExactMcNemar.TwoSidedPValue(1, 7);

        Math.Round(p, 3).ShouldBe(0.070);
        p.ShouldBe(18.0 / 256, 1e-15);
    }

    [Fact]
    public void Is_symmetric_at_most_1_and_1_without_discordant_pairs()
    {
        ExactMcNemar.TwoSidedPValue(0, 0).ShouldBe(1.0);
        ExactMcNemar.TwoSidedPValue(6, 6).ShouldBe(1.0);
        ExactMcNemar.TwoSidedPValue(3, 4).ShouldBe(1.0, 1e-12); // 2 · 64/128
        ExactMcNemar.TwoSidedPValue(3, 17).ShouldBe(ExactMcNemar.TwoSidedPValue(17, 3));
        // 10 to 0: 2 / 1024.
        ExactMcNemar.TwoSidedPValue(0, 10).ShouldBe(2.0 / 1024, 1e-15);
    }

    [Fact]
    public void Stays_finite_and_ordered_far_past_double_underflow_of_2_to_the_minus_n()
    {
        // 2^-5000 is 0 in double; the log-space tail still orders nearby tables correctly.
        var closer = ExactMcNemar.TwoSidedPValue(2450, 2550);
        var further = ExactMcNemar.TwoSidedPValue(2400, 2600);

        closer.ShouldBeInRange(0.0, 1.0);
        further.ShouldBeLessThan(closer);
        RelativeError(further, ExactRational.McNemarPValue(2400, 2600)).ShouldBeLessThan(1e-9);
    }

    [Fact]
    public void Negative_counts_are_refused_naming_them()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => ExactMcNemar.TwoSidedPValue(-1, 3)).Message.ShouldContain("-1");
    }

    private static double RelativeError(double actual, double expected) =>
        expected == 0 ? Math.Abs(actual) : Math.Abs(actual - expected) / Math.Abs(expected);
}
