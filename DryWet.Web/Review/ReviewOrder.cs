namespace DryWet.Web.Review;

/// <summary>How the review grid is ordered (<c>?sort=least|disagreement|newest</c>).</summary>
public enum ReviewOrder
{
    /// <summary>Unreviewed first, least confident first: where the champion is unsure.</summary>
    LeastConfident,

    /// <summary>
    /// Unreviewed first, then the requests where the shadow (challenger) answered otherwise than the champion: a review
    /// of one of them is what moves the live gate's paired test. Then the rest, least confident first.
    /// </summary>
    Disagreement,

    /// <summary>Newest first.</summary>
    Newest,
}
