using DryWet.Serving.Apis;
using DryWet.Serving.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultServingPort();
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseServingPipeline();
app.MapDefaultEndpoints();
app.MapModelApi();
app.MapPredictionApi();
app.MapOpenInferenceApi();
app.Run();

public partial class Program;
