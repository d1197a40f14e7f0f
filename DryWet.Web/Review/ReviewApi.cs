using System.Globalization;
using DryWet.Core.Imaging;
using DryWet.Core.Storage;
using DryWet.Web.Account;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Web.Review;

/// <summary>
/// <c>GET /review/thumbnails/{date}/{id}</c> (signed-in reviewers, or everyone with <c>Web:PublicReview</c>) and
/// <c>POST /review/label</c> (signed-in reviewers only: fields date, id, label, and from = the current label to change it).
/// </summary>
public static class ReviewApi
{
    public static IEndpointRouteBuilder MapReviewApi(this IEndpointRouteBuilder app)
    {
        var review = app.MapGroup("/review");
        review.MapGet("/thumbnails/{date}/{id}", ThumbnailAsync).RequireAuthorization(ReviewAccess.Policy);
        // Antiforgery is checked in the handler after the sign-in check, so an anonymous post gets 401, not 400.
        review.MapPost("/label", LabelAsync).DisableAntiforgery();
        return app;
    }

    /// <summary>
    /// A thumbnail, found in the last listing or by its record's key (never by listing the log again), made within the
    /// decode budget: 404 unknown, 422 not an image or over <c>Web:MaxImagePixels</c>, 503 + Retry-After when the budget stays full.
    /// </summary>
    internal static async Task<Results<PhysicalFileHttpResult, NotFound<string>, UnprocessableEntity<string>, ContentHttpResult>> ThumbnailAsync(
        string date, string id, HttpContext context, PredictionLog log, ThumbnailCache thumbnails, CancellationToken cancellationToken)
    {
        if (await log.FindLoggedAsync(date, id, cancellationToken) is not { } prediction)
        {
            return TypedResults.NotFound($"No logged prediction '{id}' on {date}.");
        }

        try
        {
            var path = await thumbnails.GetAsync(prediction, cancellationToken);
            context.Response.Headers.CacheControl = "private, max-age=86400";
            return TypedResults.PhysicalFile(path, "image/jpeg");
        }
        catch (InvalidImageException ex)
        {
            return TypedResults.UnprocessableEntity($"The logged file {prediction.ImageKey} has no thumbnail: {ex.Message}");
        }
        catch (ObjectNotFoundException)
        {
            return TypedResults.NotFound($"The logged image {prediction.ImageKey} is gone from the store.");
        }
        catch (DecodeBusyException ex)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(DecodeBudget.Wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return TypedResults.Text(ex.Message, "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    internal static async Task<Results<RedirectHttpResult, UnauthorizedHttpResult, BadRequest<string>, NotFound<string>, Conflict<string>>> LabelAsync(
        HttpContext context, PredictionLog log, TrainingLabelWriter writer, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            context.Response.Headers.WWWAuthenticate = "Cookie realm=\"DryWet review\"";
            return TypedResults.Unauthorized();
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest("The label form expired or came from another site: reload the review page and try again.");
        }

        // Read after the checks above: an anonymous or forged post costs no form parsing.
        var form = await context.Request.ReadFormAsync(cancellationToken);
        var (date, id, label, from) = (form["date"].ToString(), form["id"].ToString(), form["label"].ToString(), form["from"].ToString());
        if (date.Length == 0 || id.Length == 0 || label.Length == 0)
        {
            return TypedResults.BadRequest($"A label needs the fields date, id and label; got date '{date}', id '{id}', label '{label}'.");
        }

        // The logged record only: whether it is labelled already is the store's answer (create-only, compare-and-swap).
        if (await log.FindLoggedAsync(date, id, cancellationToken) is not { } prediction)
        {
            return TypedResults.NotFound($"No logged prediction '{id}' on {date}.");
        }

        try
        {
            var reviewer = context.User.Identity.Name ?? "admin";
            // With "from" (the label the reviewer saw) it is a change of an existing label, else a first label.
            _ = from.Length > 0
                ? await writer.ChangeAsync(prediction, from, label, reviewer, cancellationToken)
                : await writer.WriteAsync(prediction, label, reviewer, cancellationToken);
        }
        catch (LabelRejectedException ex) when (ex.StatusCode == 409)
        {
            return TypedResults.Conflict(ex.Message);
        }
        catch (LabelRejectedException ex)
        {
            return TypedResults.BadRequest(ex.Message);
        }

        return TypedResults.Redirect(context.Request.PathBase + "/" + LocalUrl.OrDefault(form["returnUrl"], "review") + $"#after-{id}");
    }
}
