using DryWet.Core;

namespace DryWet.Tests.Serving;

/// <summary>Serving's own settings: a misspelt Model:* or Serving:* key stops the start, naming it and the nearest valid key.</summary>
public sealed class ServingSettingsTests
{
    [Fact]
    public async Task A_misspelt_model_or_serving_setting_is_an_error_with_the_nearest_key()
    {
        var error = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Pth"] = "/models/package",
            ["Serving:AdminApiKee"] = "secret",
        }));

        error.Message.ShouldContain("Model:Pth: unknown key (did you mean 'Path'?)");
        error.Message.ShouldContain("Serving:AdminApiKee: unknown key (did you mean 'AdminApiKey'?)");
        error.Message.ShouldNotContain("secret");
    }
}
