using System.Net;
using System.Text.Json;
using DryWet.Serving.Apis;
using DryWet.Tests.Training;
using Microsoft.AspNetCore.Http;

namespace DryWet.Tests.Serving;

/// <summary>
/// <c>POST /model/reload</c> fails closed: without <c>Serving:AdminApiKey</c> it is accepted from this machine only
/// (both ends of the connection on loopback, no proxy header); anyone else gets 403 saying how to set the key.
/// </summary>
public sealed class ReloadAccessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_an_admin_key_a_loopback_caller_may_reload_and_a_forwarded_one_gets_403_naming_the_setting()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;

        using (var local = await client.PostAsync("/model/reload", null, Ct))
        {
            local.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // What a gateway or sidecar adds for a caller elsewhere.
        using var forwarded = new HttpRequestMessage(HttpMethod.Post, "/model/reload") { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };
        using var refused = await client.SendAsync(forwarded, Ct);
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString()!;
        error.ShouldContain("loopback only");
        error.ShouldContain("Serving:AdminApiKey");
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", null, true)]
    [InlineData("::1", "::1", null, true)]
    [InlineData("10.1.2.3", "10.1.2.4", null, false)]
    // A mesh sidecar (Istio) connects from 127.0.0.6 to the pod's own address: not a local caller.
    [InlineData("127.0.0.6", "10.1.2.4", null, false)]
    [InlineData("127.0.0.1", "127.0.0.1", "X-Forwarded-For", false)]
    [InlineData("127.0.0.1", "127.0.0.1", "Forwarded", false)]
    public void A_local_caller_has_both_connection_ends_on_loopback_and_no_proxy_header(string remote, string local, string? header, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Connection.LocalIpAddress = IPAddress.Parse(local);
        if (header is not null)
        {
            context.Request.Headers[header] = "for=203.0.113.9";
        }

        ModelApi.IsLocalCaller(context).ShouldBe(expected);
    }
}
