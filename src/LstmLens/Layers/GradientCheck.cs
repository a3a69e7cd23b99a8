// Finite-difference gradient checking in double precision: central differences of a scalar loss
// against the analytic gradients the layers computed, reported per tensor as the largest relative
// error. Used by the tests and by `lstmlens gradcheck`. Not a training component.
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>A tensor whose analytic gradient is checked: <c>Values[Offset..Offset+Length]</c> with gradients aligned.</summary>
public readonly record struct CheckTarget(string Name, double[] Values, double[] Gradients, int Offset, int Length)
{
    /// <summary>Target for one parameter tensor.</summary>
    public static CheckTarget Of(Parameter<double> p) => new(p.Name, p.Store.Values, p.Store.Gradients, p.Offset, p.Length);
}

/// <summary>Outcome for one tensor.</summary>
public sealed record TensorCheck(string Name, int Checked, double MaxRelativeError, double MaxAbsoluteError);

/// <summary>Outcome of a gradient check.</summary>
public sealed record GradientCheckReport(IReadOnlyList<TensorCheck> Tensors)
{
    /// <summary>Largest relative error over all tensors.</summary>
    public double MaxRelativeError => Tensors.Count == 0 ? 0 : Tensors.Max(t => t.MaxRelativeError);
}

/// <summary>Central-difference gradient checks.</summary>
public static class GradientCheck
{
    /// <summary>
    /// Compares each element's analytic gradient a with the fourth-order central difference
    /// <c>n = [8(L(v+ε) - L(v-ε)) - (L(v+2ε) - L(v-2ε))] / 12ε</c>; the relative error is
    /// <c>|a - n| / max(|a|, |n|, floor)</c>, the floor keeping gradients that are zero up to rounding from
    /// reading as large relative errors.
    /// </summary>
    /// <remarks>
    /// The difference has truncation error O(ε⁴) and rounding error about u·|L|/ε (u = 1.1e-16). The
    /// two-point difference (L(v+ε) - L(v-ε)) / 2ε has truncation error O(ε²), which forces ε ≈ 1e-5 and
    /// a rounding error near 1e-10 for |L| ≈ 10: too coarse to check gradient elements of 1e-5 to 1e-6
    /// relative. With four points ε = 1e-3 keeps both errors near 1e-12.
    /// </remarks>
    /// <param name="targets">Tensors to check; their gradients must already hold the analytic values.</param>
    /// <param name="loss">Runs the forward pass on the current values and returns the loss.</param>
    /// <param name="epsilon">Step ε.</param>
    /// <param name="floor">Smallest denominator of the relative error.</param>
    /// <param name="maxPerTensor">Check at most this many elements per tensor (chosen at random, seeded).</param>
    public static GradientCheckReport Run(IEnumerable<CheckTarget> targets, Func<double> loss, double epsilon = 1e-3,
        double floor = 1e-6, int maxPerTensor = int.MaxValue)
    {
        var rng = new Rng(12345);
        var results = new List<TensorCheck>();
        foreach (var target in targets)
        {
            int[] indices = [.. Enumerable.Range(0, target.Length)];
            if (indices.Length > maxPerTensor)
            {
                rng.Shuffle(indices.AsSpan());
                indices = indices[..maxPerTensor];
            }
            double maxRel = 0, maxAbs = 0;
            foreach (int index in indices)
            {
                int k = target.Offset + index;
                double original = target.Values[k];
                double LossAt(double offset)
                {
                    target.Values[k] = original + offset;
                    return loss();
                }
                double near = LossAt(epsilon) - LossAt(-epsilon), far = LossAt(2 * epsilon) - LossAt(-2 * epsilon);
                target.Values[k] = original;
                double numeric = (8 * near - far) / (12 * epsilon);
                double analytic = target.Gradients[k];
                double abs = Math.Abs(analytic - numeric);
                double rel = abs / Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), floor);
                if (double.IsNaN(rel)) rel = double.PositiveInfinity;
                maxRel = Math.Max(maxRel, rel);
                maxAbs = Math.Max(maxAbs, abs);
            }
            results.Add(new TensorCheck(target.Name, indices.Length, maxRel, maxAbs));
        }
        return new GradientCheckReport(results);
    }
}

/// <summary>
/// The standard check of a recurrent stack (Karpathy's recipe): a small random stack in double precision,
/// loss <c>L = Σ output ⊙ R + Σ finalState ⊙ R'</c> with fixed random R, R'; every parameter tensor, the
/// input and the initial state are checked. With h-/c-detach the masks of the analytic pass are frozen
/// and the detached values held constant, so the finite differences see the same surrogate function.
/// </summary>
public static class RecurrentGradientCheck
{
    /// <summary>
    /// Runs the check; sizes are small enough to check every element in well under a second.
    /// <paramref name="options"/> configures LSTM-1997 layers (null for other cells); <paramref name="kernels"/>
    /// is the kernel set under test (default: the reference).
    /// </summary>
    public static GradientCheckReport Run(CellType cell, int layers = 1, double hDetach = 0, double cDetach = 0, ulong seed = 1,
        int inputSize = 3, int hiddenSize = 4, int steps = 6, int batch = 2, Lstm1997Options? options = null, Kernels<double>? kernels = null)
    {
        var rng = new Rng(seed);
        var store = new ParameterStore<double>();
        var stack = RecurrentLayers.CreateStack(cell, store, "rnn.", layers, inputSize, hiddenSize, kernels: kernels ?? new Kernels<double>(),
            options: options);
        foreach (var layer in stack.Layers)
        {
            layer.InitializeUniform(rng, 0.5);
            layer.HDetachProbability = hDetach;
            layer.CDetachProbability = cDetach;
            layer.DetachRng = rng.Split();
        }
        int outLength = steps * batch * hiddenSize, stateLength = stack.StateLength(batch);
        double[] input = Random(rng, steps * batch * inputSize), initial = Random(rng, stateLength);
        double[] outputWeights = Random(rng, outLength), stateWeights = Random(rng, stateLength);
        double[] output = new double[outLength], final = new double[stateLength];
        double[] dInput = new double[input.Length], dInitial = new double[stateLength];

        double Loss()
        {
            stack.Forward(input, steps, batch, initial, output, final);
            return Dot(output, outputWeights) + Dot(final, stateWeights);
        }

        stack.Training = true;
        store.ZeroGradients();
        Loss();
        stack.Backward(outputWeights, stateWeights, dInput, dInitial);
        stack.FreezeRandomDraws();
        try
        {
            var targets = store.Parameters.Select(CheckTarget.Of)
                .Append(new CheckTarget("input", input, dInput, 0, input.Length))
                .Append(new CheckTarget("initial_state", initial, dInitial, 0, initial.Length));
            return GradientCheck.Run(targets, Loss);
        }
        finally
        {
            stack.ThawRandomDraws();
        }
    }

    private static double[] Random(Rng rng, int n)
    {
        var values = new double[n];
        rng.FillUniform<double>(values, 1.0);
        return values;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
