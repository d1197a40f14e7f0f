using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Serving;
using DryWet.Serving.Feedback;
using DryWet.Serving.Shadow;
using Microsoft.Extensions.Configuration;

namespace DryWet.Tests.Serving;

/// <summary>
/// Serving's own settings, bound one way (<see cref="OptionsBinding"/>): a misspelt key under Model, Serving,
/// Serving:PredictionLog or Serving:Shadow, a value of the wrong type or out of range stops the start, naming the key and what to use.
/// </summary>
public sealed class ServingSettingsTests
{
    [Fact]
    public async Task A_misspelt_model_or_serving_setting_is_an_error_with_the_nearest_key()
    {
        var serving = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:AdminApiKee"] = "secret",
        }));
        serving.Message.ShouldContain("Serving:AdminApiKee: unknown key (did you mean 'AdminApiKey'?)");
        serving.Message.ShouldNotContain("secret");

        var model = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Pth"] = "/models/package",
        }));
        model.Message.ShouldContain("Model:Pth: unknown key (did you mean 'Path'?)");
    }

    [Fact]
    public async Task Prediction_log_values_out_of_range_or_not_numbers_stop_the_start_naming_each_key_and_value()
    {
        var range = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:PredictionLog:SampleRate"] = "1.5",
            ["Serving:PredictionLog:QueueCapacity"] = "0",
        }));
        range.Message.ShouldContain("Serving:PredictionLog:SampleRate = '1.5' is invalid: use a number from 0 (off) to 1 (every prediction).");
        range.Message.ShouldContain("Serving:PredictionLog:QueueCapacity = '0' is invalid: use a whole number from 1 to 100000.");

        var type = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:PredictionLog:RetentionDays"] = "a week",
        }));
        type.Message.ShouldContain("Serving:PredictionLog:RetentionDays = 'a week' is not a whole number.");
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
            ["Serving:Shadow:QueueCapacity"] = "0",
            ["Serving:Shadow:MaxWait"] = "00:00:00",
        }));
        values.Message.ShouldContain("Serving:Shadow:SampleRate = '2' is invalid: use a number from 0 (no image) to 1 (every image).");
        values.Message.ShouldContain("Serving:Shadow:QueueCapacity = '0' is invalid: use a whole number from 1 to 10000.");
        values.Message.ShouldContain("Serving:Shadow:MaxWait = '00:00:00' is invalid: use a time span above 0 and up to 00:01:00.");

        var type = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Serving:Shadow:QueueCapacity"] = "none" }));
        type.Message.ShouldContain("Serving:Shadow:QueueCapacity = 'none' is not a whole number.");

        var key = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Serving:Shadow:SampleRat"] = "1" }));
        key.Message.ShouldContain("Serving:Shadow:SampleRat: unknown key (did you mean 'SampleRate'?)");

        var mode = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Shadow"] = "on" }));
        mode.Message.ShouldContain("Model:Shadow = 'on' is invalid: use auto (serve the registry's challenger as a shadow) or off.");
    }

    [Fact]
    public async Task Model_choices_and_values_of_the_wrong_type_stop_the_start_naming_key_and_valid_values()
    {
        var choices = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Precision"] = "fp16",
            ["Model:Source"] = "s3",
            ["Model:ExecutionProvider"] = "tpu",
        }));
        choices.Message.ShouldContain("Model:Precision = 'fp16' is invalid: use auto, fp32 or int8.");
        choices.Message.ShouldContain("Model:Source = 's3' is invalid: use auto, local (with Model:Path) or registry.");
        choices.Message.ShouldContain("Model:ExecutionProvider = 'tpu' is invalid: use auto, cuda or cpu.");

        var model = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:MaxBatchSize"] = "many" }));
        model.Message.ShouldContain("Model:MaxBatchSize = 'many' is not a whole number.");
        var serving = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?> { ["Serving:QueueTimeout"] = "soon" }));
        serving.Message.ShouldContain("Serving:QueueTimeout = 'soon' is not a time span (hh:mm:ss, e.g. 00:00:10).");
    }

    [Fact]
    public void Without_settings_every_serving_section_binds_to_its_documented_defaults()
    {
        var empty = new ConfigurationBuilder().Build();
        Same(OptionsBinding.Bind<ServingOptions>(empty, ServingOptions.SectionName), new ServingOptions());
        Same(OptionsBinding.Bind<ModelOptions>(empty, ModelOptions.SectionName), new ModelOptions());
        Same(OptionsBinding.Bind<PredictionLogOptions>(empty, PredictionLogOptions.SectionName), new PredictionLogOptions());
        Same(OptionsBinding.Bind<ShadowOptions>(empty, ShadowOptions.SectionName), new ShadowOptions());

        var bound = OptionsBinding.Bind<ModelOptions>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Model:Precision"] = " Int8 ",
            ["Model:MaxBatchSize"] = "8",
            ["Model:BatchTuningBudget"] = "00:00:01",
        }).Build(), ModelOptions.SectionName);
        (bound.Precision, bound.MaxBatchSize, bound.BatchTuningBudget).ShouldBe((" Int8 ", (int?)8, TimeSpan.FromSeconds(1)));
    }

    /// <summary>Every scalar setting of <paramref name="bound"/> equals the class default (nested sections are bound on their own).</summary>
    private static void Same<T>(T bound, T defaults)
    {
        foreach (var property in typeof(T).GetProperties().Where(p => p.CanWrite && (p.PropertyType.IsValueType || p.PropertyType == typeof(string))))
        {
            property.GetValue(bound).ShouldBe(property.GetValue(defaults), $"{typeof(T).Name}.{property.Name}");
        }
    }

    [Fact]
    public void A_body_limit_beyond_one_buffer_is_refused_naming_the_range()
    {
        // A body is read into one pooled buffer (PooledBody), so the limit stays within what one array can hold.
        new ServingOptions { MaxRequestBodyBytes = (1L << 30) + 1 }.Validate("Serving").ShouldContain(
            "Serving:MaxRequestBodyBytes = '1073741825' is invalid: use a positive number of bytes up to 1073741824 (1 GiB: a body is held in one buffer).");
        new ServingOptions { MaxRequestBodyBytes = 1L << 30 }.Validate("Serving").ShouldNotContain(e => e.Contains("MaxRequestBodyBytes = "));
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
