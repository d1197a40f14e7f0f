var builder = DistributedApplication.CreateBuilder(args);
builder.AddProject<Projects.DryWet_Serving>("serving");
builder.Build().Run();
