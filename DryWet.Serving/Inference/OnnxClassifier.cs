using DryWet.Core;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace DryWet.Serving.Inference;

/// <summary>
/// One shared ONNX Runtime session of an image classifier with one float32 input [N, 3, H, W] and one float32 output
/// [N, classes], whatever the tensor names (read from the session metadata). Execution provider: CUDA when available
/// (ORT 1.31 needs CUDA 13 + cuDNN 9), else CPU, logged. Thread-safe: each caller brings its own <see cref="BatchBuffers"/>.
/// </summary>
internal sealed class OnnxClassifier : IDisposable
{
    private static int s_cudaFallbackLogged;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    private OnnxClassifier(InferenceSession session, string provider, string inputName, string outputName,
        int? fixedBatch, int? fixedHeight, int? fixedWidth, int classes)
    {
        _session = session;
        ExecutionProvider = provider;
        InputName = inputName;
        OutputName = outputName;
        FixedBatch = fixedBatch;
        FixedHeight = fixedHeight;
        FixedWidth = fixedWidth;
        Classes = classes;
    }

    public string ExecutionProvider { get; }
    public string InputName { get; }
    public string OutputName { get; }
    /// <summary>The batch size the graph requires, or null when the batch axis is dynamic.</summary>
    public int? FixedBatch { get; }
    public int? FixedHeight { get; }
    public int? FixedWidth { get; }
    public int Classes { get; }

    internal InferenceSession Session => _session;

    /// <summary>Loads and validates the graph's signature. Throws <see cref="DryWetException"/> saying what does not fit.</summary>
    public static OnnxClassifier Load(string onnxPath, ModelOptions options, ILogger logger)
    {
        var (session, provider) = CreateSession(onnxPath, options, logger);
        try
        {
            if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
            {
                throw new DryWetException(
                    $"{onnxPath}: expected one input and one output, found inputs [{string.Join(", ", session.InputMetadata.Keys)}] and outputs [{string.Join(", ", session.OutputMetadata.Keys)}].");
            }

            var (inputName, input) = session.InputMetadata.First();
            var (outputName, output) = session.OutputMetadata.First();
            if (!input.IsTensor || input.ElementDataType != TensorElementType.Float || input.Dimensions.Length != 4
                || (input.Dimensions[1] != 3 && input.Dimensions[1] > 0))
            {
                throw new DryWetException(
                    $"{onnxPath}: input '{inputName}' is {Describe(input)}; an image classifier with float32 [N, 3, H, W] is expected.");
            }

            if (!output.IsTensor || output.ElementDataType != TensorElementType.Float || output.Dimensions.Length != 2 || output.Dimensions[1] == 0)
            {
                throw new DryWetException(
                    $"{onnxPath}: output '{outputName}' is {Describe(output)}; float32 [N, classes] is expected.");
            }

            int? Fixed(int d) => d > 0 ? d : null;
            var classes = output.Dimensions[1] > 0 ? output.Dimensions[1] : -1;
            return new OnnxClassifier(session, provider, inputName, outputName,
                Fixed(input.Dimensions[0]), Fixed(input.Dimensions[2]), Fixed(input.Dimensions[3]), classes);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static (InferenceSession, string) CreateSession(string onnxPath, ModelOptions options, ILogger logger)
    {
        var provider = options.ExecutionProvider.Trim().ToLowerInvariant();
        if (provider is not ("auto" or "cuda" or "cpu"))
        {
            throw new DryWetException($"Model:ExecutionProvider = '{options.ExecutionProvider}' is not valid: use auto, cuda or cpu.");
        }

        // After CUDA failed once in "auto" mode, later loads go straight to CPU (no repeated native error spam).
        if (provider == "cuda" || (provider == "auto" && Volatile.Read(ref s_cudaFallbackLogged) == 0))
        {
            // ONNX Runtime prints its own red ERROR line when the CUDA provider cannot load; in "auto" mode that is an
            // expected outcome that the warning below explains, so its native logger is quietened for the probe.
            var environment = OrtEnv.Instance();
            var logLevel = environment.EnvLogLevel;
            try
            {
                if (provider == "auto")
                {
                    environment.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
                }

                using var cudaOptions = BaseOptions(options);
                cudaOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                return (new InferenceSession(onnxPath, cudaOptions), "CUDAExecutionProvider");
            }
            catch (Exception ex) when (provider == "auto" && ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                if (Interlocked.Exchange(ref s_cudaFallbackLogged, 1) == 0)
                {
                    logger.LogWarning("CUDA execution provider unavailable, running on CPU ({Reason}). ONNX Runtime 1.31 needs CUDA 13 and cuDNN 9.",
                        ex.Message.Split('\n')[0]);
                }
            }
            catch (Exception ex) when (provider == "cuda")
            {
                throw new DryWetException(
                    $"Model:ExecutionProvider = cuda but CUDA cannot be used: {ex.Message.Split('\n')[0]}. Install CUDA 13 + cuDNN 9 or set it to auto/cpu.");
            }
            finally
            {
                environment.EnvLogLevel = logLevel;
            }
        }

        try
        {
            using var cpuOptions = BaseOptions(options);
            return (new InferenceSession(onnxPath, cpuOptions), "CPUExecutionProvider");
        }
        catch (OnnxRuntimeException ex)
        {
            throw new DryWetException($"{onnxPath} is not a loadable ONNX model: {ex.Message.Split('\n')[0]}");
        }
    }

    private static SessionOptions BaseOptions(ModelOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (options.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (options.InterOpThreads > 0)
        {
            so.InterOpNumThreads = options.InterOpThreads;
        }

        if (!options.AllowSpinning)
        {
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return so;
    }

    private static string Describe(NodeMetadata m) =>
        m.IsTensor ? $"{m.ElementDataType} [{string.Join(", ", m.Dimensions.Select(d => d > 0 ? d.ToString() : "?"))}]" : m.OnnxValueType.ToString();

    /// <summary>Preallocated, pinned input/output buffers for batches of 1 … <paramref name="maxBatch"/> images of H × W.</summary>
    public BatchBuffers CreateBuffers(int maxBatch, int height, int width, int classes) =>
        new(this, FixedBatch ?? maxBatch, height, width, classes);

    /// <summary>
    /// Runs the first <paramref name="count"/> images in <paramref name="buffers"/>' input and writes class probabilities
    /// into its output (rows already probabilities — non-negative, summing to 1 ± 1e-3 — are kept; others get softmax).
    /// </summary>
    public void Run(BatchBuffers buffers, int count)
    {
        var (input, output) = buffers.ValuesFor(FixedBatch ?? count);
        _session.Run(_runOptions, [InputName], [input], [OutputName], [output]);
        ToProbabilities(buffers.Output.AsSpan(0, count * buffers.Classes), buffers.Classes);
    }

    internal static void ToProbabilities(Span<float> rows, int classes)
    {
        for (var start = 0; start < rows.Length; start += classes)
        {
            var row = rows.Slice(start, classes);
            double sum = 0;
            var nonNegative = true;
            var max = float.NegativeInfinity;
            foreach (var v in row)
            {
                sum += v;
                nonNegative &= v >= 0;
                max = Math.Max(max, v);
            }

            if (nonNegative && Math.Abs(sum - 1) <= 1e-3)
            {
                continue;
            }

            double total = 0;
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = MathF.Exp(row[i] - max);
                total += row[i];
            }

            for (var i = 0; i < row.Length; i++)
            {
                row[i] = (float)(row[i] / total);
            }
        }
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
