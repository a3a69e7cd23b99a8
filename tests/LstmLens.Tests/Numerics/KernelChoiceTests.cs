// The parameters of the fast kernels and how they are chosen: the matrix product at each vector width
// (bit-identical to each other, plain and prepared), the auto kernels' calibrated per-shape choice (the
// result is the chosen candidate's and simd's whatever it chose, the choice persists in the cache file, a
// damaged file counts as empty), the LSTM recurrence over batch parts (bit-identical to the whole batch), the named matrix
// operands, and the span checks every kernel set shares with TensorPrimitives. In the process-wide
// collection because they set Compute.Threads.
using System.Numerics;
using LstmLens.Layers;
using LstmLens.Numerics;
using Xunit;
using static LstmLens.Tests.Numerics.KernelSets;

namespace LstmLens.Tests.Numerics;

[Collection(ProcessWideComputeState.Name)]
public sealed class KernelChoiceTests : IDisposable
{
    private readonly int _threads = Compute.Threads;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"lstmlens-choices-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Compute.Threads = _threads;
        Lstm<float>.MinimumRowsPerPart = 4;
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static readonly (int M, int N, int K)[] OddShapes = [(1, 1, 1), (7, 13, 5), (13, 7, 17), (33, 65, 17), (20, 41, 400), (101, 31, 9), (120, 10, 37), (90, 5, 500)];

