using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Promotion;

namespace DryWet.TrainingWorker.Training;

/// <summary>Input of one <c>train</c> run.</summary>
/// <param name="Data">A zip, a folder (zips at its root and/or class folders), <c>s3://bucket/</c> (a whole data prefix) or <c>s3://bucket/key</c> of a zip.</param>
/// <param name="OutputDirectory">Where the model package is written (replaced atomically) once the run has succeeded; a folder
/// there that is neither empty nor a model package is refused unless <paramref name="ReplaceAnyOutput"/>.</param>
/// <param name="Register">Register the logged model; <paramref name="Promotion"/> says whether the gate may promote it.</param>
/// <param name="DataSource">Where the data came from when <paramref name="Data"/> is a local copy (tag dataset.source), e.g. the watched s3:// object.</param>
/// <param name="WorkDirectory">Scratch folder (download, extraction, ONNX export, reports), deleted afterwards. Null = a new temp folder.</param>
/// <param name="DatasetVersion">Train on exactly this snapshot of <paramref name="Data"/> (<c>train --dataset</c>); refused when an object changed.</param>
/// <param name="ReplaceAnyOutput">Replace <paramref name="OutputDirectory"/> whatever it holds (<c>train --force</c>).</param>
public sealed record TrainingRequest(DryWetConfig Config, string Data, string OutputDirectory, bool Register = false,
    string? WorkDirectory = null, ZipLimits? ZipLimits = null, string? RunName = null,
    PromotionPolicy Promotion = PromotionPolicy.Auto, string? DataSource = null, bool ReplaceAnyOutput = false, string? DatasetVersion = null);
