using System.IO.Compression;
using DryWet.Core;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Training;

public sealed class DatasetSafetyTests
{
    private static byte[] Jpeg(bool wet, int seed) => SyntheticRoadGenerator.DrawJpeg(wet, 32, seed);

    private static string Zip(string folder, params (string Name, byte[] Bytes)[] entries)
    {
        var path = Path.Combine(folder, "input.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            stream.Write(bytes);
        }

        return path;
    }

    private static (string Name, byte[] Bytes)[] TwoClasses(int perClass = 3) =>
        Enumerable.Range(0, perClass).SelectMany(i => new[] { ($"dry/d{i}.jpg", Jpeg(false, i)), ($"wet/w{i}.jpg", Jpeg(true, i)) }).ToArray();

    [Fact]
    public void Classes_are_the_sorted_folder_names_and_a_wrapper_folder_is_skipped()
    {
        using var temp = new TempFolder();
        var zip = Zip(temp.Path, TwoClasses().Select(e => ("dataset/" + e.Name, e.Bytes)).ToArray());
        var dataset = ImageFolderDataset.Open(zip, Path.Combine(temp.Path, "work"));
        dataset.Classes.ShouldBe(["dry", "wet"]);
        dataset.CountOf(0).ShouldBe(3);
        dataset.CountOf(1).ShouldBe(3);
        dataset.Root.ShouldStartWith(Path.Combine(temp.Path, "work"));
    }

    [Fact]
    public void A_zip_slip_entry_is_refused_and_nothing_is_written_outside_the_work_folder()
    {
        using var temp = new TempFolder();
        var entries = TwoClasses().Append(("../../escaped.jpg", Jpeg(false, 9))).ToArray();
        var zip = Zip(temp.Path, entries);
        var work = Path.Combine(temp.Path, "a", "b", "work");

        var error = Should.Throw<DryWetException>(() => ImageFolderDataset.Open(zip, work));
        error.Message.ShouldContain("zip-slip");
        error.Message.ShouldContain("../../escaped.jpg");
        File.Exists(Path.Combine(temp.Path, "a", "escaped.jpg")).ShouldBeFalse();
        File.Exists(Path.Combine(temp.Path, "escaped.jpg")).ShouldBeFalse();
        Directory.EnumerateFiles(temp.Path, "*.jpg", SearchOption.AllDirectories).ShouldBeEmpty("nothing extracted at all");
    }

