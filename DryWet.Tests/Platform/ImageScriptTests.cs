namespace DryWet.Tests.Platform;

/// <summary>Image build/update and helper scripts, offline against stand-in tools (<see cref="ScriptSandbox"/>).</summary>
public sealed class ImageScriptTests : IDisposable
{
    private readonly ScriptSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Theory]
    [InlineData("latest")]
    [InlineData("v1")]
    [InlineData("1.0.0 ; rm -rf /")]
    public async Task Update_refuses_a_tag_that_is_not_an_immutable_version(string version)
    {
        var result = await sandbox.RunAsync("platform/update_serving_component.sh", version);
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("is not an immutable tag like v1.2.3");
        sandbox.Calls().ShouldBeEmpty();
    }

    [Fact]
    public async Task Update_serving_builds_into_minikube_then_rolls_the_deployment()
    {
        var result = await sandbox.RunAsync("platform/update_serving_component.sh", "v1.2.3");
        result.ExitCode.ShouldBe(0, result.All);
        var calls = sandbox.Calls();
        var publish = calls.Single(c => c.StartsWith("dotnet publish", StringComparison.Ordinal));
        publish.ShouldContain("DryWet.Serving/DryWet.Serving.csproj");
        publish.ShouldContain("-t:PublishContainer");
        publish.ShouldContain("-p:ContainerRepository=dry_wet_serving");
        publish.ShouldContain("-p:ContainerImageTag=v1.2.3");
        publish.ShouldContain("-p:ContainerBaseImage=mcr.microsoft.com/dotnet/aspnet:10.0");
        // The build machine's TurboJPEG, bundled into the image (platform/containers/container-settings.targets).
        var turboJpeg = publish.Split(' ').Single(p => p.StartsWith("-p:DryWetTurboJpeg=", StringComparison.Ordinal))["-p:DryWetTurboJpeg=".Length..];
        File.Exists(turboJpeg).ShouldBeTrue(turboJpeg);
        Path.GetFileName(turboJpeg).ShouldStartWith("libturbojpeg.so.0");
        publish.ShouldEndWith("DOCKER_HOST=tcp://192.168.49.2:2376", Case.Sensitive, "built against minikube's Docker daemon");
        var setImage = Array.FindIndex(calls, c => c == "kubectl set image deployment/dry-wet-model-deployment dry-wet-model=dry_wet_serving:v1.2.3 -n kubeflow");
        setImage.ShouldBeGreaterThan(Array.IndexOf(calls, publish));
        Array.FindIndex(calls, c => c.StartsWith("kubectl rollout status deployment/dry-wet-model-deployment -n kubeflow", StringComparison.Ordinal)).ShouldBeGreaterThan(setImage);
    }

    [Fact]
    public async Task Gpu_serving_image_uses_the_cuda_13_cudnn_9_base_self_contained()
    {
        var result = await sandbox.RunAsync("platform/update_serving_component.sh", "v1.2.4", "--gpu");
        result.ExitCode.ShouldBe(0, result.All);
        var publish = sandbox.Calls().Single(c => c.StartsWith("dotnet publish", StringComparison.Ordinal));
        publish.ShouldContain("-p:ContainerBaseImage=nvidia/cuda:13.");
        publish.ShouldContain("cudnn");
        publish.ShouldContain("-p:SelfContained=true");
        publish.ShouldContain("-p:ContainerUser=1654");
    }

    [Fact]
    public async Task An_existing_tag_is_not_overwritten()
    {
        sandbox.Environment["STUB_EXISTING_IMAGE"] = "dry_wet_serving:v1.0.0";
        var result = await sandbox.RunAsync("platform/update_serving_component.sh", "v1.0.0");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("dry_wet_serving:v1.0.0 already exists in minikube's Docker. Tags are immutable");
        sandbox.Calls().ShouldNotContain(c => c.StartsWith("dotnet publish", StringComparison.Ordinal) || c.Contains("set image"));
    }

    [Fact]
    public async Task Update_training_builds_the_cuda_trainer_and_prints_the_submit_command()
    {
        var result = await sandbox.RunAsync("platform/update_training_component.sh", "v2.0.0", "--gpu");
        result.ExitCode.ShouldBe(0, result.All);
        var publish = sandbox.Calls().Single(c => c.StartsWith("dotnet publish", StringComparison.Ordinal));
        publish.ShouldContain("DryWet.TrainingWorker/DryWet.TrainingWorker.csproj");
        publish.ShouldContain("-p:EnableSdkContainerSupport=true");
        publish.ShouldContain("-p:TorchBackend=cuda");
        publish.ShouldContain("-p:ContainerRepository=dry_wet_train");
        publish.ShouldContain("-p:ContainerImageTag=v2.0.0");
        result.StdOut.ShouldContain("pipeline submit --training-image dry_wet_train:v2.0.0 --gpus 1 --wait");
        sandbox.Calls().ShouldNotContain(c => c.Contains("set image"), "the trainer is not a Deployment");
    }

    [Fact]
    public async Task Build_images_builds_both_with_the_same_version()
    {
        var result = await sandbox.RunAsync("platform/build-images.sh", "--version", "v1.0.0");
        result.ExitCode.ShouldBe(0, result.All);
        var publishes = sandbox.Calls().Where(c => c.StartsWith("dotnet publish", StringComparison.Ordinal)).ToList();
        publishes.Count.ShouldBe(2);
        publishes.ShouldContain(p => p.Contains("ContainerRepository=dry_wet_serving") && p.Contains("ContainerImageTag=v1.0.0"));
        publishes.ShouldContain(p => p.Contains("ContainerRepository=dry_wet_train") && p.Contains("TorchBackend=cpu"));
    }

    [Fact]
    public async Task Build_images_tags_with_the_projects_version_by_default()
    {
        var result = await sandbox.RunAsync("platform/build-images.sh");
        result.ExitCode.ShouldBe(0, result.All);
        var publishes = sandbox.Calls().Where(c => c.StartsWith("dotnet publish", StringComparison.Ordinal)).ToList();
        publishes.Count.ShouldBe(2);
        var tag = $"-p:ContainerImageTag={DryWet.Core.Platform.DryWetVersion.ImageTag}";
        publishes.ShouldAllBe(p => p.Contains(tag + " ") || p.EndsWith(tag));
    }

    [Fact]
    public async Task Both_images_get_the_container_settings_targets_and_an_optional_registry()
    {
        sandbox.Environment["DRYWET_CONTAINER_REGISTRY"] = "127.0.0.1:5055";
        sandbox.Environment["DRYWET_SERVING_BASE"] = "127.0.0.1:5055/drywet-standin/aspnet:10.0";
        var result = await sandbox.RunAsync("platform/build-images.sh", "--version", "v1.0.0");
        result.ExitCode.ShouldBe(0, result.All);

        var publishes = sandbox.Calls().Where(c => c.StartsWith("dotnet publish", StringComparison.Ordinal)).ToList();
        publishes.Count.ShouldBe(2);
        var targets = RepositoryPaths.Combine("platform", "containers", "container-settings.targets");
        publishes.ShouldAllBe(p => p.Contains($"-p:CustomAfterMicrosoftCommonTargets={targets}") && p.Contains("-p:ContainerRegistry=127.0.0.1:5055"));
        publishes.Single(p => p.Contains("DryWet.Serving.csproj")).ShouldContain("-p:ContainerBaseImage=127.0.0.1:5055/drywet-standin/aspnet:10.0");
        publishes.Single(p => p.Contains("DryWet.TrainingWorker.csproj")).ShouldContain("-p:ContainerBaseImage=mcr.microsoft.com/dotnet/runtime:10.0");
    }

    [Fact]
    public void Serving_images_expose_and_listen_on_5001_not_the_base_images_8080()
    {
        var targets = System.Xml.Linq.XDocument.Load(RepositoryPaths.Combine("platform", "containers", "container-settings.targets"));
        var serving = targets.Root!.Elements("ItemGroup").Single(g => (string?)g.Attribute("Condition") == "'$(MSBuildProjectName)' == 'DryWet.Serving'");

        serving.Elements("ContainerPort").Select(e => (string?)e.Attribute("Include")).ShouldBe(["5001"]);
        serving.Elements("ContainerEnvironmentVariable").Single(e => (string?)e.Attribute("Include") == "ASPNETCORE_HTTP_PORTS")
            .Attribute("Value")!.Value.ShouldBe("5001");
    }

    [Fact]
    public async Task Image_check_refuses_an_unknown_argument()
    {
        var result = await sandbox.RunAsync("platform/ci/check-images.sh", "--registry", "x");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("unknown argument '--registry'");
    }

    [Fact]
    public async Task Clean_pods_deletes_only_finished_training_pods()
    {
        var dry = await sandbox.RunAsync("platform/scripts/clean_completed_training_pods.sh", "--dry-run");
        dry.ExitCode.ShouldBe(0, dry.All);
        dry.StdOut.ShouldContain("would delete kubeflow/dry-wet-model-training-pipeline-abc-1 (Succeeded)");
        dry.StdOut.ShouldContain("would delete kubeflow/dry-wet-model-training-pipeline-def-2 (Failed)");
        dry.StdOut.ShouldNotContain("other-pod");
        sandbox.Calls().ShouldNotContain(c => c.StartsWith("kubectl delete", StringComparison.Ordinal));

        (await sandbox.RunAsync("platform/scripts/clean_completed_training_pods.sh")).ExitCode.ShouldBe(0);
        sandbox.Calls().Where(c => c.StartsWith("kubectl delete", StringComparison.Ordinal)).ShouldBe([
            "kubectl delete pod dry-wet-model-training-pipeline-abc-1 -n kubeflow --wait=false",
            "kubectl delete pod dry-wet-model-training-pipeline-def-2 -n kubeflow --wait=false",
        ]);
    }

    [Fact]
    public async Task Upload_data_streams_the_zip_into_a_pinned_mc_pod_that_reads_kfps_secret()
    {
        var zip = Path.Combine(sandbox.Root, "data.zip");
        var bytes = new byte[10_000];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(zip, bytes, TestContext.Current.CancellationToken);

        var result = await sandbox.RunAsync("platform/scripts/upload_data.sh", zip);
        result.ExitCode.ShouldBe(0, result.All);
        var run = sandbox.Calls().Single(c => c.StartsWith("kubectl run drywet-upload-", StringComparison.Ordinal));
        run.ShouldContain("-n kubeflow --rm -i --restart=Never");
        run.ShouldContain("--image=quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z");
        run.ShouldContain("\"TARGET\",\"value\":\"ml-data/dry-wet-data.zip\"");
        run.ShouldContain("\"secretKeyRef\":{\"name\":\"mlpipeline-minio-artifact\",\"key\":\"secretkey\"}");
        run.ShouldNotContain("minio123");
        var overrides = run[(run.IndexOf("--overrides=", StringComparison.Ordinal) + "--overrides=".Length)..];
        System.Text.Json.Nodes.JsonNode.Parse(overrides)!["spec"]!["containers"]![0]!["stdin"]!.GetValue<bool>().ShouldBeTrue();
        (await File.ReadAllBytesAsync(sandbox.RunStdin, TestContext.Current.CancellationToken)).ShouldBe(bytes, "the zip is streamed on stdin");
    }

    [Theory]
    [InlineData("--object", "../escape.zip", "must be relative")]
    [InlineData("--bucket", "Bad_Bucket", "not a valid bucket name")]
    public async Task Upload_data_refuses_unsafe_names(string flag, string value, string message)
    {
        var zip = Path.Combine(sandbox.Root, "data.zip");
        await File.WriteAllBytesAsync(zip, [1, 2, 3], TestContext.Current.CancellationToken);
        var result = await sandbox.RunAsync("platform/scripts/upload_data.sh", zip, flag, value);
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain(message);
        sandbox.Calls().ShouldBeEmpty();
    }

    [Fact]
    public async Task Test_client_refuses_a_missing_image_file_before_calling_anything()
    {
        var result = await sandbox.RunAsync("platform/scripts/test_client.sh", "--image-path", "/nonexistent/road.jpg");
        result.ExitCode.ShouldBe(2);
        result.StdErr.ShouldContain("image '/nonexistent/road.jpg' not found");
    }
}
