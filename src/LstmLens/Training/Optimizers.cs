// Optimisers over the flat parameter and gradient arrays of a ParameterStore: SGD (+ momentum),
// Adam and Adagrad with the PyTorch update rules, and gradient clipping by global norm. State is one
// allocation per role, aligned with the parameters, so checkpoints can save it as flat tensors.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LstmLens.Training;

/// <summary>An update rule over flat parameter and gradient spans.</summary>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Learning rate used by the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }

    /// <summary>Updates completed (restored from checkpoints together with <see cref="State"/>).</summary>
    public long Steps { get; set; }

    /// <summary>Named state tensors (e.g. "exp_avg"), flat and aligned with the parameters.</summary>
    public abstract IReadOnlyDictionary<string, T[]> State { get; }

    /// <summary>Applies one update to <paramref name="values"/> from <paramref name="gradients"/>.</summary>
    public abstract void Step(Span<T> values, ReadOnlySpan<T> gradients);

    /// <summary>Creates an optimiser by name: sgd, adam, adagrad.</summary>
    public static Optimizer<T> Create(string name, int length, double learningRate, double momentum = 0) => name switch
    {
        "sgd" => new Sgd<T>(length, learningRate, momentum),
        "adam" => new Adam<T>(length, learningRate),
        "adagrad" => new Adagrad<T>(length, learningRate),
        _ => throw new ArgumentException($"unknown optimizer '{name}' (expected sgd, adam or adagrad)", nameof(name)),
    };
}

/// <summary>SGD with optional momentum (PyTorch rule: v = μ v + g; θ -= lr v).</summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _velocity;

    /// <summary>Creates SGD for <paramref name="length"/> parameters.</summary>
    public Sgd(int length, double learningRate, double momentum = 0)
    {
        LearningRate = learningRate;
        Momentum = momentum;
        _velocity = momentum > 0 ? new T[length] : [];
    }

    /// <summary>Momentum μ (0 = plain SGD).</summary>
    public double Momentum { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, T[]> State => Momentum > 0 ? new Dictionary<string, T[]> { ["momentum_buffer"] = _velocity } : new Dictionary<string, T[]>();

    /// <inheritdoc/>
    public override void Step(Span<T> values, ReadOnlySpan<T> gradients)
    {
        T lr = T.CreateChecked(LearningRate), mu = T.CreateChecked(Momentum);
        if (Momentum > 0)
        {
            // PyTorch initialises the buffer with the first gradient.
            for (int i = 0; i < values.Length; i++)
            {
                _velocity[i] = Steps == 0 ? gradients[i] : mu * _velocity[i] + gradients[i];
                values[i] -= lr * _velocity[i];
            }
        }
        else
        {
            TensorPrimitives.MultiplyAdd(gradients, -lr, values, values);   // v + (-lr)·g: the same roundings as v - lr·g
        }
        Steps++;
    }
}

/// <summary>Adam (Kingma &amp; Ba) with bias correction, PyTorch defaults β = (0.9, 0.999), ε = 1e-8.</summary>
public sealed class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _m, _v;

    /// <summary>Creates Adam for <paramref name="length"/> parameters.</summary>
    public Adam(int length, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        LearningRate = learningRate;
        (Beta1, Beta2, Epsilon) = (beta1, beta2, epsilon);
        _m = new T[length];
        _v = new T[length];
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator guard.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, T[]> State => new Dictionary<string, T[]> { ["exp_avg"] = _m, ["exp_avg_sq"] = _v };

    /// <inheritdoc/>
    public override void Step(Span<T> values, ReadOnlySpan<T> gradients)
    {
        Steps++;
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2), one = T.One;
        T stepSize = T.CreateChecked(LearningRate / (1 - Math.Pow(Beta1, Steps)));
        T correction2 = T.CreateChecked(Math.Sqrt(1 - Math.Pow(Beta2, Steps)));
        T eps = T.CreateChecked(Epsilon);
        for (int i = 0; i < values.Length; i++)
        {
            T g = gradients[i];
            _m[i] = b1 * _m[i] + (one - b1) * g;
            _v[i] = b2 * _v[i] + (one - b2) * g * g;
            values[i] -= stepSize * _m[i] / (T.Sqrt(_v[i]) / correction2 + eps);
        }
    }
}

/// <summary>Adagrad (PyTorch rule: s += g²; θ -= lr g / (√s + ε), ε = 1e-10).</summary>
public sealed class Adagrad<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _sum;

    /// <summary>Creates Adagrad for <paramref name="length"/> parameters.</summary>
    public Adagrad(int length, double learningRate, double epsilon = 1e-10)
    {
        LearningRate = learningRate;
        Epsilon = epsilon;
        _sum = new T[length];
    }

    /// <summary>Denominator guard.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, T[]> State => new Dictionary<string, T[]> { ["sum"] = _sum };

    /// <inheritdoc/>
    public override void Step(Span<T> values, ReadOnlySpan<T> gradients)
    {
        T lr = T.CreateChecked(LearningRate), eps = T.CreateChecked(Epsilon);
        for (int i = 0; i < values.Length; i++)
        {
            T g = gradients[i];
            _sum[i] += g * g;
            values[i] -= lr * g / (T.Sqrt(_sum[i]) + eps);
        }
        Steps++;
    }
}

/// <summary>Gradient clipping.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> so that their global L2 norm is at most <paramref name="maxNorm"/>
    /// (PyTorch clip_grad_norm_: factor maxNorm / (norm + 1e-6) when norm exceeds maxNorm). Returns the norm before clipping.
    /// </summary>
    public static double ClipGlobalNorm<T>(Span<T> gradients, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double norm = Math.Sqrt(SumOfSquares<T>(gradients));
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1) TensorPrimitives.Multiply(gradients, T.CreateChecked(factor), gradients);
        return norm;
    }

    /// <summary>
    /// Σ x², in double: eight running sums (element i goes to sum i mod 8), then added in a fixed order, so the
    /// result is the same on every machine whatever its vector width.
    /// </summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector128<double> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        if (typeof(T) == typeof(float))
        {
            var x = MemoryMarshal.Cast<T, float>(values);
            for (; i <= x.Length - 8; i += 8)
            {
                Vector128<float> low = Vector128.Create(x.Slice(i, 4)), high = Vector128.Create(x.Slice(i + 4, 4));
                var (x0, x1, x2, x3) = (Vector128.WidenLower(low), Vector128.WidenUpper(low), Vector128.WidenLower(high), Vector128.WidenUpper(high));
                (s0, s1, s2, s3) = (s0 + x0 * x0, s1 + x1 * x1, s2 + x2 * x2, s3 + x3 * x3);
            }
        }
        else if (typeof(T) == typeof(double))
        {
            var x = MemoryMarshal.Cast<T, double>(values);
            for (; i <= x.Length - 8; i += 8)
            {
                var (x0, x1, x2, x3) = (Vector128.Create(x.Slice(i, 2)), Vector128.Create(x.Slice(i + 2, 2)), Vector128.Create(x.Slice(i + 4, 2)), Vector128.Create(x.Slice(i + 6, 2)));
                (s0, s1, s2, s3) = (s0 + x0 * x0, s1 + x1 * x1, s2 + x2 * x2, s3 + x3 * x3);
            }
        }
        double sum = Vector128.Sum((s0 + s1) + (s2 + s3));
        for (; i < values.Length; i++)
        {
            double x = double.CreateTruncating(values[i]);
            sum += x * x;
        }
        return sum;
    }
}
