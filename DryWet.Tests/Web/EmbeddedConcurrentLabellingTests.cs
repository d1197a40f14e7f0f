using DryWet.Core.Storage;
using DryWet.Web.Review;

namespace DryWet.Tests.Web;

/// <summary>Concurrent labelling on the embedded store: every reviewer's store is its own instance over one folder.</summary>
public sealed class EmbeddedConcurrentLabellingTests : ConcurrentLabellingTests
{
    private readonly string _root;

    public EmbeddedConcurrentLabellingTests()
    {
        _root = TempFolder("labelling-objects");
        Directory.CreateDirectory(Path.Combine(_root, PredictionLog.DataBucket));
        Directory.CreateDirectory(Path.Combine(_root, PredictionLog.FeedbackBucket));
    }

    protected override IObjectStore NewStore() => new EmbeddedObjectStore(_root);
}
