using DryWet.Core;
using DryWet.Core.Packaging;
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
    private readonly Lazy<RunOptions> _shrinkingRunOptions = new(() =>
    {
        var options = new RunOptions();
        // After this run, ONNX Runtime frees the arena's wholly unused regions (blocks grown by larger batches).
        options.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        return options;
    });

    private OnnxClassifier(string modelPath, InferenceSession session, string provider, string inputName, string outputName,
        int? fixedBatch, int? fixedHeight, int? fixedWidth, int classes, ModelOutputKind? output)
    {
        ModelPath = modelPath;
        Output = output;
        _session = session;
        ExecutionProvider = provider;
        InputName = inputName;
        OutputName = outputName;
        FixedBatch = fixedBatch;
        FixedHeight = fixedHeight;
        FixedWidth = fixedWidth;
        Classes = classes;
    }

    /// <summary>The ONNX file this session was created from.</summary>
    public string ModelPath { get; }
    public string ExecutionProvider { get; }
    public string InputName { get; }
    public string OutputName { get; }
    /// <summary>The batch size the graph requires, or null when the batch axis is dynamic.</summary>
    public int? FixedBatch { get; }
    public int? FixedHeight { get; }
    public int? FixedWidth { get; }
    public int Classes { get; }
    /// <summary>What the package says its output rows are; null (a foreign package) = judged row by row.</summary>
    public ModelOutputKind? Output { get; }

    /// <summary>
    /// The batch size buffers are made for: the graph's fixed batch, else the asked size clamped to 1…256 (the batch
    /// size itself is the <see cref="BatchPlan"/>'s, chosen by <see cref="BatchPlanner"/>).
    /// </summary>
    public int EffectiveBatchSize(int configuredMaxBatch) => FixedBatch ?? Math.Clamp(configuredMaxBatch, 1, BatchPlanner.MaxBatchLimit);

    internal InferenceSession Session => _session;

    /// <summary>Loads and validates the graph's signature. Throws <see cref="DryWetException"/> saying what does not fit.</summary>
    public static OnnxClassifier Load(string onnxPath, ModelOutputKind? outputKind, ModelOptions options, ILogger logger)
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
            return new OnnxClassifier(onnxPath, session, provider, inputName, outputName,
                Fixed(input.Dimensions[0]), Fixed(input.Dimensions[2]), Fixed(input.Dimensions[3]), classes, outputKind);
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

    private static readonly Lazy<bool> SharedCpuArena = new(() =>
    {
        // One arena for every session of the process: during a reload the new session reuses the blocks the old one
        // frees instead of growing its own arena next to it (two sessions' arenas were the reload peak). It grows by
        // what a run asks for (kSameAsRequested), not to the next power of two: the warm-up at load
        // (BatchTuner) sizes it for the chosen batch, and traffic of that batch size does not grow it further.
        using var memoryInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
        using var arena = new OrtArenaCfg(0, 1, -1, -1); // no cap, kSameAsRequested, default first chunk and fragmentation
        OrtEnv.Instance().CreateAndRegisterAllocator(memoryInfo, arena);
        return true;
    });

    private static SessionOptions BaseOptions(ModelOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            EnableCpuMemArena = options.CpuMemoryArena,
            EnableMemoryPattern = options.MemoryPattern,
        };
        if (options.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (options.InterOpThreads > 0)
        {
            so.InterOpNumThreads = options.InterOpThreads;
        }

        if (options.CpuMemoryArena && SharedCpuArena.Value)
        {
            so.AddSessionConfigEntry("session.use_env_allocators", "1");
        }

        if (!options.AllowSpinning)
        {
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return so;
    }

    private static string Describe(NodeMetadata m) =>
        m.IsTensor ? $"{m.ElementDataType} [{string.Join(", ", m.Dimensions.Select(d => d > 0 ? d.ToString() : "?"))}]" : m.OnnxValueType.ToString();

    /// <summary>Preallocated, pinned input/output buffers for batches of 1 … <see cref="EffectiveBatchSize"/> images of H × W.</summary>
    public BatchBuffers CreateBuffers(int maxBatch, int height, int width, int classes) =>
        new(this, EffectiveBatchSize(maxBatch), height, width, classes);

    /// <summary>
    /// Runs the first <paramref name="count"/> images in <paramref name="buffers"/>' input and writes class probabilities
    /// into its output: softmax of logits, probabilities as they are; a package that does not say is judged per row
    /// (non-negative and summing to 1 ± 1e-3 = probabilities).
    /// </summary>
    public void Run(BatchBuffers buffers, int count, bool shrinkArena = false)
    {
        var (input, output) = buffers.ValuesFor(FixedBatch ?? count);
        _session.Run(shrinkArena ? _shrinkingRunOptions.Value : _runOptions, [InputName], [input], [OutputName], [output]);
        if (Output != ModelOutputKind.Probabilities)
        {
            ToProbabilities(buffers.Output.AsSpan(0, count * buffers.Classes), buffers.Classes, guess: Output is null);
        }
    }

    internal static void ToProbabilities(Span<float> rows, int classes, bool guess)
    {
        for (var start = 0; start < rows.Length; start += classes)
        {
            var row = rows.Slice(start, classes);
            if (guess && LooksLikeProbabilities(row))
            {
                continue;
            }

            var max = float.NegativeInfinity;
            foreach (var v in row)
            {
                max = Math.Max(max, v);
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

    private static bool LooksLikeProbabilities(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (var v in row)
        {
            if (v < 0)
            {
                return false;
            }

            sum += v;
        }

        return Math.Abs(sum - 1) <= 1e-3;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        if (_shrinkingRunOptions.IsValueCreated)
        {
            _shrinkingRunOptions.Value.Dispose();
        }

        _session.Dispose();
    }
}
