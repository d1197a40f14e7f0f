using DryWet.Core;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Train/validation split that keeps each class's share, as sklearn's <c>train_test_split(stratify=labels)</c>:
/// per class, round(test_size × n) images go to validation (at least one, and at least one stays for training).
/// The same <c>random_state</c> gives the same split.
/// </summary>
public static class StratifiedSplit
{
    public static (IReadOnlyList<LabeledImage> Train, IReadOnlyList<LabeledImage> Validation) Split(
        IReadOnlyList<LabeledImage> images, IReadOnlyList<string> classes, double testSize, int randomState)
    {
        var random = new Random(randomState);
        var train = new List<LabeledImage>();
        var validation = new List<LabeledImage>();
        for (var label = 0; label < classes.Count; label++)
        {
            var members = images.Where(i => i.Label == label).ToArray();
            if (members.Length < 2)
            {
                throw new DryWetException($"Class '{classes[label]}' has {members.Length} image(s); a stratified train/validation split needs at least 2 per class.");
            }

            random.Shuffle(members);
            var valCount = Math.Clamp((int)Math.Round(testSize * members.Length, MidpointRounding.AwayFromZero), 1, members.Length - 1);
            validation.AddRange(members[..valCount]);
            train.AddRange(members[valCount..]);
        }

        // Interleave classes deterministically so an unshuffled pass is not sorted by class.
        var trainArray = train.ToArray();
        random.Shuffle(trainArray);
        return (trainArray, validation.OrderBy(i => i.Path, StringComparer.Ordinal).ToArray());
    }
}
