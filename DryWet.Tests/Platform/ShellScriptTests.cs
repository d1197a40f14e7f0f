namespace DryWet.Tests.Platform;

/// <summary>Every shell script in the repository passes shellcheck (CI installs it from Debian's package).</summary>
public class ShellScriptTests
{
    private static readonly string[] SkippedDirectories = ["bin", "obj", ".git", "node_modules", ".cache", "artifacts", "TestResults", ".drywet", "out"];

    public static IEnumerable<string> ShellScripts()
    {
        var root = RepositoryPaths.Root;
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.GetDirectories(dir).Where(d => !SkippedDirectories.Contains(Path.GetFileName(d))))
            {
                pending.Push(sub);
            }

            foreach (var file in Directory.GetFiles(dir))
            {
                if (file.EndsWith(".sh", StringComparison.Ordinal) || HasShellShebang(file))
                {
                    yield return Path.GetRelativePath(root, file);
                }
            }
        }
    }

    private static bool HasShellShebang(string file)
    {
        if (new FileInfo(file).Length is 0 or > 1_000_000)
        {
            return false;
        }

        using var reader = new StreamReader(file);
        var first = reader.ReadLine() ?? "";
        return first.StartsWith("#!", StringComparison.Ordinal) && (first.EndsWith("bash", StringComparison.Ordinal) || first.EndsWith("/sh", StringComparison.Ordinal));
    }

    public static TheoryData<string> Scripts() => [.. ShellScripts().Order()];

    [Fact]
    public void The_platform_scripts_are_among_the_checked_scripts()
    {
        ShellScripts().ShouldContain("platform/setup.sh");
        ShellScripts().ShouldContain("platform/update_serving_component.sh");
        ShellScripts().ShouldContain("platform/scripts/clean_completed_training_pods.sh");
        ShellScripts().ShouldContain("platform/lib/config.sh");
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script_passes_shellcheck(string script)
    {
        ProcessRunner.OnPath("shellcheck").ShouldBeTrue("shellcheck is required for this test: apt-get install shellcheck (./test.sh installs it)");
        var result = await ProcessRunner.RunAsync("shellcheck", ["--external-sources", "--source-path=SCRIPTDIR", "--format=gcc", script]);
        result.ExitCode.ShouldBe(0, result.All);
    }
}
