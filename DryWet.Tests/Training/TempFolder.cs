using DryWet.Tests.Storage;

namespace DryWet.Tests.Training;

/// <summary>A fresh folder under the system temp folder (<see cref="TestFolders"/>), deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = TestFolders.NewTempDirectory("drywet-tests");
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => TestFolders.DeleteQuietly(Path);
}
