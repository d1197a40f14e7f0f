using Microsoft.AspNetCore.Authorization;

namespace DryWet.Web.Account;

/// <summary>
/// Who may read the review page and its thumbnails (logged customer images, reviewer names): a signed-in reviewer,
/// or everyone when <c>Web:PublicReview=true</c>. Labelling always needs the sign-in.
/// </summary>
public static class ReviewAccess
{
    public const string Policy = "review-read";

    public static AuthorizationBuilder AddReviewAccess(this AuthorizationBuilder authorization, WebOptions options) =>
        authorization.AddPolicy(Policy, policy => policy.RequireAssertion(context => options.PublicReview || context.User.Identity?.IsAuthenticated == true));
}
