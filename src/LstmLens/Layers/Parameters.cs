// All trainable tensors of a model live in one allocation for values and one for gradients; each
// layer holds named views (PyTorch names, e.g. "rnn.weight_ih_l0"). Optimisers and clipping loop over
// the flat spans. Not an autograd tape: layers write their gradients themselves.
using System.Numerics;

namespace LstmLens.Layers;

/// <summary>A named view into a <see cref="ParameterStore{T}"/>.</summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal Parameter(ParameterStore<T> store, string name, int[] shape, int offset)
    {
        Store = store;
        Name = name;
        Shape = shape;
        Offset = offset;
        Length = shape.Aggregate(1, (a, b) => a * b);
    }

    /// <summary>The store this view belongs to.</summary>
    public ParameterStore<T> Store { get; }

    /// <summary>PyTorch-compatible tensor name.</summary>
    public string Name { get; }

    /// <summary>Row-major shape.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Offset into the store's flat arrays.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The values.</summary>
    public Span<T> Value => Store.Values.AsSpan(Offset, Length);

    /// <summary>The accumulated gradient (layers add into it; zero it with <see cref="ParameterStore{T}.ZeroGradients"/>).</summary>
    public Span<T> Gradient => Store.Gradients.AsSpan(Offset, Length);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// One flat allocation of parameter values and one of gradients, with named views. Parameters are
/// declared first (by layer constructors); the arrays are allocated on first access, after which no
/// more parameters may be declared.
/// </summary>
public sealed class ParameterStore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Parameter<T>> _parameters = [];
    private T[]? _values;
    private T[]? _gradients;
    private int _length;

    /// <summary>Declared parameters in declaration order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => _parameters;

    /// <summary>Total number of scalars.</summary>
    public int Length => _length;

    /// <summary>All values, flat.</summary>
    public T[] Values => _values ??= Allocate();

    /// <summary>All gradients, flat, aligned with <see cref="Values"/>.</summary>
    public T[] Gradients
    {
        get
        {
            _ = Values;
            return _gradients!;
        }
    }

    /// <summary>Declares a parameter tensor.</summary>
    public Parameter<T> Add(string name, params int[] shape)
    {
        if (_values is not null) throw new InvalidOperationException($"parameter '{name}' declared after the store was allocated");
        if (_parameters.Any(p => p.Name == name)) throw new ArgumentException($"duplicate parameter name '{name}'", nameof(name));
        var parameter = new Parameter<T>(this, name, shape, _length);
        _parameters.Add(parameter);
        _length += parameter.Length;
        return parameter;
    }

    /// <summary>Looks a parameter up by name.</summary>
    public Parameter<T> this[string name] =>
        _parameters.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"no parameter named '{name}'");

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Array.Clear(Gradients);

    private T[] Allocate()
    {
        _gradients = new T[_length];
        return new T[_length];
    }
}
