[assembly: AssemblyFixture(typeof(DryWet.Tests.Storage.TempPathGuard))]

namespace DryWet.Tests.Storage;

/// <summary>
/// Fails the test run (an assembly cleanup error) when a temp folder or file made through <see cref="TestFolders"/> is
/// still there once every test and fixture is done: each test deletes what it made, so a run leaves nothing behind in
/// the system temp folder. An assembly fixture is disposed after every collection, parallel ones included, has
/// finished and disposed its own fixtures, so nothing is checked while its owner still uses it. What it finds is
/// deleted, then named.
/// </summary>
public sealed class TempPathGuard : IDisposable
{
    public void Dispose()
    {
        var left = TestFolders.LeftBehind();
        if (left.Count == 0)
        {
            return;
        }

        foreach (var path in left)
        {
            TestFolders.DeleteQuietly(path);
        }

        var named = string.Join(", ", left.Take(10)) + (left.Count > 10 ? $" and {left.Count - 10} more" : "");
        throw new InvalidOperationException(
            $"{left.Count} temp path(s) made through TestFolders were not deleted by the test or fixture that made them: {named}");
    }
}
