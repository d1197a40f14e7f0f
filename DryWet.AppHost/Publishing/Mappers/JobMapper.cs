using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// A run-to-completion resource: a suspended batch/v1 Job. Steps before the resource's command become init
/// containers (run in order), the resource's command is the next one, and the last step is the pod's container.
/// Each step runs the same image, environment and work folder; the GPU and the large limits stay with the
/// resource's own command.
/// </summary>
public static class JobMapper
{
    public static V1Job ToJob(this KubernetesResourceContext context)
    {
        var job = context.Resource.Annotations.OfType<KubernetesJobAnnotation>().Last();
        var template = context.ToPodTemplate();
        var pod = template.Spec;
        pod.RestartPolicy = "Never";
        var main = pod.Containers[0];
        main.Name = job.MainStep ?? context.Name;
        if (job.Before.Count > 0 || job.After.Count > 0)
        {
            var steps = job.Before.Select(s => Step(s, main)).ToList();
            if (job.After.Count == 0)
            {
                pod.InitContainers = steps;
            }
            else
            {
                steps.Add(main);
                steps.AddRange(job.After.Take(job.After.Count - 1).Select(s => Step(s, main)));
                pod.InitContainers = steps;
                pod.Containers = [Step(job.After[^1], main)];
            }
        }

        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = context.Metadata(context.Name),
            Spec = new V1JobSpec
            {
                // Applied suspended, like the AppHost's explicit start: `kubectl patch job <name> -p '{"spec":{"suspend":false}}'` runs it.
                Suspend = true,
                BackoffLimit = 0,
                TtlSecondsAfterFinished = 86400,
                Template = template,
            },
        };
    }

    private static V1Container Step(JobStep step, V1Container main) => new()
    {
        Name = step.Name,
        Image = main.Image,
        ImagePullPolicy = main.ImagePullPolicy,
        Args = [.. step.Args],
        Env = main.Env,
        EnvFrom = main.EnvFrom,
        VolumeMounts = main.VolumeMounts,
        SecurityContext = main.SecurityContext,
        // Copying data in and out needs little.
        Resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("256Mi") },
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("1Gi") },
        },
    };
}
