using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace DryWet.Web.Account;

/// <summary>
/// <c>Web:SignInPermitsPerMinute</c> sign-in attempts per client address (after forwarded headers) and minute; the
/// next one gets 429 with Retry-After, before the key is looked at.
/// </summary>
public static class SignInRateLimit
{
    public const string Policy = "signin";

    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services, WebOptions options) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SignInPermitsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(
                    $"Too many sign-in attempts from this address ({options.SignInPermitsPerMinute} a minute, Web:SignInPermitsPerMinute). Try again in {seconds} s.",
                    cancellationToken);
            };
        });
}
