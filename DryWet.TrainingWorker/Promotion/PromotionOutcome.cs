namespace DryWet.TrainingWorker.Promotion;

/// <summary>The gate's verdict, written as tag <c>drywet.promotion</c> in lower case.</summary>
public enum PromotionOutcome
{
    /// <summary>No champion existed: the challenger became the first production model.</summary>
    First,

    /// <summary>The challenger replaced the champion.</summary>
    Promoted,

    /// <summary>The champion stays; the challenger holds alias <c>challenger</c>.</summary>
    Rejected,
}
