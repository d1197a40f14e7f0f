using DryWet.Web.Models;
using DryWet.Web.Review;
using DryWet.Web.Serving;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;

namespace DryWet.Web.Extensions;

public static class Extensions
{
    public const string ReviewerCookie = "drywet-reviewer";

    /// <summary>Options, the serving client (service discovery), the platform ports, the review services, cookie sign-in, Razor components.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var options = WebOptions.Read(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(sp => WebCache.From(options, builder.Configuration));

        // The same composition root as trainer and serving: MinIO/MLflow when their connection strings are set, else
        // the embedded folders under DryWet:Home. MinIO's reachability does not gate /health: the try-it page works without it.
        builder.AddObjectStore(healthCheck: false).AddExperimentTracking().AddModelRegistry();
#pragma warning disable EXTEXP0001 // No retries: a person is waiting, and serving's 4xx/5xx answers are the message to show.
        services.AddHttpClient<ServingClient>(client =>
        {
            client.BaseAddress = new Uri(options.ServingUrl.TrimEnd('/') + "/");
            client.Timeout = TimeSpan.FromSeconds(30);
        }).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.AddSingleton<PredictionLog>();
        services.AddSingleton<ThumbnailCache>();
        services.AddSingleton<TrainingLabelWriter>();
        services.AddScoped<ModelOverviewReader>();

        // Antiforgery and sign-in cookies are protected with in-memory keys: nothing secret is written to disk; a restart
        // signs reviewers out (one replica; see docs/web.md).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = options.MaxUploadBytes + 64 * 1024); // as UploadLimitMiddleware
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            // The admin key is checked once at sign-in; the browser keeps only this HTTP-only cookie, never the key.
            cookie.Cookie.Name = ReviewerCookie;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.LoginPath = "/signin";
            cookie.Events.OnRedirectToLogin = context =>
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddRazorComponents();
        return builder;
    }

    /// <summary>Path base behind a prefix-keeping gateway, errors as a page, authentication, antiforgery.</summary>
    public static WebApplication UseWebPipeline(this WebApplication app)
    {
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
        app.UseAntiforgery();
        return app;
    }
}
