namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// The MLflow server accepted a request but could not finish the work (a registration that ended FAILED_REGISTRATION
/// or never became READY): a failure of the server, not of the caller's input. Retrying later may succeed.
/// </summary>
public sealed class MlflowServerFailureException(string message) : DryWetException(message);
