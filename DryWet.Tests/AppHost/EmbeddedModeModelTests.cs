using DryWet.Tests.Platform;

#pragma warning disable ASPIREPROBES001 // probes are what Kubernetes readiness/liveness come from
using Aspire.Hosting.ApplicationModel;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.Tests.AppHost;

public class EmbeddedModeModelTests
{
    [Fact]
    public async Task Embedded_mode_has_no_containers_only_trainer_and_serving()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");

        builder.Resources.OfType<ContainerResource>().ShouldBeEmpty();
        var names = builder.Resources.Select(r => r.Name).ToList();
        names.ShouldContain("trainer");
        names.ShouldContain("serving");
        names.ShouldNotContain("minio");
        names.ShouldNotContain("mlflow");
    }

    [Fact]
    public async Task Trainer_runs_the_built_trainer_dll_under_the_torchsharp_host_on_the_sample_dataset()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var trainer = builder.Resource<ExecutableResource>("trainer");

        var args = await trainer.PublishedArgsAsync();
        args[0].ShouldBe("exec");
        args[1].ShouldStartWith(Path.Combine(RepositoryPaths.Root, "DryWet.TrainingWorker", "bin"));
        args[1].ShouldEndWith(Path.Combine("net10.0", "linux-x64", "DryWet.TrainingWorker.dll"));
        args.Skip(2).Take(2).ShouldBe(["train", "--config"]);
        args[4].ShouldBe(Path.Combine(RepositoryPaths.AppHostDirectory, "config", "tiny.yaml"));
        File.Exists(args[4]).ShouldBeTrue();
        args[5].ShouldBe("--data");
        args[6].ShouldBe(Path.Combine(AppHostModel.Home, "objects", "ml-data", "dry-wet-data.zip"));
        args[7].ShouldBe("--output");
    }

    [Fact]
    public async Task Trainer_and_serving_share_the_embedded_home_folder()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var home = AppHostModel.Home;

        foreach (var name in new[] { "trainer", "serving" })
        {
            var environment = await builder.Resource<IResourceWithEnvironment>(name).PublishedEnvironmentAsync();
            environment["DryWet__Home"].ShouldBe(home);
            environment.Keys.ShouldNotContain("ConnectionStrings__minio");
            environment.Keys.ShouldNotContain("ConnectionStrings__mlflow");
        }
    }

    [Fact]
    public async Task Serving_resolves_the_registered_model_like_on_the_platform()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");

        // No Model__Path: serving resolves dry_wet_model@production (stage Production as fallback) from the
        // embedded registry the trainer registers into, exactly as it does against MLflow.
        var servingEnvironment = await builder.Resource<ProjectResource>("serving").PublishedEnvironmentAsync();
        servingEnvironment.Keys.ShouldNotContain("Model__Path");
        servingEnvironment.Keys.ShouldNotContain("Model__Source");
        var trainerArgs = await builder.Resource<ExecutableResource>("trainer").PublishedArgsAsync();
        trainerArgs[Array.IndexOf(trainerArgs, "--output") + 1]
            .ShouldBe(Path.Combine(AppHostModel.Home, "models", "latest"));
    }

    [Fact]
    public async Task On_a_laptop_serving_follows_the_production_alias_every_30_s_and_logs_every_prediction()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");

        var environment = await builder.Resource<ProjectResource>("serving").PublishedEnvironmentAsync();
        environment["Model__PollInterval"].ShouldBe("00:00:30");
        environment["Serving__PredictionLog__SampleRate"].ShouldBe("1");
        environment["Serving__Shadow__SampleRate"].ShouldBe("1");
    }

    [Fact]
    public async Task Trainer_starts_only_when_asked_and_carries_the_gpu_marker_and_its_commands()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var trainer = builder.Resource<ExecutableResource>("trainer");

        trainer.Annotations.OfType<ExplicitStartupAnnotation>().ShouldHaveSingleItem();
        trainer.Annotations.OfType<GpuRequirementAnnotation>().Single().Count.ShouldBe(1);
        // Its logs, traces and metrics reach the dashboard like a project's.
        trainer.Annotations.OfType<OtlpExporterAnnotation>().ShouldNotBeEmpty();
        var commands = trainer.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.DisplayName).ToList();
        commands.ShouldContain("Train now");
        commands.ShouldContain("Load sample data");
    }

    [Fact]
    public async Task The_watcher_follows_the_whole_dataset_and_trains_through_the_gate_with_the_default_config()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var watcher = builder.Resource<ExecutableResource>("trainer-watcher");

        // Starts with the AppHost (no explicit start): the loop runs itself.
        watcher.Annotations.OfType<ExplicitStartupAnnotation>().ShouldBeEmpty();
        var args = await watcher.PublishedArgsAsync();
        args.Skip(2).Take(1).ShouldBe(["watch"]);
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        Arg("--config").ShouldBe(Path.Combine(RepositoryPaths.AppHostDirectory, "config", "tiny.yaml"));
        Arg("--bucket").ShouldBe("ml-data");
        args.ShouldNotContain("--object", "the whole dataset: the sample zip plus the Review page's class folders");
        Arg("--interval").ShouldBe("5s");
        args.ShouldNotContain("--promote"); // the gate's default: auto
        (await watcher.PublishedEnvironmentAsync())["DryWet__Home"].ShouldBe(AppHostModel.Home);
        var trainerCommands = builder.Resource<ExecutableResource>("trainer").Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.DisplayName);
        trainerCommands.ShouldContain("Load noisy sample data");
    }

    [Fact]
    public async Task Serving_polls_the_production_alias_and_offers_a_rollback()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var serving = builder.Resource<ProjectResource>("serving");

        (await serving.PublishedEnvironmentAsync())["Model__PollInterval"].ShouldBe("00:00:30");
        serving.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.DisplayName).ShouldContain("Roll back model");
    }

    [Fact]
    public async Task Serving_listens_on_5001_externally_with_health_probes_and_the_reload_command()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var serving = builder.Resource<ProjectResource>("serving");

        var http = serving.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
        http.Port.ShouldBe(5001);
        http.IsExternal.ShouldBeTrue();
        http.UriScheme.ShouldBe("http");

        var probes = serving.Annotations.OfType<EndpointProbeAnnotation>().ToDictionary(p => p.Type, p => p.Path);
        probes[ProbeType.Readiness].ShouldBe("/health");
        probes[ProbeType.Liveness].ShouldBe("/alive");
        serving.Annotations.OfType<HealthCheckAnnotation>().ShouldNotBeEmpty();
        serving.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.DisplayName).ShouldContain("Reload model");
    }

    [Fact]
    public async Task Serving_admin_key_is_a_secret_parameter_passed_as_Serving__AdminApiKey()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");

        builder.Resource<ParameterResource>("serving-admin-key").Secret.ShouldBeTrue();
        var environment = await builder.Resource<ProjectResource>("serving").PublishedEnvironmentAsync();
        environment["Serving__AdminApiKey"].ShouldBe("{serving-admin-key.value}");
    }
}
