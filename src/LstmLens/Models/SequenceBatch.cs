// One batch as the model consumes it: inputs and targets as spans over the caller's buffers, so a
// training loop can refill the same arrays every step. Not a data loader.
using System.Numerics;

namespace LstmLens.Models;

/// <summary>
/// Inputs and targets of B sequences of T steps, time-major. Set <see cref="Tokens"/> or <see cref="Vectors"/>
/// according to the model's <see cref="InputKind"/>, and <see cref="TargetIds"/> or <see cref="TargetValues"/>
/// according to its <see cref="HeadKind"/> (leave the targets empty to compute logits only).
/// </summary>
public readonly ref struct SequenceBatch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A batch of <paramref name="batch"/> sequences of <paramref name="steps"/> steps.</summary>
    public SequenceBatch(int steps, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        Steps = steps;
        Batch = batch;
    }

    /// <summary>T, steps per sequence.</summary>
    public int Steps { get; }

    /// <summary>B, sequences.</summary>
    public int Batch { get; }

    /// <summary>Token ids [T, B] (embedding and one-hot input).</summary>
    public ReadOnlySpan<int> Tokens { get; init; }

    /// <summary>Input vectors [T, B, in] (vector input).</summary>
    public ReadOnlySpan<T> Vectors { get; init; }

    /// <summary>
    /// Class targets of softmax heads: [T, B] per step, [B] at the last step; a row whose target is
    /// <see cref="Layers.Losses.IgnoreIndex"/> is not scored.
    /// </summary>
    public ReadOnlySpan<int> TargetIds { get; init; }

    /// <summary>Real targets: [B, out] for the last-step squared error, [T, B, out] in [0, 1] for the per-step sigmoid head.</summary>
    public ReadOnlySpan<T> TargetValues { get; init; }

    /// <summary>
    /// [B] steps of each sequence, each in [1, T], for padded batches of unequal sequences; empty means every
    /// sequence has T steps. Last-step heads read step Lengths[b] − 1 of sequence b; per-step heads score no
    /// step at or beyond a sequence's length.
    /// </summary>
    public ReadOnlySpan<int> Lengths { get; init; }
}
