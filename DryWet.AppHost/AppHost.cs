using DryWet.AppHost.Extensions;
using DryWet.AppHost.Publishing;

var builder = DistributedApplication.CreateBuilder(args);

// Backing services: MinIO (ml-data, ml-models, mlflow buckets) + MLflow containers,
// or, in embedded mode (no container engine), one local folder shared by trainer and serving.
var platform = builder.AddDryWetPlatform();

// Training: starts only when asked ("Train now"), runs to completion, needs a GPU where one exists.
// In the cluster: one Job running the Kubeflow pipeline's steps (download → train → upload) in the trainer image.
builder.AddTrainer("trainer", platform, gpus: 1)
    .PublishAsKubernetesJob(
        mainStep: "train",
        before: [new("download", ["download", "--output", "/work/data"])],
        after: [new("upload", ["upload", "--model", "/work/model"])])
    .PublishAsKubernetesName("dry-wet-model-training")
    .PublishAsKubernetesImage("dry_wet_train:v1.0.0")
    // torchvision's ImageNet weights come from its public host (its NetworkPolicy allows HTTPS to public addresses only).
    .PublishWithEgressTo(PlatformPeer.InternetHttps)
    .WithKubernetesResources(cpu: "2", memory: "4Gi", cpuLimit: "4", memoryLimit: "8Gi");

// Data-triggered training: on a laptop it trains whenever ml-data/dry-wet-data.zip changes, promoting only through the
// champion/challenger gate (docs/loop.md). In the cluster it is one small CPU pod that submits the Kubeflow pipeline
// (train step on the GPU, through the same gate) on new content and waits for it.
if (!builder.ExecutionContext.IsPublishMode)
{
    builder.AddTrainerWatcher("trainer-watcher", platform);
}
else
{
    builder.AddKubeflowWatcher("trainer-watcher", platform, trainingImage: "dry_wet_train:v1.0.0", gpus: 1);
}

// Serving: the model API on port 5001, ready once a model is loaded.
var adminKey = builder.AddParameter("serving-admin-key", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
var serving = builder.AddProject<Projects.DryWet_Serving>("serving")
    .WithServingEndpoint(port: 5001)
    .UsePlatform(platform)
    .WithEnvironment("Serving__AdminApiKey", adminKey)
    // Readiness on /health is also the dashboard's health check; both become Kubernetes probes.
    .WithHttpProbe(ProbeType.Readiness, "/health", endpointName: "http")
    .WithHttpProbe(ProbeType.Liveness, "/alive", endpointName: "http")
    .WithReloadModelCommand(adminKey)
    .WithRollbackModelCommand(platform, TrainerHost.For(builder))
    .PublishAsKubernetesName("dry-wet-model")
    .PublishAsKubernetesImage("dry_wet_serving:v1.0.0")
    .PublishBehindGateway()
    // Memory from docs/serving.md (2026-12-01, B3 at 300 px under wrk load with reloads): 609 MB warmed up, 932 MB peak.
    .WithKubernetesResources(cpu: "500m", memory: "768Mi", cpuLimit: "2", memoryLimit: "1536Mi")
    // In the cluster: 2–4 replicas on CPU, one always up through drains and rollouts.
    .PublishWithAutoscaling(minReplicas: 2, maxReplicas: 4, cpuUtilizationPercent: 70);
// Serving follows the production alias by itself, so a promotion reaches it without a reload call (and in the cluster
// POST /model/reload would reach one pod only). The prediction log feeds the next training run (Review page): every
// prediction on a laptop; a tenth in the cluster, where real traffic would otherwise fill MinIO (30 days kept). The
// challenger, served as a shadow off the response path, sees the same sample (one draw decides both): its answers are
// in every logged record, and the cluster's replicas spend CPU on a tenth of the traffic only.
serving.WithEnvironment("Model__PollInterval", "00:00:30")
    .WithEnvironment("Serving__PredictionLog__SampleRate", builder.ExecutionContext.IsPublishMode ? "0.1" : "1")
    .WithEnvironment("Serving__Shadow__SampleRate", builder.ExecutionContext.IsPublishMode ? "0.1" : "1");

// The page for people (docs/web.md): try the model, see its versions, review logged predictions and relabel them
// into ml-data. Finds serving by service discovery, the object store and registry through the platform; labelling
// needs the admin key. Answers at / on a laptop and at /dry-wet-ui (the gateway's prefix, kept) in the cluster.
builder.AddProject<Projects.DryWet_Web>("web")
    .WithServingEndpoint(port: 5080)
    .WithUrlForEndpoint("http", url => url.DisplayText = "DryWet page")
    .WithReference(serving)
    // Started, not healthy: serving is unready until a model is trained, and the page is how a person finds that out.
    .WaitForStart(serving)
    .UsePlatform(platform)
    .WithEnvironment("Web__AdminApiKey", adminKey)
    .WithEnvironment("Web__PathBase", "/dry-wet-ui")
    .WithHttpProbe(ProbeType.Readiness, "/health", endpointName: "http")
    .WithHttpProbe(ProbeType.Liveness, "/alive", endpointName: "http")
    .PublishAsKubernetesName("dry-wet-ui")
    .PublishAsKubernetesImage("dry_wet_ui:v1.0.0")
    .PublishBehindGateway(prefix: "/dry-wet-ui", keepPrefix: true)
    .WithKubernetesResources(cpu: "100m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi");

// `aspire publish`: Kubernetes manifests (kustomize) for the platform cluster.
builder.AddKubernetesPublishing();

builder.Build().Run();