    [Fact]
    public void An_absolute_path_entry_is_refused()
    {
        using var temp = new TempFolder();
        var zip = Zip(temp.Path, TwoClasses().Append(("/tmp/drywet-absolute.jpg", Jpeg(true, 1))).ToArray());
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(zip, Path.Combine(temp.Path, "work")))
            .Message.ShouldContain("outside the extraction folder");
    }

    [Fact]
    public void A_zip_bomb_is_refused_by_compression_ratio_before_filling_the_disk()
    {
        using var temp = new TempFolder();
        var zip = Zip(temp.Path, TwoClasses().Append(("dry/bomb.jpg", new byte[8 * 1024 * 1024])).ToArray());
        var work = Path.Combine(temp.Path, "work");
        var error = Should.Throw<DryWetException>(() => ImageFolderDataset.Open(zip, work));
        error.Message.ShouldContain("zip bomb");
        error.Message.ShouldContain("dry/bomb.jpg");
        (Directory.Exists(work) && Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories).Any())
            .ShouldBeFalse("nothing is left behind");
    }

    [Fact]
    public void Total_size_and_entry_count_limits_are_enforced()
    {
        using var temp = new TempFolder();
        var zip = Zip(temp.Path, TwoClasses(5));
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(zip, Path.Combine(temp.Path, "w1"), new ZipLimits { MaxEntries = 4 }))
            .Message.ShouldContain("10 entries");
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(zip, Path.Combine(temp.Path, "w2"), new ZipLimits { MaxTotalBytes = 2000 }))
            .Message.ShouldContain("in total");
    }

    [Fact]
    public void Corrupt_and_non_image_files_are_skipped_and_reported_by_name()
    {
        using var temp = new TempFolder();
        var entries = TwoClasses().Concat([
            ("dry/broken.jpg", "not a jpeg at all"u8.ToArray()),
            ("wet/notes.txt", "hello"u8.ToArray()),
        ]).ToArray();
        var dataset = ImageFolderDataset.Open(Zip(temp.Path, entries), Path.Combine(temp.Path, "work"));
        dataset.Images.Count.ShouldBe(6);
        dataset.Skipped.Select(s => Path.GetFileName(s.Path)).Order().ShouldBe(["broken.jpg", "notes.txt"]);
        dataset.Skipped.ShouldAllBe(s => s.Reason.Length > 0);
    }

    [Fact]
    public void An_empty_class_is_an_error_naming_the_class()
    {
        using var temp = new TempFolder();
        var folder = Path.Combine(temp.Path, "data");
        Directory.CreateDirectory(Path.Combine(folder, "wet"));
        Directory.CreateDirectory(Path.Combine(folder, "dry"));
        File.WriteAllBytes(Path.Combine(folder, "dry", "a.jpg"), Jpeg(false, 1));
        File.WriteAllBytes(Path.Combine(folder, "wet", "corrupt.jpg"), [1, 2, 3]);
        var error = Should.Throw<DryWetException>(() => ImageFolderDataset.Open(folder, temp.Path));
        error.Message.ShouldContain("'wet/'");
        error.Message.ShouldContain("no readable images");
    }

    [Fact]
    public void A_single_class_is_an_error_that_says_two_are_needed()
    {
        using var temp = new TempFolder();
        var zip = Zip(temp.Path, ("dry/a.jpg", Jpeg(false, 1)), ("dry/b.jpg", Jpeg(false, 2)));
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(zip, Path.Combine(temp.Path, "work")))
            .Message.ShouldContain("single class ('dry/')");
    }

    [Fact]
    public void No_images_or_no_folders_or_a_missing_path_are_clear_errors()
    {
        using var temp = new TempFolder();
        var empty = Path.Combine(temp.Path, "empty");
        Directory.CreateDirectory(Path.Combine(empty, "dry"));
        Directory.CreateDirectory(Path.Combine(empty, "wet"));
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(empty, temp.Path)).Message.ShouldContain("no readable images");

        var flat = Path.Combine(temp.Path, "flat");
        Directory.CreateDirectory(flat);
        File.WriteAllBytes(Path.Combine(flat, "a.jpg"), Jpeg(false, 1));
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(flat, temp.Path)).Message.ShouldContain("no class folders");

        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(Path.Combine(temp.Path, "missing.zip"), temp.Path))
            .Message.ShouldContain("does not exist");

        var notZip = Path.Combine(temp.Path, "fake.zip");
        File.WriteAllText(notZip, "plain text");
        Should.Throw<DryWetException>(() => ImageFolderDataset.Open(notZip, Path.Combine(temp.Path, "w"))).Message.ShouldContain("not a readable zip");
    }

    [Fact]
    public void Stratified_split_keeps_class_shares_and_is_repeatable_for_a_random_state()
    {
        var images = Enumerable.Range(0, 50).Select(i => new LabeledImage($"dry/{i}", 0))
            .Concat(Enumerable.Range(0, 30).Select(i => new LabeledImage($"wet/{i}", 1))).ToArray();
        var (train, val) = StratifiedSplit.Split(images, ["dry", "wet"], 0.2, 42);
        val.Count(i => i.Label == 0).ShouldBe(10);
        val.Count(i => i.Label == 1).ShouldBe(6);
        train.Count.ShouldBe(64);
        train.Intersect(val).ShouldBeEmpty();

        var again = StratifiedSplit.Split(images, ["dry", "wet"], 0.2, 42);
        again.Train.ShouldBe(train);
        again.Validation.ShouldBe(val);
        StratifiedSplit.Split(images, ["dry", "wet"], 0.2, 7).Validation.ShouldNotBe(val);
    }
}
