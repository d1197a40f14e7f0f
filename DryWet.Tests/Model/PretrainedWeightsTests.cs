using System.Security.Cryptography;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using Microsoft.Extensions.Configuration;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

/// <summary>
/// <c>model.pretrained: imagenet</c> the torchvision way, against a local HTTP server the test starts: the file name
/// carries a SHA-256 prefix that is checked, the file is cached under DryWet:Home/cache/weights/, and every failure
/// (404, offline, truncated, wrong hash, cancelled) is one clear error with nothing left in the cache.
/// </summary>
[Collection("TorchSharp")]
public sealed class PretrainedWeightsTests : IAsyncLifetime
{
    private readonly TempFolder _home = new();
    private readonly List<string> _messages = [];
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private WeightsServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await WeightsServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _home.Dispose();
    }

    private string CacheFolder => Path.Combine(_home.Path, "cache", "weights");

    private PretrainedWeightsSource Source(Uri? baseUrl = null, string? tinyFile = null, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            [DryWetHome.ConfigurationKey] = _home.Path,
            ["DryWet:Weights:BaseUrl"] = (baseUrl ?? _server.BaseUrl).ToString(),
        };
        if (tinyFile is not null)
        {
            settings["DryWet:Weights:Files:efficientnet_tiny"] = tinyFile;
        }

        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        // Bound as the trainer's host binds it at start (TrainerHost): key check, conversion, validation.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return PretrainedWeightsSource.Create(OptionsBinding.Bind<WeightsOptions>(configuration, WeightsOptions.SectionName),
            DryWetHome.Resolve(configuration), _http, _messages.Add);
    }

    private static DryWetConfig.ModelSection Tiny(string pretrained = "imagenet") =>
        new() { Architecture = "efficientnet_tiny", NumClasses = 2, Pretrained = pretrained };

    /// <summary>A real torch.save state dict of an efficientnet_tiny with 1000 ImageNet classes, named name-&lt;sha8&gt;.pth.</summary>
    private (string Name, byte[] Bytes, EfficientNet Source) TorchvisionStyleFile(string stem = "efficientnet_tiny_imagenet")
    {
        TorchTestSupport.EnsureTorch();
        random.manual_seed(7);
        var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 1000);
        var path = Path.Combine(_home.Path, "source.pth");
        TorchSaveWriter.Write(path, net.state_dict().Select(kv => (kv.Key, kv.Value)).ToList());
        var bytes = File.ReadAllBytes(path);
        return ($"{stem}-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..8]}.pth", bytes, net);
    }

    [Fact]
    public async Task Imagenet_weights_are_downloaded_hash_checked_cached_and_loaded_with_a_new_head()
    {
        var (name, bytes, source) = TorchvisionStyleFile();
        using var _ = source;
        _server.Files[name] = bytes;
        var ct = TestContext.Current.CancellationToken;

        var path = await Source(tinyFile: name).ResolveAsync(Tiny(), ct);

        path.ShouldBe(Path.Combine(CacheFolder, name));
        File.ReadAllBytes(path!).ShouldBe(bytes);
        Directory.GetFiles(CacheFolder).ShouldBe([path!]); // no partial file left beside it
        _messages.ShouldContain(m => m.Contains(_server.BaseUrl + name, StringComparison.Ordinal));
        _messages.ShouldContain(m => m.Contains("(100 %)", StringComparison.Ordinal));
        _messages.ShouldContain(m => m.Contains("verified", StringComparison.Ordinal));

        // The backbone is the file's; the classifier is new, with num_classes outputs.
        var config = new DryWetConfig();
        config.Model = Tiny();
        using var model = (EfficientNet)new EfficientNetBackend(new CollectingProgress()).Create(config, path!);
        var loaded = model.state_dict();
        var expected = source.state_dict();
        foreach (var key in expected.Keys.Where(k => !ModelWeights.ClassifierKeys.Contains(k)))
        {
            loaded[key].eq(expected[key]).all().item<bool>().ShouldBeTrue(key);
        }

        loaded["classifier.1.weight"].shape.ShouldBe([2L, model.FeatureChannels]);

        // Second run: the cache answers, the server is not asked again.
        var requests = _server.Requests;
        (await Source(tinyFile: name).ResolveAsync(Tiny(), ct)).ShouldBe(path);
        _server.Requests.ShouldBe(requests);
    }

    [Fact]
    public async Task A_file_whose_hash_does_not_match_its_name_is_refused_and_not_cached()
    {
        var (_, bytes, source) = TorchvisionStyleFile();
        source.Dispose();
        const string name = "efficientnet_tiny_imagenet-0badc0de.pth";
        _server.Files[name] = bytes;

        var error = await Should.ThrowAsync<DryWetException>(() => Source(tinyFile: name).ResolveAsync(Tiny(), TestContext.Current.CancellationToken));

        error.Message.ShouldContain(_server.BaseUrl + name);
        error.Message.ShouldContain("0badc0de");
        error.Message.ShouldContain(Path.Combine(CacheFolder, name));
        error.Message.ShouldContain("model.pretrained_path");
        EmptyCache();
    }

    [Fact]
    public async Task A_truncated_download_is_an_error_that_names_the_bytes_and_leaves_nothing()
    {
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        var name = $"efficientnet_tiny_imagenet-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..8]}.pth";
        _server.Files[name] = bytes;
        _server.TruncateAt = 0.5;

        var error = await Should.ThrowAsync<DryWetException>(() => Source(tinyFile: name).ResolveAsync(Tiny(), TestContext.Current.CancellationToken));

        error.Message.ShouldContain(_server.BaseUrl + name);
        error.Message.ShouldMatch("truncated|broke off");
        EmptyCache();
    }

    [Fact]
    public async Task A_404_and_an_unreachable_mirror_are_clear_errors_naming_the_url_and_the_alternatives()
    {
        // The real table's name for B0, on a mirror that does not have it.
        var config = new DryWetConfig.ModelSection { Architecture = "efficientnet_b0", NumClasses = 2 };
        config.ResolvePretrained().ShouldBe("imagenet");

        var missing = await Should.ThrowAsync<DryWetException>(() => Source().ResolveAsync(config, TestContext.Current.CancellationToken));
        missing.Message.ShouldContain(_server.BaseUrl + "efficientnet_b0_rwightman-7f5810bc.pth");
        missing.Message.ShouldContain("HTTP 404");
        missing.Message.ShouldContain("DryWet:Weights:BaseUrl");
        missing.Message.ShouldContain("model.pretrained_path");

        var offline = new Uri($"http://127.0.0.1:{FreePort()}/models/");
        var unreachable = await Should.ThrowAsync<DryWetException>(() => Source(offline).ResolveAsync(config, TestContext.Current.CancellationToken));
        unreachable.Message.ShouldContain(offline + "efficientnet_b0_rwightman-7f5810bc.pth");
        unreachable.Message.ShouldContain("cannot be reached");
        unreachable.Message.ShouldContain(Path.Combine(CacheFolder, "efficientnet_b0_rwightman-7f5810bc.pth"));
        EmptyCache();
    }

    [Fact]
    public async Task A_slow_download_can_be_cancelled_and_leaves_no_partial_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(400_000);
        var name = $"efficientnet_tiny_imagenet-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..8]}.pth";
        _server.Files[name] = bytes;
        _server.ChunkDelay = TimeSpan.FromMilliseconds(50); // ~100 chunks: 5 s
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(500));

        await Should.ThrowAsync<OperationCanceledException>(() => Source(tinyFile: name).ResolveAsync(Tiny(), cancel.Token));

        EmptyCache();
    }

    [Fact]
    public async Task Tiny_has_no_imagenet_weights_none_trains_from_scratch_loudly_and_a_local_file_wins()
    {
        var ct = TestContext.Current.CancellationToken;
        var error = await Should.ThrowAsync<DryWetException>(() => Source().ResolveAsync(Tiny(), ct));
        error.Message.ShouldContain("efficientnet_tiny has no published ImageNet weights");
        error.Message.ShouldContain("model.pretrained: none");

        (await Source().ResolveAsync(Tiny("none"), ct)).ShouldBeNull();
        _messages.ShouldContain(m => m.StartsWith("WARNING:", StringComparison.Ordinal) && m.Contains("random weights", StringComparison.Ordinal));

        var local = new DryWetConfig.ModelSection { Architecture = "efficientnet_b3", PretrainedPath = "/data/b3.pth" };
        (await Source().ResolveAsync(local, ct)).ShouldBe("/data/b3.pth");
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public void A_misspelt_weights_setting_or_a_bad_base_url_is_an_error()
    {
        Should.Throw<DryWetException>(() => Source(extra: ("DryWet:Weights:BaseUlr", "http://x/")))
            .Message.ShouldContain("DryWet:Weights:BaseUlr: unknown key (did you mean 'BaseUrl'?)");
        Should.Throw<DryWetException>(() => Source(new Uri("ftp://mirror/models/")))
            .Message.ShouldContain("is not an http(s) URL");
    }

    [Fact]
    public void The_table_names_torchvisions_files_and_their_hash_prefixes()
    {
        ImageNetWeights.FileNameFor("efficientnet_b3").ShouldBe("efficientnet_b3_rwightman-b3899882.pth");
        ImageNetWeights.FileNameFor("efficientnet_b7").ShouldBe("efficientnet_b7_lukemelas-c5b4e57e.pth");
        ImageNetWeights.FileNameFor("efficientnet_tiny").ShouldBeNull();
        ImageNetWeights.HashPrefix("efficientnet_b3_rwightman-b3899882.pth").ShouldBe("b3899882");
        ImageNetWeights.HashPrefix("weights.pth").ShouldBeNull();
        new Uri(ImageNetWeights.DefaultBaseUrl, "efficientnet_b3_rwightman-b3899882.pth").ToString()
            .ShouldBe("https://download.pytorch.org/models/efficientnet_b3_rwightman-b3899882.pth");
    }

    private void EmptyCache()
    {
        if (Directory.Exists(CacheFolder))
        {
            Directory.GetFiles(CacheFolder).ShouldBeEmpty();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
