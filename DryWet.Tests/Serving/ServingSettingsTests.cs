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

    [Fact]
    public async Task Prediction_log_values_out_of_range_or_not_numbers_stop_the_start_naming_each_key_and_value()
    {
        var error = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:PredictionLog:SampleRate"] = "1.5",
            ["Serving:PredictionLog:QueueCapacity"] = "0",
            ["Serving:PredictionLog:RetentionDays"] = "a week",
        }));

        error.Message.ShouldContain("Serving:PredictionLog:SampleRate = '1.5' is invalid: use a number from 0 (off) to 1 (every prediction).");
        error.Message.ShouldContain("Serving:PredictionLog:QueueCapacity = '0' is invalid");
        error.Message.ShouldContain("Serving:PredictionLog:RetentionDays = 'a week' is invalid");
    }

    [Fact]
    public async Task A_misspelt_prediction_log_key_is_an_error_with_the_nearest_key()
    {
        var error = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:PredictionLog:SampleRat"] = "1",
        }));

        error.Message.ShouldContain("Serving:PredictionLog:SampleRat: unknown key (did you mean 'SampleRate'?)");
    }

    [Fact]
    public async Task Shadow_values_out_of_range_a_misspelt_shadow_key_or_an_unknown_shadow_mode_stop_the_start_naming_each()
    {
        var values = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:Shadow:SampleRate"] = "2",
            ["Serving:Shadow:QueueCapacity"] = "none",
            ["Serving:Shadow:MaxWait"] = "00:00:00",
        }));
        values.Message.ShouldContain("Serving:Shadow:SampleRate = '2' is invalid: use a number from 0 (no image) to 1 (every image).");
        values.Message.ShouldContain("Serving:Shadow:QueueCapacity = 'none' is invalid");
        values.Message.ShouldContain("Serving:Shadow:MaxWait = '00:00:00' is invalid");

        var key = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Serving:Shadow:SampleRat"] = "1" }));
        key.Message.ShouldContain("Serving:Shadow:SampleRat: unknown key (did you mean 'SampleRate'?)");

        var mode = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Shadow"] = "on" }));
        mode.Message.ShouldContain("Model:Shadow = 'on' is invalid: use auto");
    }

    [Fact]
    public async Task Limits_out_of_range_or_a_budget_too_small_for_the_largest_image_stop_the_start_naming_each_key()
    {
        var error = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:MaxQueuedRequests"] = "0",
            ["Serving:QueueTimeout"] = "00:00:00",
        }));
        error.Message.ShouldContain("Serving:MaxQueuedRequests = '0' is invalid");
        error.Message.ShouldContain("Serving:QueueTimeout = '00:00:00' is invalid");

        var budget = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:DecodeMemoryBudgetMB"] = "64",
        }));
        budget.Message.ShouldContain("Serving:DecodeMemoryBudgetMB = 64 cannot hold one image of MaxImagePixels = 40,000,000");
    }
}
