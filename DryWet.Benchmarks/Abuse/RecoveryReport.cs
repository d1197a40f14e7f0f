namespace DryWet.Benchmarks.Abuse;

/// <summary>The first valid <c>/predict</c> after a scenario: its status (null: no answer) and how long it took.</summary>
internal sealed record RecoveryReport(int? Status, double Milliseconds);
