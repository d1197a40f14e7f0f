namespace DryWet.Tests.Storage;

/// <summary>
/// The tests' temp folders and files come from <see cref="TestFolders"/> only, so <see cref="TempPathGuard"/> sees every
/// one: a run must leave nothing behind in the system temp folder.
/// </summary>
public sealed class TestTempPathTests
{
    [Fact]
    public void No_test_makes_a_temp_path_except_through_TestFolders()
    {
        string[] ways = [$"{nameof(Path.GetTempPath)}(", $"{nameof(Path.GetTempFileName)}(", $"{nameof(Directory.CreateTempSubdirectory)}("];
        var tests = Path.Combine(TestFolders.RepositoryRoot, "DryWet.Tests");
        var owner = Path.Combine(tests, "Storage", "TestFolders.cs");
        var offenders = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => f != owner && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => ways.Any(w => x.line.Contains(w, StringComparison.Ordinal)))
            .Select(x => $"{Path.GetRelativePath(TestFolders.RepositoryRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        offenders.ShouldBeEmpty("use TestFolders.NewTempDirectory/NewTempFile/NewTempPath and delete what you made");
    }

    [Fact]
    public void A_temp_path_counts_as_left_behind_until_it_is_deleted()
    {
        var folder = TestFolders.NewTempDirectory("guard-check");
        var file = TestFolders.NewTempFile("guard-check", ".txt");
        var path = TestFolders.NewTempPath("guard-check");
        try
        {
            TestFolders.LeftBehind().ShouldContain(folder);
            TestFolders.LeftBehind().ShouldContain(file);
            TestFolders.LeftBehind().ShouldNotContain(path, "nothing was created there yet");
            File.WriteAllText(path, "made by the code under test");
            TestFolders.LeftBehind().ShouldContain(path);
        }
        finally
        {
            TestFolders.DeleteQuietly(folder);
            TestFolders.DeleteQuietly(file);
            TestFolders.DeleteQuietly(path);
        }

        TestFolders.LeftBehind().ShouldNotContain(folder);
        TestFolders.LeftBehind().ShouldNotContain(file);
        TestFolders.LeftBehind().ShouldNotContain(path);
    }
}
