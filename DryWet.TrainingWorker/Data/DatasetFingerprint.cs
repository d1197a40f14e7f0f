using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// What identifies the training data in the run: SHA-256 of the zip, or of a folder's sorted relative paths and
/// contents (so the same images give the same hash wherever they are), and the size in bytes.
/// </summary>
public sealed record DatasetFingerprint(string Sha256, long Bytes, int Files)
{
    public static DatasetFingerprint Compute(string path)
    {
        if (File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            return new DatasetFingerprint(Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length, 1);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(path, f).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        var buffer = new byte[81920];
        foreach (var (full, relative) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\n"));
            using var stream = File.OpenRead(full);
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer.AsSpan(0, read));
                bytes += read;
            }
        }

        return new DatasetFingerprint(Convert.ToHexStringLower(hash.GetHashAndReset()), bytes, files.Count);
    }

    /// <summary>The source commit: env DRYWET_GIT_COMMIT or GIT_COMMIT (set by CI/image builds), else `git rev-parse HEAD`.</summary>
    public static string? GitCommit()
    {
        foreach (var name in new[] { "DRYWET_GIT_COMMIT", "GIT_COMMIT" })
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                return value;
            }
        }

        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["rev-parse", "HEAD"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            });
            if (git is null || !git.WaitForExit(2000) || git.ExitCode != 0)
            {
                return null;
            }

            var commit = git.StandardOutput.ReadToEnd().Trim();
            return commit.Length == 40 ? commit : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine (e.g. in the image)
        }
    }
}
