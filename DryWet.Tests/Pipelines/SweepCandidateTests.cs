using System.Text.Json.Nodes;
using DryWet.Core;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

/// <summary>The train → register-best contract: the result file one train step writes and the collected list register-best reads.</summary>
public class SweepCandidateTests
{
    private static SweepCandidate Candidate(string run, double acc) =>
        new(run, acc, $"mlflow-artifacts:/1/{run}/artifacts/model", new Dictionary<string, string> { ["training.learning_rate"] = "1e-3" });

    [Fact]
    public void A_written_result_parses_back_as_a_collected_list_of_objects_or_of_json_strings()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "outputs", "result"); // KFP's output_file folder does not exist yet
        var written = Candidate("run-a", 0.875) with { ModelId = "m-0123456789abcdef0123456789abcdef" };

        written.Write(path);

        Directory.GetFiles(Path.GetDirectoryName(path)!).ShouldBe([path], "no temp file left behind");
        var text = File.ReadAllText(path);
        JsonNode.Parse(text)!["best_val_acc"]!.GetValue<double>().ShouldBe(0.875);
        foreach (var collected in new[] { $"[{text}]", new JsonArray(JsonValue.Create(text)).ToJsonString() })
        {
            var parsed = SweepCandidate.ParseList(collected).ShouldHaveSingleItem();
            parsed.RunId.ShouldBe("run-a");
            parsed.BestValAcc.ShouldBe(0.875);
            parsed.ModelSource.ShouldBe("mlflow-artifacts:/1/run-a/artifacts/model");
            parsed.ModelId.ShouldBe("m-0123456789abcdef0123456789abcdef", "register-best links the version to this LoggedModel");
            parsed.Overrides.ShouldBe(written.Overrides);
        }
    }

    [Theory]
    [InlineData("not json", "--candidates is not JSON")]
    [InlineData("{\"run_id\": \"a\"}", "--candidates must be a JSON list")]
    [InlineData("[]", "--candidates is an empty list")]
    [InlineData("[42]", "--candidates[0] is not a train result object: '42'")]
    [InlineData("[\"{oops\"]", "--candidates[0] is a string that is not a JSON result: '{oops'")]
    [InlineData("[{\"best_val_acc\": 0.5, \"model_source\": \"s\"}]", "--candidates[0].run_id = (missing): must be a non-empty string")]
    [InlineData("[{\"run_id\": \"a\", \"best_val_acc\": 0.5}]", "--candidates[0].model_source = (missing)")]
    [InlineData("[{\"run_id\": \"a\", \"best_val_acc\": \"high\", \"model_source\": \"s\"}]", "--candidates[0].best_val_acc = \"high\": must be a number in [0, 1]")]
    [InlineData("[{\"run_id\": \"a\", \"best_val_acc\": 1.5, \"model_source\": \"s\"}]", "--candidates[0].best_val_acc = 1.5")]
    public void A_bad_candidate_list_is_an_error_naming_the_item_and_value(string json, string message)
    {
        Should.Throw<DryWetException>(() => SweepCandidate.ParseList(json)).Message.ShouldContain(message);
    }

    [Fact]
    public void The_best_is_the_highest_validation_accuracy_and_a_tie_goes_to_the_first_listed()
    {
        SweepSelection.Best([Candidate("a", 0.7), Candidate("b", 0.9), Candidate("c", 0.8)]).RunId.ShouldBe("b");
        SweepSelection.Best([Candidate("a", 0.9), Candidate("b", 0.9), Candidate("c", 0.8)]).RunId.ShouldBe("a");
        SweepSelection.Best([Candidate("only", 0.5)]).RunId.ShouldBe("only");
    }
}
