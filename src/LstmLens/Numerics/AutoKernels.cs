// The "auto" kernel set: every matrix product runs at whichever vector width the hardware accelerates
// (128, 256 or 512 bits) was fastest for that product's shape on this machine. The first product of an
// unknown shape (transposes, m, n, k, prepared or not, element type, thread count) is a short
// calibration: each width computes it on the real operands into scratch, in alternating rounds, and the
// fastest round decides. Choices are cached in a file per machine and library version, so later runs
// skip the calibration. Every width gives the same bits, so the choice changes speed only: results are
// bit-identical to `simd`'s whatever the calibration found, on any thread count, and before and after
// the cache fills.
// OpenBLAS is not a candidate: it rounds differently, so a timing-dependent mix would make a run's
// weights depend on the machine's load; and at 2 threads its idle threads spin after a threaded call and
// fight the worker team for the cores (measured on synthetic: a per-product mix at half the speed of
// either set alone). Name `--kernels openblas` to use it. Element-wise kernels are the simd set's.
// Not adaptive: a choice is never revisited.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>Kernels whose matrix products run at a vector width chosen per shape by measurement.</summary>
public sealed unsafe class AutoKernels<T> : SimdKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Each candidate runs at least this many rounds, and more while a round is short.</summary>
    private const int MinimumRounds = 2, MaximumRounds = 5;

    /// <summary>Rounds continue while all candidates together have run for less than this (seconds).</summary>
    private const double CalibrationSeconds = 0.02;

    private readonly IReadOnlyList<Kernels<T>> _candidates;
    private readonly KernelChoiceCache _cache;
    private readonly ConcurrentDictionary<Shape, int> _choices = new();

    /// <summary>What a choice depends on: the transposes ('n', 't', or 'p' for a prepared B), sizes and thread count.</summary>
    private readonly record struct Shape(char OpA, char OpB, int M, int N, int K, int Threads)
    {
        public override string ToString() => $"{typeof(T).Name.ToLowerInvariant()} {OpA}{OpB} m{M} n{N} k{K} threads{Threads}";
    }

    internal AutoKernels(IReadOnlyList<Kernels<T>> candidates, KernelChoiceCache cache) : base(0, "auto")
    {
        _candidates = candidates;
        _cache = cache;
    }

    /// <summary>The candidates' names, in the order calibration tries them.</summary>
    public IReadOnlyList<string> Candidates => _candidates.Select(c => c.Name).ToList();

    /// <summary>The choices made or loaded so far in this process: shape key → candidate name.</summary>
    public IReadOnlyDictionary<string, string> Choices => _choices.ToDictionary(p => p.Key.ToString(), p => _candidates[p.Value].Name);

    /// <inheritdoc/>
    public override void Gemm(bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        int m, int n, int k, T alpha, T beta, Span<T> c, int ldc)
    {
        CheckGemmArguments(transA, transB, a.Length, lda, b.Length, ldb, m, n, k, c.Length, ldc);
        if (m == 0 || n == 0 || k == 0)
        {
            base.Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
            return;
        }
        var key = new Shape(transA ? 't' : 'n', transB ? 't' : 'n', m, n, k, Compute.Threads);
        if (!_choices.TryGetValue(key, out int choice)) choice = Choose(key, transA, transB, a, lda, b, ldb, alpha, beta, c, ldc);
        _candidates[choice].Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
    }

    /// <summary>The first product of a shape: calibration on its operands (a method of its own, so that the closure is allocated only here).</summary>
    private unsafe int Choose(Shape key, bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T alpha, T beta, Span<T> c, int ldc)
    {
        fixed (T* pa = a)
        fixed (T* pb = b)
        {
            (nint addressA, int lengthA, nint addressB, int lengthB) = ((nint)pa, a.Length, (nint)pb, b.Length);
            return Calibrate(key, c, beta, (candidate, scratch) => _candidates[candidate].Gemm(transA, transB,
                new ReadOnlySpan<T>((T*)addressA, lengthA), lda, new ReadOnlySpan<T>((T*)addressB, lengthB), ldb, key.M, key.N, key.K, alpha, beta, scratch, ldc));
        }
    }

    /// <inheritdoc/>
    /// <remarks>Prepares the operand for every candidate (each keeps its own layout), so any choice can use it.</remarks>
    public override void Prepare(bool transB, ReadOnlySpan<T> b, int ldb, int k, int n, PreparedOperand<T> prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        prepared.Reserve(0, k, n, transB, packedBits: 0);
        for (int i = 0; i < _candidates.Count; i++) _candidates[i].Prepare(transB, b, ldb, k, n, prepared.Companion(i));
    }

    /// <inheritdoc/>
    public override void Gemm(bool transA, ReadOnlySpan<T> a, int lda, PreparedOperand<T> b, int m, T alpha, T beta, Span<T> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!b.HasCompanions) throw new ArgumentException("operand was prepared by another kernel set", nameof(b));
        if (m == 0 || b.N == 0 || b.K == 0)
        {
            _candidates[0].Gemm(transA, a, lda, b.Companion(0), m, alpha, beta, c, ldc);
            return;
        }
        var key = new Shape(transA ? 't' : 'n', 'p', m, b.N, b.K, Compute.Threads);
        if (!_choices.TryGetValue(key, out int choice)) choice = Choose(key, transA, a, lda, b, alpha, beta, c, ldc);
        _candidates[choice].Gemm(transA, a, lda, b.Companion(choice), m, alpha, beta, c, ldc);
    }

    /// <summary>The first product of a shape with a prepared B: calibration on its operands.</summary>
    private unsafe int Choose(Shape key, bool transA, ReadOnlySpan<T> a, int lda, PreparedOperand<T> b, T alpha, T beta, Span<T> c, int ldc)
    {
        fixed (T* pa = a)
        {
            (nint addressA, int lengthA) = ((nint)pa, a.Length);
            return Calibrate(key, c, beta, (candidate, scratch) =>
                _candidates[candidate].Gemm(transA, new ReadOnlySpan<T>((T*)addressA, lengthA), lda, b.Companion(candidate), key.M, alpha, beta, scratch, ldc));
        }
    }

    /// <summary>
    /// The cached choice for <paramref name="shape"/>, or the fastest eligible candidate by alternating timed rounds
    /// (then cached). <paramref name="run"/> computes the product with candidate i into a scratch C that
    /// holds <paramref name="c"/>'s values (read when beta is non-zero), so calibration leaves C alone.
    /// </summary>
    private int Calibrate(Shape shape, ReadOnlySpan<T> c, T beta, Action<int, T[]> run)
    {
        string key = shape.ToString();
        string? cached = _cache.Get(key);
        int index = -1;
        for (int i = 0; i < _candidates.Count; i++) if (_candidates[i].Name == cached) index = i;
        if (index < 0)
        {
            var scratch = GC.AllocateUninitializedArray<T>(c.Length);
            var best = Enumerable.Repeat(double.PositiveInfinity, _candidates.Count).ToArray();
            var total = Stopwatch.StartNew();
            for (int round = 0; round < MaximumRounds && (round < MinimumRounds || total.Elapsed.TotalSeconds < CalibrationSeconds); round++)
            {
                for (int i = 0; i < _candidates.Count; i++)
                {
                    if (!T.IsZero(beta)) c.CopyTo(scratch);
                    long start = Stopwatch.GetTimestamp();
                    run(i, scratch);
                    best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
            }
            index = Array.IndexOf(best, best.Min());
            _cache.Set(key, _candidates[index].Name);
        }
        _choices[shape] = index;
        return index;
    }
}
