using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = TestFolders.NewTempDirectory("atomic");

    [Fact]
    public async Task A_writer_that_fails_half_way_leaves_neither_the_file_nor_a_temp_file()
    {
        var target = Path.Combine(_dir, "model.onnx");

        await Should.ThrowAsync<IOException>(() => AtomicFile.WriteAsync(target, async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[4096], ct);
            throw new IOException("connection reset mid-download");
        }, TestContext.Current.CancellationToken));

        Directory.GetFiles(_dir).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_failed_directory_fill_keeps_the_previous_directory_whole()
    {
        var target = Path.Combine(_dir, "package");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "MLmodel"), "old");

        await Should.ThrowAsync<InvalidOperationException>(() => AtomicDirectory.WriteAsync(target, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "MLmodel"), "new");
            throw new InvalidOperationException("download failed");
        }));

        File.ReadAllText(Path.Combine(target, "MLmodel")).ShouldBe("old");
        Directory.GetDirectories(_dir).ShouldBe([target]);
    }

    public void Dispose() => TestFolders.DeleteQuietly(_dir);
}
