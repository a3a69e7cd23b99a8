// Builds a recurrent layer or stack of any cell type from its sizes, so models, the CLI and the
// tests name a cell by CellType instead of constructing concrete classes.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Factory for recurrent layers.</summary>
public static class RecurrentLayers
{
    /// <summary>The cell names of the command line, in <see cref="CellType"/> order.</summary>
    public static IReadOnlyList<string> CellNames { get; } = ["lstm", "lstm1997", "gru", "rnn"];

    /// <summary>Parses a cell name as used on the command line: lstm, lstm1997, gru, rnn.</summary>
    public static CellType ParseCell(string name) => name.ToLowerInvariant() switch
    {
        "lstm" => CellType.Lstm,
        "lstm1997" => CellType.Lstm1997,
        "gru" => CellType.Gru,
        "rnn" => CellType.Rnn,
        _ => throw new ArgumentException($"unknown cell '{name}' (expected lstm, lstm1997, gru or rnn)", nameof(name)),
    };

    /// <summary>
    /// Creates layer <paramref name="index"/> of a stack, with parameters named <c>{prefix}weight_ih_l{index}</c> etc.
    /// <paramref name="options"/> configures an LSTM-1997 layer (null: <see cref="Lstm1997Options.Default"/>) and must be
    /// null for other cells.
    /// </summary>
    public static RecurrentLayer<T> Create<T>(CellType cell, ParameterStore<T> store, string prefix, int index, int inputSize,
        int hiddenSize, Kernels<T>? kernels = null, Lstm1997Options? options = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (options is not null && cell != CellType.Lstm1997)
            throw new ArgumentException($"LSTM-1997 options given for a {cell} cell", nameof(options));
        return cell switch
        {
            CellType.Lstm => new Lstm<T>(store, prefix, index, inputSize, hiddenSize, kernels),
            CellType.Lstm1997 => new Lstm1997<T>(store, prefix, index, inputSize, hiddenSize, options, kernels),
            CellType.Gru => new Gru<T>(store, prefix, index, inputSize, hiddenSize, kernels),
            CellType.Rnn => new ElmanRnn<T>(store, prefix, index, inputSize, hiddenSize, kernels),
            _ => throw new ArgumentOutOfRangeException(nameof(cell)),
        };
    }

    /// <summary>
    /// Creates <paramref name="layers"/> layers of one cell type: the first takes <paramref name="inputSize"/> inputs.
    /// <paramref name="options"/> applies to every layer of an LSTM-1997 stack and must be null for other cells.
    /// </summary>
    public static RecurrentStack<T> CreateStack<T>(CellType cell, ParameterStore<T> store, string prefix, int layers, int inputSize,
        int hiddenSize, double dropout = 0, Rng? rng = null, Kernels<T>? kernels = null, Lstm1997Options? options = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new([.. Enumerable.Range(0, layers).Select(l => Create(cell, store, prefix, l, l == 0 ? inputSize : hiddenSize, hiddenSize, kernels, options))],
            dropout, rng);
}
