using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>CUDA when TorchSharp's CUDA backend is present and a GPU is visible, else CPU (said once).</summary>
public static class TorchDevice
{
    public static Device Select(ITrainingProgress progress)
    {
        if (cuda.is_available())
        {
            progress.Message("Training on CUDA.");
            return CUDA;
        }

        progress.Message("Training on CPU (no CUDA device; build with -p:TorchBackend=cuda on a CUDA machine to use a GPU).");
        return CPU;
    }
}
