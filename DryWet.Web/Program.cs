using DryWet.Web.Account;
using DryWet.Web.Components;
using DryWet.Web.Extensions;
using DryWet.Web.Models;
using DryWet.Web.Review;

var builder = WebApplication.CreateBuilder(args);
// A built (not published) app finds its static files, and their precompressed copies in obj/, through the build's
// manifest in every environment, not only in Development; a published app has no such manifest and serves wwwroot.
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseWebPipeline();
app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapAccountApi();
app.MapReviewApi();
app.MapModelReportsApi();
app.MapRazorComponents<App>();
app.Run();

public partial class Program;
