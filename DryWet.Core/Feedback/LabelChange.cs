namespace DryWet.Core.Feedback;

/// <summary>
/// One step in a reviewed image's label history (<see cref="LabelManifestEntry.History"/>): who gave which label when;
/// <see cref="From"/> is null for the first label, else the label it replaced.
/// </summary>
public sealed record LabelChange(string? From, string To, string Reviewer, DateTimeOffset At);
