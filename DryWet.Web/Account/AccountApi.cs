using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DryWet.Web.Account;

/// <summary><c>POST /account/signin</c> (admin key → HTTP-only cookie) and <c>POST /account/signout</c>.</summary>
public static class AccountApi
{
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        // Antiforgery is checked in the handlers (after reading the form), so a stale form gets a sentence, not a bare 400.
        var account = app.MapGroup("/account").DisableAntiforgery();
        account.MapPost("/signin", SignInAsync).RequireRateLimiting(SignInRateLimit.Policy);
        account.MapPost("/signout", SignOutAsync);
        return app;
    }

    internal static async Task<Results<RedirectHttpResult, BadRequest<string>>> SignInAsync(
        HttpContext context, [FromForm] string? key, [FromForm] string? reviewer, [FromForm] string? returnUrl, WebOptions options, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest("The sign-in form expired or came from another site: reload the sign-in page and try again.");
        }

        // Without a return URL: the review page (what signing in is for); one that leaves the site: the root.
        var back = LocalUrl.OrDefault(returnUrl, "review");
        if (options.AdminApiKey.Length == 0)
        {
            return TypedResults.Redirect(context.Request.PathBase + "/" + LocalUrl.WithQuery("signin", "problem", "unset", back));
        }

        if (!AdminKey.Matches(key, options.AdminApiKey))
        {
            return TypedResults.Redirect(context.Request.PathBase + "/" + LocalUrl.WithQuery("signin", "problem", "wrong", back));
        }

        var name = string.IsNullOrWhiteSpace(reviewer) ? "admin" : reviewer.Trim()[..Math.Min(reviewer.Trim().Length, 80)];
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, "reviewer")],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return TypedResults.Redirect(context.Request.PathBase + "/" + back);
    }

    internal static async Task<Results<RedirectHttpResult, BadRequest<string>>> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest("The sign-out form expired: reload the page and try again.");
        }

        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        // To Try it: the review page needs the sign-in just given up.
        return TypedResults.Redirect(context.Request.PathBase + "/");
    }
}
