// Pixel-by-pixel image classification (sequential MNIST; h-detach paper §3.3): an image is read one
// pixel per step, row by row, as one feature scaled to [0, 1], and classified after the last pixel
// (last-step softmax). With a permutation seed the pixels are read in one fixed random order (permuted
// MNIST). Images come from IDX files (MNIST, Fashion-MNIST); nothing is downloaded.
using System.Numerics;
using LstmLens.Data;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Image classification as a sequence task: rows × columns steps (784 for 28 × 28), one feature per step
/// (pixel / 255), the label as the last-step class. <see cref="SequenceTask.Sample{T}"/> draws images
/// uniformly with replacement; <see cref="Fill{T}"/> fills a batch with chosen images (epochs, full test sets).
/// </summary>
/// <remarks>
/// The paper reports test accuracy, not a success threshold: a prediction is wrong unless the label's output
/// is strictly the largest, and the task counts as solved at <see cref="RequiredAccuracy"/> — by default the
/// accuracy the h-detach paper reports for its plain LSTM (98.6% pixel MNIST, 90.9% permuted).
/// </remarks>
public sealed class PixelSequenceTask : SequenceTask
{
    private readonly IdxArray _images, _labels;
    private readonly int[] _order; // [steps] pixel index read at each step

    /// <summary>Creates the task from image [N, rows, columns] and label [N] arrays.</summary>
    public PixelSequenceTask(IdxArray images, IdxArray labels, ulong? permutationSeed = null, int classes = 10, double? requiredAccuracy = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Dimensions.Length != 3) throw new InvalidDataException($"images must be [N, rows, columns]; got {images.Dimensions.Length} dimensions");
        if (labels.Dimensions.Length != 1) throw new InvalidDataException($"labels must be [N]; got {labels.Dimensions.Length} dimensions");
        if (images.Count != labels.Count) throw new InvalidDataException($"{images.Count} images but {labels.Count} labels");
        if (images.Count == 0 || images.ItemSize == 0) throw new InvalidDataException("no images");
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        int outside = Array.FindIndex(labels.Elements, label => label >= classes);
        if (outside >= 0) throw new InvalidDataException($"label {outside} is {labels.Elements[outside]}, outside 0–{classes - 1}");
        (_images, _labels, Classes, PermutationSeed) = (images, labels, classes, permutationSeed);
        _order = [.. Enumerable.Range(0, images.ItemSize)];
        if (permutationSeed is ulong seed) new Rng(seed).Shuffle(_order.AsSpan());
        RequiredAccuracy = requiredAccuracy ?? (permutationSeed is null ? 0.986 : 0.909);
        Criterion = new("the label's output is not strictly the largest", 1 - RequiredAccuracy);
    }

    /// <summary>Reads the images and labels from IDX files (gzip-compressed or not).</summary>
    public static PixelSequenceTask Load(string imagesPath, string labelsPath, ulong? permutationSeed = null) =>
        new(IdxFile.Read(imagesPath), IdxFile.Read(labelsPath), permutationSeed);

    /// <summary>Images available.</summary>
    public int Count => _images.Count;

    /// <summary>Label classes.</summary>
    public int Classes { get; }

    /// <summary>The seed of the fixed pixel permutation, or null for row-by-row order.</summary>
    public ulong? PermutationSeed { get; }

    /// <summary>[steps] the pixel (row-major index) read at each step.</summary>
    public ReadOnlySpan<int> PixelOrder => _order;

    /// <summary>Test accuracy at which the task counts as solved.</summary>
    public double RequiredAccuracy { get; }

    /// <summary>Label of image <paramref name="index"/>.</summary>
    public int Label(int index) => _labels.Elements[index];

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Vectors;

    /// <summary>One feature, the pixel intensity.</summary>
    public override int InputSize => 1;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.LastStepSoftmax;

    /// <inheritdoc/>
    public override int OutputSize => Classes;

    /// <inheritdoc/>
    public override int MinLength => _order.Length;

    /// <inheritdoc/>
    public override int? MaxLength => _order.Length;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; }

    /// <summary>Fills <paramref name="batch"/> with the images <paramref name="indices"/> (one per sequence, in order).</summary>
    public void Fill<T>(TaskBatch<T> batch, ReadOnlySpan<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(batch);
        if (indices.Length != batch.BatchSize) throw new ArgumentException($"{indices.Length} indices for a batch of {batch.BatchSize}", nameof(indices));
        batch.Reset();
        for (int b = 0; b < indices.Length; b++) Write(new SequenceWriter<T>(batch, b), indices[b]);
    }

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence) => Write(sequence, rng.NextInt(Count));

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence) =>
        TaskScore.Single(!IsStrictArgMax(sequence.Final, sequence.Class));

    private void Write<T>(SequenceWriter<T> sequence, int index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        var pixels = _images.Elements.AsSpan(index * _order.Length, _order.Length);
        for (int t = 0; t < _order.Length; t++) sequence.Vector(t, 0, pixels[_order[t]] / 255.0);
        sequence.Class(_labels.Elements[index]);
    }
}
