using DryWet.Core;

namespace DryWet.TrainingWorker.Model;

/// <summary>libtorch cannot load on this machine (an old libstdc++, missing natives): the environment, not the input, is wrong.</summary>
public sealed class TorchUnavailableException : DryWetException
{
    public TorchUnavailableException(string message) : base(message) { }
    public TorchUnavailableException(string message, Exception inner) : base(message, inner) { }
}