    [Fact]
    public void Every_vector_width_gives_the_same_bits_plain_and_prepared()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var widths = new[] { "simd128", "simd256", "simd512" }.Select(Compute.Create<T>).ToList();
            Compute.Threads = 2;
            foreach (var (m, n, k) in OddShapes)
            {
                foreach (bool transB in new[] { false, true })
                {
                    T[] a = Random<T>(m * k, 1), b = Random<T>(k * n, 2), c = Random<T>(m * n, 3);
                    T[]? first = null;
                    foreach (var kernels in widths)
                    {
                        T[] plain = (T[])c.Clone(), prepared = (T[])c.Clone();
                        var bView = transB ? MatrixView.Of<T>(b, n, k).T : MatrixView.Of<T>(b, k, n);
                        kernels.Gemm(T.One, MatrixView.Of<T>(a, m, k), bView, T.CreateChecked(0.5), MatrixView.Of(plain.AsSpan(), m, n));
                        var operand = new PreparedOperand<T>();
                        kernels.Prepare(transB, b, transB ? k : n, k, n, operand);
                        kernels.Gemm(MatrixView.Of<T>(a, m, k), operand, T.CreateChecked(0.5), MatrixView.Of(prepared.AsSpan(), m, n));
                        string context = $"{typeof(T).Name} {kernels.Name} m={m} n={n} k={k} transB={transB}";
                        AssertIdentical<T>(plain, prepared, $"{context}: prepared vs plain");
                        if (first is null) first = plain;
                        else AssertIdentical<T>(first, plain, $"{context} vs simd128");
                    }
                }
            }
        }
    }

    [Fact]
    public void Auto_computes_its_chosen_candidates_result_and_keeps_the_choice()
    {
        var candidates = new[] { "simd128", "simd256" }.Select(Compute.Create<float>).ToList();
        var auto = new AutoKernels<float>(candidates, new KernelChoiceCache(_directory));
        Compute.Threads = 1;
        const int m = 37, n = 29, k = 23;
        float[] a = Random<float>(m * k, 1), b = Random<float>(n * k, 2), c = Random<float>(m * n, 3);
        float[] result = (float[])c.Clone();
        auto.Gemm(1f, MatrixView.Of<float>(a, m, k), MatrixView.Of<float>(b, n, k).T, 1f, MatrixView.Of(result.AsSpan(), m, n));

        var (key, chosen) = Assert.Single(auto.Choices);
        Assert.Equal("single nt m37 n29 k23 threads1", key);
        float[] expected = (float[])c.Clone();
        candidates.Single(x => x.Name == chosen).Gemm(1f, MatrixView.Of<float>(a, m, k), MatrixView.Of<float>(b, n, k).T, 1f, MatrixView.Of(expected.AsSpan(), m, n));
        AssertIdentical<float>(expected, result, $"auto ({chosen})");

        // A new process on the same machine reads the choice instead of calibrating; a forced entry shows it is obeyed.
        var reopened = new KernelChoiceCache(_directory);
        Assert.Equal(chosen, reopened.Get(key));
        string other = chosen == "simd128" ? "simd256" : "simd128";
        reopened.Set(key, other);
        var again = new AutoKernels<float>(candidates, new KernelChoiceCache(_directory));
        again.Gemm(1f, MatrixView.Of<float>(a, m, k), MatrixView.Of<float>(b, n, k).T, 1f, MatrixView.Of(((float[])c.Clone()).AsSpan(), m, n));
        Assert.Equal(other, again.Choices[key]);
        using var file = System.Text.Json.JsonDocument.Parse(File.ReadAllText(reopened.FilePath));
        Assert.Equal(KernelChoiceCache.DescribeMachine(), file.RootElement.GetProperty("Machine").GetString());
        Assert.Equal(other, file.RootElement.GetProperty("Choices").GetProperty(key).GetString());
    }

    [Fact]
    public void Auto_gives_simds_bits_whatever_it_chooses()
    {
        Compute.Threads = 2;
        var simd = RunLstm(Compute.Create<float>("simd"));
        var cache = new KernelChoiceCache(_directory);
        var widths = SimdGemm<float>.Widths.Select(bits => (Kernels<float>)Compute.Create<float>($"simd{bits}")).ToList();
        var calibrated = new AutoKernels<float>(widths, cache);
        var first = RunLstm(calibrated);
        AssertIdentical<float>(simd.Output, first.Output, "hidden states, auto vs simd");
        AssertIdentical<float>(simd.Gradients, first.Gradients, "gradients, auto vs simd");
        // Every shape forced onto another width than calibration chose: still the same bits.
        foreach (var (key, chosen) in calibrated.Choices)
            cache.Set(key, widths[(widths.FindIndex(w => w.Name == chosen) + 1) % widths.Count].Name);
        var forced = new AutoKernels<float>(widths, new KernelChoiceCache(_directory));
        var second = RunLstm(forced);
        Assert.All(calibrated.Choices, choice => Assert.NotEqual(choice.Value, forced.Choices[choice.Key]));
        AssertIdentical<float>(simd.Gradients, second.Gradients, "gradients, auto with other choices vs simd");
    }

    [Fact]
    public void A_damaged_cache_file_counts_as_empty_and_is_rewritten()
    {
        var cache = new KernelChoiceCache(_directory);
        Directory.CreateDirectory(_directory);
        File.WriteAllText(cache.FilePath, "{ not json");
        var reopened = new KernelChoiceCache(_directory);
        Assert.Equal(0, reopened.Count);
        reopened.Set("single nn m1 n1 k1 threads1", "simd256");
        Assert.Equal("simd256", new KernelChoiceCache(_directory).Get("single nn m1 n1 k1 threads1"));
    }

    [Fact]
    public void Lstm_over_batch_parts_gives_the_whole_batchs_bits()
    {
        const int steps = 5, batch = 13, input = 7, hidden = 9;
        Compute.Threads = 2;
        var (output1, gradients1) = Run(int.MaxValue);
        var (output2, gradients2) = Run(1);
        AssertIdentical<float>(output1, output2, "hidden states, parts vs whole");
        AssertIdentical<float>(gradients1, gradients2, "gradients, parts vs whole");

        static (float[] Output, float[] Gradients) Run(int minimumRowsPerPart)
        {
            Lstm<float>.MinimumRowsPerPart = minimumRowsPerPart;
            return RunLstm(Compute.Create<float>("simd"), steps, batch, input, hidden);
        }
    }

    /// <summary>Forward and backward through a 2-layer LSTM on <paramref name="kernels"/>: hidden states, then all gradients and dX.</summary>
    private static (float[] Output, float[] Gradients) RunLstm(Kernels<float> kernels, int steps = 6, int batch = 23, int input = 37, int hidden = 40)
    {
        var store = new ParameterStore<float>();
        var stack = RecurrentLayers.CreateStack(CellType.Lstm, store, "rnn.", 2, input, hidden, kernels: kernels);
        var rng = new Rng(5);
        foreach (var layer in stack.Layers) layer.InitializeUniform(rng, 0.5);
        float[] x = Random<float>(steps * batch * input, 6), dOutput = Random<float>(steps * batch * hidden, 7);
        float[] output = new float[steps * batch * hidden], dInput = new float[x.Length];
        stack.Forward(x, steps, batch, [], output, []);
        store.ZeroGradients();
        stack.Backward(dOutput, [], dInput, []);
        return (output, [.. store.Gradients.ToArray(), .. dInput]);
    }

    [Fact]
    public void Matrix_operands_check_their_shapes_and_read_like_the_math()
    {
        var reference = Compute.Create<double>("reference");
        double[] x = Random<double>(3 * 4, 1), w = Random<double>(5 * 4, 2), y = new double[3 * 5], expected = new double[3 * 5];
        reference.Gemm(MatrixView.Of<double>(x, 3, 4), MatrixView.Of<double>(w, 5, 4).T, MatrixView.Of(y.AsSpan(), 3, 5));   // y = x Wᵀ
        reference.Gemm(false, true, x, 4, w, 4, 3, 5, 4, 1.0, 0.0, expected, 5);
        AssertIdentical<double>(expected, y, "operand form vs positional form");
        Assert.Throws<ArgumentException>(() => reference.Gemm(MatrixView.Of<double>(x, 3, 4), MatrixView.Of<double>(w, 5, 4), MatrixView.Of(y.AsSpan(), 3, 5)));
        Assert.Throws<ArgumentException>(() => MatrixView.Of<double>(x, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixView.Of<double>(x, 2, 4, stride: 3));
    }

    /// <summary>Every kernel set, the reference included, rejects what TensorPrimitives rejects: inputs of different lengths, a short destination.</summary>
    [Fact]
    public void Every_kernel_set_checks_span_lengths_as_TensorPrimitives_does()
    {
        foreach (string name in Compute.KernelSetNames.Where(Compute.IsAvailable))
        {
            var kernels = Compute.Create<float>(name);
            float[] five = new float[5], four = new float[4], six = new float[6];
            Assert.Throws<ArgumentException>(() => kernels.Multiply(five, four, five));
            Assert.Throws<ArgumentException>(() => kernels.Multiply(five, five, four));
            Assert.Throws<ArgumentException>(() => kernels.MultiplyAdd(five, six, five));
            Assert.Throws<ArgumentException>(() => kernels.MultiplyAdd(five, five, four, five));
            Assert.Throws<ArgumentException>(() => kernels.Add(five, four, six));
            Assert.Throws<ArgumentException>(() => kernels.Axpy(1f, five, four));
            Assert.Throws<ArgumentException>(() => kernels.Dot(five, six));
            Assert.Throws<ArgumentException>(() => kernels.Sigmoid(five, four));
            Assert.Throws<ArgumentException>(() => kernels.Tanh(five, four));
            Assert.Throws<ArgumentException>(() => kernels.SigmoidBackward(five, four, five));
            Assert.Throws<ArgumentException>(() => kernels.TanhBackward(five, five, four));
            Assert.Throws<ArgumentException>(() => kernels.AddToRows(five, 2, six));
            Assert.Throws<ArgumentException>(() => kernels.SumRows(six, 2, five));
            Assert.Throws<ArgumentException>(() => kernels.SoftmaxRows(six, 2, 3, six, new float[1]));
            kernels.Multiply(five, five, six);   // a longer destination is allowed, as in TensorPrimitives
        }
    }
}
