// Inverted dropout: in training, each element is kept with probability 1 - p and scaled by 1/(1 - p);
// in evaluation it is the identity. The mask comes from the project's Rng, so runs are reproducible.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Inverted dropout over a flat span.</summary>
public sealed class Dropout<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _mask = []; // [n] 0 or 1/(1-p) from the last training forward pass
    private int _length;
    private bool _active;
    private bool _replayMask;  // training forward passes reuse _mask (finite-difference checks)

    /// <summary>Creates dropout with drop probability <paramref name="probability"/> in [0, 1).</summary>
    public Dropout(double probability, Rng rng)
    {
        if (probability is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), "dropout must be in [0, 1)");
        Probability = probability;
        Rng = rng;
    }

    /// <summary>Probability of dropping an element.</summary>
    public double Probability { get; }

    /// <summary>Generator of the masks.</summary>
    public Rng Rng { get; }

    /// <summary><c>y = x ⊙ mask</c> in training (fresh mask unless frozen), <c>y = x</c> otherwise; x and y may alias.</summary>
    public void Forward(ReadOnlySpan<T> x, Span<T> y, bool training)
    {
        _active = training && Probability > 0;
        if (_active && _replayMask && (x.Length != _length || _mask.Length < x.Length))
            throw new InvalidOperationException("a frozen dropout mask was replayed on input of another length");
        _length = x.Length;
        if (!_active)
        {
            x.CopyTo(y);
            return;
        }
        if (!_replayMask) DrawMask(x.Length);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * _mask[i];
    }

    /// <summary><c>dx = dy ⊙ mask</c> with the mask of the last forward pass; dy and dx may alias.</summary>
    public void Backward(ReadOnlySpan<T> dy, Span<T> dx)
    {
        if (dy.Length != _length) throw new ArgumentException("dropout backward length differs from forward", nameof(dy));
        if (!_active) dy.CopyTo(dx);
        else
            for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * _mask[i];
    }

    /// <summary>Makes training forward passes reuse the current mask, so finite differences see a fixed function.</summary>
    internal void FreezeMask() => _replayMask = true;

    /// <summary>Ends <see cref="FreezeMask"/>: each training forward pass draws a fresh mask.</summary>
    internal void ThawMask() => _replayMask = false;

    private void DrawMask(int length)
    {
        if (_mask.Length < length) _mask = new T[length];
        T keep = T.CreateChecked(1.0 / (1.0 - Probability));
        for (int i = 0; i < length; i++) _mask[i] = Rng.NextDouble() < Probability ? T.Zero : keep;
    }
}
