// A stack of recurrent layers (any cell types) with dropout between layers, like PyTorch's
// nn.LSTM(num_layers, dropout): dropout on every layer's output except the last. The stack's state is
// the concatenation of its layers' states. Not a model: embedding and heads live in Models/.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Recurrent layers run one after the other over [T, B, features] sequences.</summary>
public sealed class RecurrentStack<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RecurrentLayer<T>[] _layers;
    private readonly Dropout<T>[] _dropouts;  // between layer l and l+1
    private T[][] _outputs = [];              // per layer [T, B, H] (after dropout for all but the last)
    private T[] _gradA = [], _gradB = [];     // [T, B, max width] ping-pong gradient buffers

    /// <summary>Wraps <paramref name="layers"/>; <paramref name="dropout"/> applies between layers.</summary>
    public RecurrentStack(IReadOnlyList<RecurrentLayer<T>> layers, double dropout = 0, Rng? rng = null)
    {
        if (layers.Count == 0) throw new ArgumentException("a stack needs at least one layer", nameof(layers));
        for (int l = 1; l < layers.Count; l++)
        {
            if (layers[l].InputSize != layers[l - 1].HiddenSize)
                throw new ArgumentException($"layer {l} takes {layers[l].InputSize} inputs but layer {l - 1} gives {layers[l - 1].HiddenSize}", nameof(layers));
        }
        if (dropout > 0 && rng is null) throw new ArgumentNullException(nameof(rng), "dropout needs a generator");
        _layers = [.. layers];
        _dropouts = [.. Enumerable.Range(0, layers.Count - 1).Select(_ => new Dropout<T>(dropout, dropout > 0 ? rng!.Split() : new Rng(0)))];
    }

    /// <summary>The layers, bottom first.</summary>
    public IReadOnlyList<RecurrentLayer<T>> Layers => _layers;

    /// <summary>Every generator the stack draws from, in a fixed order (dropouts, then detach generators), for checkpoints.</summary>
    public IEnumerable<Rng> Generators =>
        _dropouts.Select(d => d.Rng).Concat(_layers.Select(l => l.DetachRng).OfType<Rng>());

    /// <summary>Features per input step.</summary>
    public int InputSize => _layers[0].InputSize;

    /// <summary>Units of the top layer.</summary>
    public int OutputSize => _layers[^1].HiddenSize;

    /// <summary>Length of the stack state for a batch: Σ_l S_l · B · H_l.</summary>
    public int StateLength(int batch)
    {
        int length = 0;
        foreach (var layer in _layers) length += layer.StateCount * batch * layer.HiddenSize;
        return length;
    }

    /// <summary>Training mode for every layer (detach draws) and the dropouts.</summary>
    public bool Training
    {
        get => _layers[0].Training;
        set
        {
            foreach (var layer in _layers) layer.Training = value;
        }
    }

    /// <summary>
    /// Runs every layer. <paramref name="input"/> [T, B, in]; <paramref name="initialState"/> [Σ S·B·H]
    /// (empty = zeros); writes <paramref name="output"/> [T, B, H_top] and <paramref name="finalState"/> (may be empty).
    /// </summary>
    public void Forward(ReadOnlySpan<T> input, int steps, int batch, ReadOnlySpan<T> initialState, Span<T> output, Span<T> finalState)
    {
        if (_outputs.Length != _layers.Length) _outputs = new T[_layers.Length][];
        int stateOffset = 0;
        ReadOnlySpan<T> x = input;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            int n = steps * batch * layer.HiddenSize, s = layer.StateCount * batch * layer.HiddenSize;
            if ((_outputs[l]?.Length ?? 0) < n) _outputs[l] = new T[n];
            var y = l == _layers.Length - 1 ? output : _outputs[l].AsSpan(0, n);
            layer.Forward(x, steps, batch, initialState.IsEmpty ? [] : initialState.Slice(stateOffset, s), y,
                finalState.IsEmpty ? [] : finalState.Slice(stateOffset, s));
            if (l < _layers.Length - 1) _dropouts[l].Forward(y, y, Training);
            x = y;
            stateOffset += s;
        }
    }

    /// <summary>
    /// Back-propagates <paramref name="dOutput"/> [T, B, H_top] and <paramref name="dFinalState"/> (empty = zero);
    /// overwrites <paramref name="dInput"/> [T, B, in] and <paramref name="dInitialState"/> (either may be empty)
    /// and adds parameter gradients.
    /// </summary>
    public void Backward(ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dFinalState, Span<T> dInput, Span<T> dInitialState)
    {
        int steps = _layers[0].Steps, batch = _layers[0].Batch;
        int width = 0;
        foreach (var layer in _layers) width = Math.Max(width, Math.Max(layer.InputSize, layer.HiddenSize) * steps * batch);
        if (_gradA.Length < width)
        {
            _gradA = new T[width];
            _gradB = new T[width];
        }
        int stateOffset = StateLength(batch);
        ReadOnlySpan<T> dy = dOutput;
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            var layer = _layers[l];
            int s = layer.StateCount * batch * layer.HiddenSize;
            stateOffset -= s;
            var dx = l == 0 ? dInput : ((_layers.Length - 1 - l) % 2 == 0 ? _gradA : _gradB).AsSpan(0, steps * batch * layer.InputSize);
            layer.Backward(dy, dFinalState.IsEmpty ? [] : dFinalState.Slice(stateOffset, s), dx,
                dInitialState.IsEmpty ? [] : dInitialState.Slice(stateOffset, s));
            if (l > 0) _dropouts[l - 1].Backward(dx, dx);
            dy = dx;
        }
    }

    /// <summary>
    /// Makes the last training forward pass's random draws a fixed function for finite differences: later forward
    /// passes reuse its dropout masks and detach masks (detached values held constant). Undo with <see cref="ThawRandomDraws"/>.
    /// </summary>
    internal void FreezeRandomDraws()
    {
        foreach (var layer in _layers) layer.FreezeDetachedPaths();
        foreach (var dropout in _dropouts) dropout.FreezeMask();
    }

    /// <summary>Ends <see cref="FreezeRandomDraws"/>.</summary>
    internal void ThawRandomDraws()
    {
        foreach (var layer in _layers) layer.ThawDetachedPaths();
        foreach (var dropout in _dropouts) dropout.ThawMask();
    }
}
