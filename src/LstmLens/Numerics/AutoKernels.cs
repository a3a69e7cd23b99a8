// The "auto" kernel set: every matrix product runs on whichever candidate — the simd product at each
// vector width the hardware accelerates, and OpenBLAS where it loads — was fastest for that product's
// shape on this machine. The first product of an unknown shape (transposes, m, n, k, prepared or not,
// element type, thread count) is a short calibration: each candidate computes it on the real operands
// into scratch, in alternating rounds, and the fastest round decides. Choices are cached in a file per
// machine and library version, so later runs skip the calibration and repeat the same choices; results
// are then bit-identical run to run, and across thread counts where the choices agree (each candidate
// alone is). Element-wise kernels are the simd set's. Not adaptive: a choice is never revisited.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>Kernels whose matrix products are routed per shape by measurement.</summary>
public sealed unsafe class AutoKernels<T> : SimdKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Each candidate runs at least this many rounds, and more while a round is short.</summary>
    private const int MinimumRounds = 2, MaximumRounds = 5;

    /// <summary>Rounds continue while all candidates together have run for less than this (seconds).</summary>
    private const double CalibrationSeconds = 0.02;

    private readonly IReadOnlyList<Kernels<T>> _candidates;
    private readonly KernelChoiceCache _cache;
    private readonly ConcurrentDictionary<string, int> _choices = new();

    internal AutoKernels(IReadOnlyList<Kernels<T>> candidates, KernelChoiceCache cache) : base(0, "auto")
    {
        _candidates = candidates;
        _cache = cache;
    }

    /// <summary>The candidates' names, in the order calibration tries them.</summary>
    public IReadOnlyList<string> Candidates => _candidates.Select(c => c.Name).ToList();

    /// <summary>The choices made or loaded so far in this process: shape key → candidate name.</summary>
    public IReadOnlyDictionary<string, string> Choices => _choices.ToDictionary(p => p.Key, p => _candidates[p.Value].Name);

    /// <inheritdoc/>
    public override unsafe void Gemm(bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        int m, int n, int k, T alpha, T beta, Span<T> c, int ldc)
    {
        CheckGemmArguments(transA, transB, a.Length, lda, b.Length, ldb, m, n, k, c.Length, ldc);
        if (m == 0 || n == 0 || k == 0)
        {
            base.Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
            return;
        }
        string key = Key(transA ? "t" : "n", transB ? "t" : "n", m, n, k);
        if (!_choices.TryGetValue(key, out int choice))
        {
            fixed (T* pa = a)
            fixed (T* pb = b)
            {
                (nint addressA, int lengthA, nint addressB, int lengthB) = ((nint)pa, a.Length, (nint)pb, b.Length);
                choice = Calibrate(key, c, beta, (candidate, scratch) => _candidates[candidate].Gemm(transA, transB,
                    new ReadOnlySpan<T>((T*)addressA, lengthA), lda, new ReadOnlySpan<T>((T*)addressB, lengthB), ldb, m, n, k, alpha, beta, scratch, ldc));
            }
        }
        _candidates[choice].Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
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
    public override unsafe void Gemm(bool transA, ReadOnlySpan<T> a, int lda, PreparedOperand<T> b, int m, T alpha, T beta, Span<T> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!b.HasCompanions) throw new ArgumentException("operand was prepared by another kernel set", nameof(b));
        if (m == 0 || b.N == 0 || b.K == 0)
        {
            _candidates[0].Gemm(transA, a, lda, b.Companion(0), m, alpha, beta, c, ldc);
            return;
        }
        string key = Key(transA ? "t" : "n", "p", m, b.N, b.K);
        if (!_choices.TryGetValue(key, out int choice))
        {
            fixed (T* pa = a)
            {
                (nint addressA, int lengthA) = ((nint)pa, a.Length);
                choice = Calibrate(key, c, beta, (candidate, scratch) =>
                    _candidates[candidate].Gemm(transA, new ReadOnlySpan<T>((T*)addressA, lengthA), lda, b.Companion(candidate), m, alpha, beta, scratch, ldc));
            }
        }
        _candidates[choice].Gemm(transA, a, lda, b.Companion(choice), m, alpha, beta, c, ldc);
    }

    private static string Key(string opA, string opB, int m, int n, int k) =>
        $"{typeof(T).Name.ToLowerInvariant()} {opA}{opB} m{m} n{n} k{k} threads{Compute.Threads}";

    /// <summary>
    /// The cached choice for <paramref name="key"/>, or the fastest candidate by alternating timed rounds
    /// (then cached). <paramref name="run"/> computes the product with candidate i into a scratch C that
    /// holds <paramref name="c"/>'s values (read when beta is non-zero), so calibration leaves C alone.
    /// </summary>
    private int Calibrate(string key, ReadOnlySpan<T> c, T beta, Action<int, T[]> run)
    {
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
        _choices[key] = index;
        return index;
    }
}
