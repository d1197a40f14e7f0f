using DryWet.Core.LiveEvaluation;

namespace DryWet.Tests.LiveEvaluation;

/// <summary>Scoring reviewed requests: per version, paired on the same requests, and the live gate's rule.</summary>
public sealed class LiveScoreboardTests
{
    [Fact]
    public void Scores_each_version_on_what_it_answered_and_pairs_only_requests_both_answered()
    {
        var board = LiveScoreboard.From([
            Request("a", label: "wet", champion: "wet", shadow: "wet"),   // both right
            Request("b", label: "wet", champion: "dry", shadow: "wet"),   // shadow alone
            Request("c", label: "dry", champion: "dry", shadow: "wet"),   // champion alone
            Request("d", label: "dry", champion: "wet", shadow: "wet"),   // both wrong
            Request("e", label: "dry", champion: "dry", shadow: null),    // no shadow: champion only
            Request("f", label: "wet", champion: "dry", shadow: "wet", championVersion: "1", shadowVersion: "3"), // another pair
        ]);

        board.Requests.ShouldBe(6);
        board.For("2").ShouldBe(new LiveAccuracy("2", Correct: 3, Reviewed: 5));
        board.For("3").ShouldBe(new LiveAccuracy("3", Correct: 3, Reviewed: 5));
        board.For("1").ShouldBe(new LiveAccuracy("1", Correct: 0, Reviewed: 1));
        board.Versions.Select(v => v.Version).ShouldBe(["3", "2", "1"]);
        board.Compare("2", "3").ShouldBe(new PairedComparison("2", "3", BothRight: 1, ChampionOnlyRight: 1, ShadowOnlyRight: 1, BothWrong: 1));
        board.Compare("1", "3").Reviews.ShouldBe(1);
        board.Compare("2", "9").Reviews.ShouldBe(0);
        board.For("9").ShouldBeNull();
    }

    [Fact]
    public void Live_accuracy_carries_its_Wilson_interval_and_says_it_in_words()
    {
        var accuracy = new LiveAccuracy("4", Correct: 81, Reviewed: 263);

        accuracy.Accuracy.ShouldBe(81.0 / 263, 1e-15);
        accuracy.Interval.ShouldBe(WilsonInterval.For(81, 263));
        accuracy.ToString().ShouldBe("0.3080 on 263 reviewed requests (95 % CI 0.2553–0.3662)");
    }

    [Fact]
    public void Promotes_only_a_shadow_ahead_with_enough_paired_reviews_and_p_below_alpha()
    {
        // 60 paired reviews: shadow alone right 12, champion alone right 2 → p = 2·P(X ≤ 2 | 14) = 0.0129.
        var significant = new PairedComparison("2", "3", BothRight: 40, ChampionOnlyRight: 2, ShadowOnlyRight: 12, BothWrong: 6);
        var promoted = LiveVerdict.Decide(significant, alpha: 0.05, minReviews: 50);
        promoted.Kind.ShouldBe(LiveVerdictKind.PromotedLive);
        promoted.OutcomeName.ShouldBe("promoted-live");
        promoted.ReviewsNeeded.ShouldBe(0);
        promoted.Reason.ShouldBe("shadow v3 0.8667 vs champion v2 0.7000 on the same 60 reviewed requests (shadow alone right 12, champion alone right 2; exact McNemar p = 0.01294): p < evaluation.live_alpha 0.05");

        // The same table, stricter alpha: ahead, reported, not promoted.
        var strict = LiveVerdict.Decide(significant, alpha: 0.01, minReviews: 50);
        strict.Kind.ShouldBe(LiveVerdictKind.ChampionBehindLive);
        strict.Reason.ShouldEndWith("the shadow is ahead but p ≥ evaluation.live_alpha 0.01");

        // Ahead by a mile on too few reviews: reported with how many are missing.
        var few = LiveVerdict.Decide(new PairedComparison("2", "3", 20, 0, 10, 0), alpha: 0.05, minReviews: 50);
        few.Kind.ShouldBe(LiveVerdictKind.ChampionBehindLive);
        few.ReviewsNeeded.ShouldBe(20);
        few.Reason.ShouldContain("30 paired reviews are fewer than evaluation.live_min_reviews 50");

        // Champion as good or better: holds, however significant.
        LiveVerdict.Decide(new PairedComparison("2", "3", 40, 15, 1, 4), 0.05, 50).Kind.ShouldBe(LiveVerdictKind.ChampionHoldsLive);
        LiveVerdict.Decide(new PairedComparison("2", "3", 50, 5, 5, 0), 0.05, 50).Kind.ShouldBe(LiveVerdictKind.ChampionHoldsLive);
        LiveVerdict.Decide(new PairedComparison("2", "3", 0, 0, 0, 0), 0.05, 50).Kind.ShouldBe(LiveVerdictKind.NoPairedReviews);
    }

    [Fact]
    public void The_rule_refuses_an_alpha_or_minimum_that_is_not_one()
    {
        var table = new PairedComparison("1", "2", 1, 0, 1, 0);
        Should.Throw<ArgumentOutOfRangeException>(() => LiveVerdict.Decide(table, 1.5, 50)).Message.ShouldContain("evaluation.live_alpha");
        Should.Throw<ArgumentOutOfRangeException>(() => LiveVerdict.Decide(table, 0.05, 0)).Message.ShouldContain("evaluation.live_min_reviews");
    }

    [Fact]
    public void Counts_stay_exact_over_many_thousands_of_requests()
    {
        var board = new LiveScoreboard();
        for (var i = 0; i < 20_000; i++)
        {
            board.Add(Request($"r{i}", label: "wet", champion: i % 10 < 8 ? "wet" : "dry", shadow: i % 10 < 9 ? "wet" : "dry"));
        }

        var pair = board.Compare("2", "3");
        pair.ShouldBe(new PairedComparison("2", "3", BothRight: 16_000, ChampionOnlyRight: 0, ShadowOnlyRight: 2_000, BothWrong: 2_000));
        pair.ChampionAccuracy.ShouldBe(0.8, 1e-12);
        pair.ShadowAccuracy.ShouldBe(0.9, 1e-12);
        pair.PValue.ShouldBe(0.0); // 2 · 2^-2000: below the smallest double
        LiveVerdict.Decide(pair, 0.05, 50).Kind.ShouldBe(LiveVerdictKind.PromotedLive);
    }

    private static ReviewedRequest Request(string id, string label, string champion, string? shadow, string championVersion = "2", string shadowVersion = "3") =>
        new(id, "dry_wet_model", label, championVersion, champion, shadow is null ? null : shadowVersion, shadow);
}
