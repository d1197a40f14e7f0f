using DryWet.Core;

namespace DryWet.Web.Review;

/// <summary>A label that cannot be written, with the HTTP status it maps to.</summary>
public sealed class LabelRejectedException(int statusCode, string message) : DryWetException(message)
{
    public int StatusCode { get; } = statusCode;
}
