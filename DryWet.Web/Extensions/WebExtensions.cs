using DryWet.Core.Configuration;
using DryWet.Core.Storage;
using DryWet.Core.LiveEvaluation;
using DryWet.Web.Account;
using DryWet.Web.Models;
using DryWet.Web.Review;
using DryWet.Web.Serving;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;

namespace DryWet.Web.Extensions;

public static class WebExtensions
{
    public const string ReviewerCookie = "drywet-reviewer";

    /// <summary>Options, the serving client (service discovery), the platform ports, the review services, cookie sign-in, Razor components.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Bound and checked now (OptionsBinding): a bad Web:* setting stops the start, naming it.
        var options = services.AddBoundOptions<WebOptions>(builder.Configuration, WebOptions.SectionName);
        services.AddSingleton(sp => WebCache.From(options, builder.Configuration));

        // The same composition root as trainer and serving: MinIO/MLflow when their connection strings are set, else
        // the embedded folders under DryWet:Home. MinIO's reachability does not gate /health: the try-it page works without it.
        builder.AddObjectStore(healthCheck: false).AddExperimentTracking().AddModelRegistry();
#pragma warning disable EXTEXP0001 // No retries: a person is waiting, and serving's 4xx/5xx answers are the message to show.
        services.AddHttpClient<ServingClient>(client =>
        {
            client.BaseAddress = new Uri(options.ServingUrl.AbsoluteUri.TrimEnd('/') + "/");
            client.Timeout = TimeSpan.FromSeconds(30);
        }).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.AddSingleton<PredictionLog>();
        // One per process: it keeps each scored review until its label changes, so the model page reads only what is new.
        services.AddSingleton(sp => new LiveReviewReader(sp.GetRequiredService<IObjectStore>(), Path.Combine(sp.GetRequiredService<WebCache>().Root, "tmp", "live"),
            sp.GetRequiredService<ILogger<LiveReviewReader>>()));
        services.AddSingleton(ThumbnailDecoder.CreateBudget(options));
        services.AddSingleton<ThumbnailDecoder>();
        services.AddSingleton<ThumbnailCache>();
        services.AddSingleton<TrainingLabelWriter>();
        services.AddScoped<ModelOverviewReader>();

        // Antiforgery and sign-in cookies are protected with in-memory keys: nothing secret is written to disk; a restart
        // signs reviewers out (one replica; see docs/web.md).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = options.MaxUploadBytes + UploadLimitMiddleware.FormOverhead);
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            // The admin key is checked once at sign-in; the browser keeps only this HTTP-only cookie, never the key.
            cookie.Cookie.Name = ReviewerCookie;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            // Secure whenever the request is HTTPS: directly, or at the gateway (X-Forwarded-Proto, see AddForwardedHeaders).
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.LoginPath = "/signin";
            cookie.Events.OnRedirectToLogin = ChallengeAsync;
        });
        services.AddAuthorizationBuilder().AddReviewAccess(options);
        services.AddSignInRateLimit(options);
        services.AddForwardedHeaders(options);
        services.AddCascadingAuthenticationState();
        services.AddRazorComponents();
        return builder;
    }

    /// <summary>
    /// Forwarded headers from the proxies that are believed (loopback, where Istio's sidecar connects from, and
    /// <c>Web:KnownProxies</c>): the client's scheme (a Secure cookie behind a TLS-terminating gateway) and address (the
    /// sign-in rate limit's partition). From anywhere else they are ignored.
    /// </summary>
    private static void AddForwardedHeaders(this IServiceCollection services, WebOptions options) =>
        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in options.KnownProxies)
            {
                if (System.Net.IPAddress.TryParse(proxy, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
                }
            }
        });

    /// <summary>Not signed in: a page sends the browser to sign in and back; anything else (thumbnails, posts) gets 401.</summary>
    private static Task ChallengeAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) && context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
        {
            var back = request.Path.Value?.TrimStart('/') + request.QueryString;
            context.Response.Redirect($"{request.PathBase}/signin?returnUrl={Uri.EscapeDataString(back)}");
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Cookie realm=\"DryWet review\"";
        }

        return Task.CompletedTask;
    }

    /// <summary>Forwarded headers, security headers, path base behind a prefix-keeping gateway, errors as a page, authentication, rate limits, antiforgery.</summary>
    public static WebApplication UseWebPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        var options = app.Services.GetRequiredService<WebOptions>();
        if (options.PathBase.Length > 0)
        {
            app.UsePathBase(options.PathBase);
        }

        app.UseMiddleware<UploadLimitMiddleware>();

        // Explicitly after UsePathBase: the implicit routing step would otherwise match the un-stripped path.
        app.UseRouting();

        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        return app;
    }
}
