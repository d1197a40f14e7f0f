using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Contracts;

/// <summary>The one way options are read (<see cref="OptionsBinding"/>): unknown keys, unconvertible values and invalid values are one error at start.</summary>
public sealed class OptionsBindingTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Absent_keys_keep_the_defaults_and_given_ones_are_bound()
    {
        var options = OptionsBinding.Bind<MlflowClientOptions>(Settings(("DryWet:Mlflow:MaxRetryAttempts", "0")), MlflowClientOptions.SectionName);

        options.MaxRetryAttempts.ShouldBe(0);
        options.AttemptTimeout.ShouldBe(new MlflowClientOptions().AttemptTimeout);
    }

    [Fact]
    public void Every_problem_is_named_in_one_error_with_the_fix()
    {
        var error = Should.Throw<DryWetException>(() => OptionsBinding.Bind<MlflowClientOptions>(Settings(
            ("DryWet:Mlflow:MaxRetryAttempt", "2"),
            ("DryWet:Mlflow:RetryDelay", "soon")), MlflowClientOptions.SectionName));

        error.Message.ShouldContain("DryWet:Mlflow:MaxRetryAttempt: unknown key (did you mean 'MaxRetryAttempts'?)");
        error.Message.ShouldContain("DryWet:Mlflow:RetryDelay = 'soon' is not a time span");
    }

    [Theory]
    [InlineData("MaxRetryAttempts", "-1", "DryWet:Mlflow:MaxRetryAttempts = -1 is invalid")]
    [InlineData("MaxRetryAttempts", "many", "DryWet:Mlflow:MaxRetryAttempts = 'many' is not a whole number")]
    [InlineData("AttemptTimeout", "00:00:00", "DryWet:Mlflow:AttemptTimeout = 00:00:00 is invalid: use a positive time span")]
    [InlineData("ReadyPollInterval", "-00:00:01", "DryWet:Mlflow:ReadyPollInterval = -00:00:01 is invalid")]
    public void A_bad_value_is_an_error_naming_key_and_value(string key, string value, string message) =>
        Should.Throw<DryWetException>(() => OptionsBinding.Bind<MlflowClientOptions>(Settings(($"DryWet:Mlflow:{key}", value)), MlflowClientOptions.SectionName))
            .Message.ShouldContain(message);

    [Fact]
    public void The_mlflow_client_refuses_a_misspelt_setting_when_it_is_registered()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:mlflow"] = "http://127.0.0.1:9/";
        builder.Configuration["DryWet:Mlflow:AttemptTimout"] = "00:00:05";

        Should.Throw<DryWetException>(() => builder.AddMlflowClient()).Message.ShouldContain("did you mean 'AttemptTimeout'?");
    }
}
