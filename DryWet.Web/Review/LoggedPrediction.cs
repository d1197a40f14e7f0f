using DryWet.Core.Feedback;

namespace DryWet.Web.Review;

/// <summary>A logged prediction with where its files are and, once reviewed, the label it was given.</summary>
public sealed record LoggedPrediction(PredictionLogRecord Record, string Date, string RecordKey, string ImageKey, LabelManifestEntry? Review)
{
    public string Extension => Path.GetExtension(ImageKey);

    /// <summary>The shadow (challenger) answered this request, otherwise than the champion did.</summary>
    public bool Disagrees => Record.Shadow is { } shadow && shadow.Prediction != Record.Prediction;
}
