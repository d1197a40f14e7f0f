using DryWet.TrainingWorker.Training;

namespace DryWet.Tests.Training;

/// <summary>The pieces of the original's recipe that need no network: scheduler, early stopping, reports, weights.</summary>
public sealed class TrainingRecipeTests
{
    [Fact]
    public void Plateau_scheduler_in_max_mode_halves_the_rate_after_patience_epochs_without_improvement()
    {
        var scheduler = new PlateauScheduler("max", factor: 0.5, patience: 2, learningRate: 0.01);
        scheduler.Step(0.70).ShouldBeFalse();
        scheduler.Step(0.80).ShouldBeFalse();
        scheduler.Step(0.80).ShouldBeFalse();
        scheduler.Step(0.79).ShouldBeFalse();
        scheduler.Step(0.80).ShouldBeTrue("third epoch without improvement > patience 2");
        scheduler.LearningRate.ShouldBe(0.005);
        scheduler.Step(0.81).ShouldBeFalse();
        scheduler.LearningRate.ShouldBe(0.005);
    }

    [Fact]
    public void Plateau_scheduler_in_min_mode_watches_for_decrease()
    {
        var scheduler = new PlateauScheduler("min", 0.1, 0, 1.0);
        scheduler.Step(0.5).ShouldBeFalse();
        scheduler.Step(0.4).ShouldBeFalse();
        scheduler.Step(0.45).ShouldBeTrue();
        scheduler.LearningRate.ShouldBe(0.1, 1e-12);
    }

    [Fact]
    public void Early_stopping_needs_an_improvement_above_min_delta_within_patience()
    {
        var stopping = new EarlyStopping(patience: 2, minDelta: 0.01);
        stopping.Step(0.80).ShouldBeFalse();
        stopping.Step(0.805).ShouldBeFalse("not better by more than min_delta: 1 bad epoch");
        stopping.Step(0.90).ShouldBeFalse("improvement resets the counter");
        stopping.Step(0.90).ShouldBeFalse();
        stopping.Step(0.905).ShouldBeTrue();
    }

    [Fact]
    public void Class_weights_are_total_over_count()
    {
        FocalLoss.ClassWeights([30, 10]).ShouldBe([40f / 30, 4f]);
    }

    [Fact]
    public void Classification_report_matches_sklearn_numbers_and_layout()
    {
        // y_true = [0,0,0,1,1], y_pred = [0,1,0,1,1]: sklearn gives dry p=1.00 r=0.67 f1=0.80, wet p=0.67 r=1.00 f1=0.80.
        var report = new ClassificationReport(["dry", "wet"], [0, 0, 0, 1, 1], [0, 1, 0, 1, 1]);
        report.Precision(0).ShouldBe(1.0);
        report.Recall(0).ShouldBe(2.0 / 3, 1e-12);
        report.F1(0).ShouldBe(0.8, 1e-12);
        report.Precision(1).ShouldBe(2.0 / 3, 1e-12);
        report.Accuracy.ShouldBe(0.8);
        var text = report.ToText();
        text.ShouldContain("precision    recall  f1-score   support");
        text.ShouldContain("         dry    1.0000    0.6667    0.8000         3");
        text.ShouldContain("    accuracy                        0.8000         5");
        text.ShouldContain("   macro avg    0.8333    0.8333    0.8000         5");
        report.ConfusionMatrixText().ShouldContain("     dry       2       1");
        report.ConfusionMatrixText().ShouldContain("     wet       0       2");
    }
}
