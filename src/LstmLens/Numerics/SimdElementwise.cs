// The element-wise vector code behind SimdKernels' activations (sigmoid, tanh), their derivatives and
// the fused LSTM cell kernels, at the vector width the caller names (128, 256 or 512 bits), the way
// SimdGemm takes it: the width is the lanes type, every operator and driver is written once over it.
// Each element's result comes from the same lane operations in the same order at every width (plain
// IEEE operations, no fused multiply-add, exp written here rather than the runtime's), and a last
// partial vector runs through the same code on a zero-padded copy, so a result depends neither on the
// width nor on the element's position: the widths agree bit for bit. Not a place for new operations:
// only what SimdKernels overrides.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmLens.Numerics;

/// <summary>Element-wise kernels on vectors of the width the caller names; spans are checked by the caller.</summary>
internal static unsafe class SimdElementwise<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>An element-wise operation <c>z = f(x, y)</c> on vectors; the driver <see cref="Map{TOperator}(int, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/> owns loops and tails.</summary>
    public interface IOperator
    {
        static abstract TV Invoke<TLanes, TV>(TV x, TV y) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct;
    }

    /// <summary>σ(x) (the second operand is ignored).</summary>
    public readonly struct SigmoidOperator : IOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TLanes, TV>(TV x, TV y) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct =>
            Sigmoid<TLanes, TV>(x);
    }

    /// <summary>tanh x (the second operand is ignored).</summary>
    public readonly struct TanhOperator : IOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TLanes, TV>(TV x, TV y) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct =>
            Tanh<TLanes, TV>(x);
    }

    /// <summary>Sigmoid derivative from y = σ(x) and dy: <c>dy · y · (1 - y)</c>, evaluated left to right as in the reference.</summary>
    public readonly struct SigmoidDerivative : IOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TLanes, TV>(TV y, TV dy) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct =>
            TLanes.Multiply(TLanes.Multiply(dy, y), TLanes.Subtract(TLanes.Broadcast(T.One), y));
    }

    /// <summary>Tanh derivative from y = tanh(x) and dy: <c>dy · (1 - y²)</c>, evaluated as in the reference.</summary>
    public readonly struct TanhDerivative : IOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TLanes, TV>(TV y, TV dy) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct =>
            TLanes.Multiply(dy, TLanes.Subtract(TLanes.Broadcast(T.One), TLanes.Multiply(y, y)));
    }

    /// <summary><c>z[i] = TOperator(x[i], y[i])</c> for i &lt; x.Length on vectors of <paramref name="bits"/>; z may alias x or y.</summary>
    public static void Map<TOperator>(int bits, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) where TOperator : struct, IOperator
    {
        fixed (T* px = x)
        fixed (T* py = y)
        fixed (T* pz = z)
        {
            if (bits == 128) Map<TOperator, Lanes128<T>, Vector128<T>>(px, py, pz, x.Length);
            else if (bits == 256) Map<TOperator, Lanes256<T>, Vector256<T>>(px, py, pz, x.Length);
            else Map<TOperator, Lanes512<T>, Vector512<T>>(px, py, pz, x.Length);
        }
    }

    /// <summary>
    /// The cell state part of <see cref="Kernels{T}.LstmCellForward"/> (n = c.Length units) on vectors of
    /// <paramref name="bits"/>, from the activated gates [4n]: c, tanhC and h [n].
    /// </summary>
    public static void LstmCellState(int bits, Span<T> z, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> h)
    {
        fixed (T* pz = z)
        fixed (T* pcPrev = cPrev)
        fixed (T* pc = c)
        fixed (T* ptanhC = tanhC)
        fixed (T* ph = h)
        {
            if (bits == 128) CellState<Lanes128<T>, Vector128<T>>(pz, pcPrev, c.Length, pc, ptanhC, ph);
            else if (bits == 256) CellState<Lanes256<T>, Vector256<T>>(pz, pcPrev, c.Length, pc, ptanhC, ph);
            else CellState<Lanes512<T>, Vector512<T>>(pz, pcPrev, c.Length, pc, ptanhC, ph);
        }
    }

    /// <summary>The LSTM cell backward of <see cref="Kernels{T}.LstmCellBackward"/> (n = dc.Length units) on vectors of <paramref name="bits"/>.</summary>
    public static void LstmCellBackward(int bits, ReadOnlySpan<T> gates, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> tanhC,
        ReadOnlySpan<T> dh, Span<T> dc, Span<T> dz, Span<T> dcPrev)
    {
        fixed (T* pgates = gates)
        fixed (T* pcPrev = cPrev)
        fixed (T* ptanhC = tanhC)
        fixed (T* pdh = dh)
        fixed (T* pdc = dc)
        fixed (T* pdz = dz)
        fixed (T* pdcPrev = dcPrev)
        {
            if (bits == 128) CellBackward<Lanes128<T>, Vector128<T>>(pgates, pcPrev, ptanhC, pdh, dc.Length, pdc, pdz, pdcPrev);
            else if (bits == 256) CellBackward<Lanes256<T>, Vector256<T>>(pgates, pcPrev, ptanhC, pdh, dc.Length, pdc, pdz, pdcPrev);
            else CellBackward<Lanes512<T>, Vector512<T>>(pgates, pcPrev, ptanhC, pdh, dc.Length, pdc, pdz, pdcPrev);
        }
    }

    private static void Map<TOperator, TLanes, TV>(T* x, T* y, T* z, int n)
        where TOperator : struct, IOperator where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        int w = TLanes.Count, i = 0;
        for (; i <= n - w; i += w) TLanes.Store(TOperator.Invoke<TLanes, TV>(TLanes.Load(x + i), TLanes.Load(y + i)), z + i);
        if (i == n) return;
        // The last partial vector: x, y and z padded to one vector each.
        T* tail = stackalloc T[3 * w];
        Span<T> padded = new(tail, 3 * w);
        padded.Clear();
        int m = n - i;
        new ReadOnlySpan<T>(x + i, m).CopyTo(padded);
        new ReadOnlySpan<T>(y + i, m).CopyTo(padded[w..]);
        Map<TOperator, TLanes, TV>(tail, tail + w, tail + 2 * w, w);
        padded.Slice(2 * w, m).CopyTo(new Span<T>(z + i, m));
    }

    /// <summary>
    /// c, tanhC, h [n] from the gates i, f, g, o (z [4n]) and cPrev [n]: one pass, every intermediate in
    /// registers, the operations of the reference composition.
    /// </summary>
    private static void CellState<TLanes, TV>(T* z, T* cPrev, int n, T* c, T* tanhC, T* h)
        where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        int w = TLanes.Count, j = 0;
        for (; j <= n - w; j += w) CellStateVector<TLanes, TV>(z + j, n, cPrev + j, c + j, tanhC + j, h + j);
        if (j == n) return;
        // The last partial vector: the four gate blocks and cPrev padded to a vector each, then c, tanhC, h.
        int m = n - j;
        T* tail = stackalloc T[8 * w];
        Span<T> padded = new(tail, 8 * w);
        padded.Clear();
        for (int gate = 0; gate < 4; gate++) new ReadOnlySpan<T>(z + gate * n + j, m).CopyTo(padded[(gate * w)..]);
        new ReadOnlySpan<T>(cPrev + j, m).CopyTo(padded[(4 * w)..]);
        CellStateVector<TLanes, TV>(tail, w, tail + 4 * w, tail + 5 * w, tail + 6 * w, tail + 7 * w);
        padded.Slice(5 * w, m).CopyTo(new Span<T>(c + j, m));
        padded.Slice(6 * w, m).CopyTo(new Span<T>(tanhC + j, m));
        padded.Slice(7 * w, m).CopyTo(new Span<T>(h + j, m));
    }

    /// <summary>One vector of units of <see cref="CellState"/> from the activated gates, <paramref name="gateStride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CellStateVector<TLanes, TV>(T* gates, int gateStride, T* cPrev, T* c, T* tanhC, T* h)
        where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        TV i = TLanes.Load(gates), f = TLanes.Load(gates + gateStride), g = TLanes.Load(gates + 2 * gateStride);
        TV cell = TLanes.Add(TLanes.Multiply(f, TLanes.Load(cPrev)), TLanes.Multiply(i, g));   // c = f ⊙ c_{t-1} + i ⊙ g
        TV tanhCell = Tanh<TLanes, TV>(cell);
        TLanes.Store(cell, c);
        TLanes.Store(tanhCell, tanhC);
        TLanes.Store(TLanes.Multiply(TLanes.Load(gates + 3 * gateStride), tanhCell), h);          // h = o ⊙ tanh(c)
    }

    /// <summary>
    /// Cell backward on n units: gates [4n], cPrev, tanhC, dh [n] in; dc [n] updated; dz [4n] and dcPrev [n]
    /// written. One pass, every intermediate in registers, the same operations as the reference composition.
    /// </summary>
    private static void CellBackward<TLanes, TV>(T* gates, T* cPrev, T* tanhC, T* dh, int n, T* dc, T* dz, T* dcPrev)
        where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        int w = TLanes.Count, j = 0;
        for (; j <= n - w; j += w) CellBackwardVector<TLanes, TV>(gates + j, n, cPrev + j, tanhC + j, dh + j, dc + j, dz + j, dcPrev + j);
        if (j == n) return;
        // The last partial vector, padded: gates [4 vectors], cPrev, tanhC, dh, dc, dz [4 vectors], dcPrev.
        int m = n - j;
        T* tail = stackalloc T[13 * w];
        Span<T> padded = new(tail, 13 * w);
        padded.Clear();
        for (int gate = 0; gate < 4; gate++) new ReadOnlySpan<T>(gates + gate * n + j, m).CopyTo(padded[(gate * w)..]);
        new ReadOnlySpan<T>(cPrev + j, m).CopyTo(padded[(4 * w)..]);
        new ReadOnlySpan<T>(tanhC + j, m).CopyTo(padded[(5 * w)..]);
        new ReadOnlySpan<T>(dh + j, m).CopyTo(padded[(6 * w)..]);
        new ReadOnlySpan<T>(dc + j, m).CopyTo(padded[(7 * w)..]);
        CellBackwardVector<TLanes, TV>(tail, w, tail + 4 * w, tail + 5 * w, tail + 6 * w, tail + 7 * w, tail + 8 * w, tail + 12 * w);
        padded.Slice(7 * w, m).CopyTo(new Span<T>(dc + j, m));
        for (int gate = 0; gate < 4; gate++) padded.Slice((8 + gate) * w, m).CopyTo(new Span<T>(dz + gate * n + j, m));
        padded.Slice(12 * w, m).CopyTo(new Span<T>(dcPrev + j, m));
    }

    /// <summary>One vector of units of <see cref="CellBackward"/>; the gate blocks of gates and dz are <paramref name="gateStride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CellBackwardVector<TLanes, TV>(T* gates, int gateStride, T* cPrev, T* tanhC, T* dh, T* dc, T* dz, T* dcPrev)
        where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        TV i = TLanes.Load(gates);
        TV f = TLanes.Load(gates + gateStride);
        TV g = TLanes.Load(gates + 2 * gateStride);
        TV o = TLanes.Load(gates + 3 * gateStride);
        TV tanhCell = TLanes.Load(tanhC);
        TV dhv = TLanes.Load(dh);
        // h = o ⊙ tanh(c): dc += dh ⊙ o ⊙ (1 - tanh² c), do = dh ⊙ tanh(c).
        TV dcv = TLanes.Add(TLanes.Load(dc), TanhDerivative.Invoke<TLanes, TV>(tanhCell, TLanes.Multiply(dhv, o)));
        TLanes.Store(dcv, dc);
        // c = f ⊙ c_{t-1} + i ⊙ g, then back through each gate's activation.
        TLanes.Store(SigmoidDerivative.Invoke<TLanes, TV>(i, TLanes.Multiply(dcv, g)), dz);
        TLanes.Store(SigmoidDerivative.Invoke<TLanes, TV>(f, TLanes.Multiply(dcv, TLanes.Load(cPrev))), dz + gateStride);
        TLanes.Store(TanhDerivative.Invoke<TLanes, TV>(g, TLanes.Multiply(dcv, i)), dz + 2 * gateStride);
        TLanes.Store(SigmoidDerivative.Invoke<TLanes, TV>(o, TLanes.Multiply(dhv, tanhCell)), dz + 3 * gateStride);
        TLanes.Store(TLanes.Multiply(dcv, f), dcPrev);
    }

    /// <summary><c>σ(x) = 1 / (1 + e^{-x})</c>, as the reference evaluates it, with <see cref="Exp"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Sigmoid<TLanes, TV>(TV x) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        TV one = TLanes.Broadcast(T.One);
        return TLanes.Divide(one, TLanes.Add(one, Exp<TLanes, TV>(TLanes.Negate(x))));
    }

    /// <summary>
    /// tanh x. For |x| ≥ 0.625, <c>sign(x) · (1 - 2 / (e^{2|x|} + 1))</c>; below, where that form loses
    /// relative precision (TensorPrimitives.Tanh is 7 ulp off at 0.09 and non-zero at 0), <c>x + x³ · Q(x²)</c>
    /// with Q a degree-5 (float) or degree-11 (double) Chebyshev fit of (tanh(√u)/√u - 1)/u on [0, 0.625²],
    /// fitted for this file with mpmath.chebyfit; fit error 1.6e-9 and 3.9e-18, below half an ulp of the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Tanh<TLanes, TV>(TV x) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        // tanh |x| on the magnitude, then x's sign bit OR-ed back (keeps tanh(-0) = -0 and NaN).
        TV one = TLanes.Broadcast(T.One);
        TV magnitude = TLanes.Abs(x);
        TV large = TLanes.Subtract(one, TLanes.Divide(TLanes.Broadcast(T.CreateTruncating(2)), TLanes.Add(Exp<TLanes, TV>(TLanes.Add(magnitude, magnitude)), one)));
        TV u = TLanes.Multiply(x, x);
        TV small = TLanes.Add(magnitude, TLanes.Multiply(TLanes.Multiply(magnitude, u), SmallArgumentPolynomial<TLanes, TV>(u)));
        TV result = TLanes.ConditionalSelect(TLanes.LessThan(magnitude, TLanes.Broadcast(T.CreateTruncating(0.625))), small, large);
        return TLanes.Or(result, TLanes.And(x, TLanes.Broadcast(T.NegativeZero)));
    }

    /// <summary>Q(u) of <see cref="Tanh"/> by Horner's rule, coefficients from the highest degree down.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SmallArgumentPolynomial<TLanes, TV>(TV u) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TV Step(TV sum, TV u, double coefficient) => TLanes.Add(TLanes.Multiply(sum, u), TLanes.Broadcast(T.CreateTruncating(coefficient)));

        if (typeof(T) == typeof(float))
        {
            var q = TLanes.Broadcast(T.CreateTruncating(0.0022927448161781423));
            q = Step(q, u, -0.0083439455158391520);
            q = Step(q, u, 0.021768918651028210);
            q = Step(q, u, -0.053959259577204543);
            q = Step(q, u, 0.13333303556915742);
            return Step(q, u, -0.33333333172140362);
        }
        var d = TLanes.Broadcast(T.CreateTruncating(6.48516348279311315e-6));
        d = Step(d, u, -0.000031201101425797400);
        d = Step(d, u, 0.000092571161295567683);
        d = Step(d, u, -0.00023759064960555620);
        d = Step(d, u, 0.00058966065777570433);
        d = Step(d, u, -0.0014557754120478055);
        d = Step(d, u, 0.0035921217511549623);
        d = Step(d, u, -0.0088632351032408779);
        d = Step(d, u, 0.021869488519008306);
        d = Step(d, u, -0.053968253967896992);
        d = Step(d, u, 0.13333333333333041602);
        return Step(d, u, -0.33333333333333332938);
    }

    /// <summary>
    /// e^x for sigmoid and tanh: <see cref="ExpSingle"/> or <see cref="ExpDouble"/>. Not the runtime's vector
    /// exp: its double results differ between Vector128 and Vector256 (measured, .NET 10 on AVX-512), and its
    /// float version computes in double at several times ExpSingle's cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp<TLanes, TV>(TV x) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct =>
        typeof(T) == typeof(float) ? ExpSingle<TLanes, TV>(x) : ExpDouble<TLanes, TV>(x);

    /// <summary>
    /// Double e^x as in the Cephes library's exp: x = n ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 in two parts),
    /// e^r = 1 + 2 r P(r²) / (Q(r²) - r P(r²)) with Cephes' Padé coefficients (peak error 2.2e-16 on
    /// [-708, 708]), times 2^n as two powers of two like <see cref="ExpSingle"/>. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpDouble<TLanes, TV>(TV x) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TV Constant(double value) => TLanes.Broadcast(T.CreateTruncating(value));

        var clamped = TLanes.Min(TLanes.Max(x, Constant(-746.0)), Constant(710.0));
        var n = TLanes.Round(TLanes.Multiply(clamped, Constant(1.4426950408889634073599)));
        var r = TLanes.Subtract(TLanes.Subtract(clamped, TLanes.Multiply(n, Constant(6.93145751953125E-1))), TLanes.Multiply(n, Constant(1.42860682030941723212E-6)));
        var rr = TLanes.Multiply(r, r);
        var p = Constant(1.26177193074810590878E-4);
        p = TLanes.Add(TLanes.Multiply(p, rr), Constant(3.02994407707441961300E-2));
        p = TLanes.Multiply(r, TLanes.Add(TLanes.Multiply(p, rr), Constant(9.99999999999999999910E-1)));
        var q = Constant(3.00198505138664455042E-6);
        q = TLanes.Add(TLanes.Multiply(q, rr), Constant(2.52448340349684104192E-3));
        q = TLanes.Add(TLanes.Multiply(q, rr), Constant(2.27265548208155028766E-1));
        q = TLanes.Add(TLanes.Multiply(q, rr), Constant(2.00000000000000000009E0));
        var quotient = TLanes.Divide(p, TLanes.Subtract(q, p));
        var e = TLanes.Add(Constant(1.0), TLanes.Add(quotient, quotient));
        var half = TLanes.Floor(TLanes.Multiply(n, Constant(0.5)));
        var result = TLanes.Multiply(TLanes.Multiply(e, TLanes.PowerOfTwo(half)), TLanes.PowerOfTwo(TLanes.Subtract(n, half)));
        return TLanes.ConditionalSelect(TLanes.IsNaN(x), x, result);
    }

    /// <summary>
    /// Float e^x within 2 ulp: x = n ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so r is exact),
    /// e^r = 1 + r + r² P(r) with P the degree-5 minimax fit of the Cephes library's expf, times 2^n as two
    /// powers of two 2^⌊n/2⌋ · 2^{n - ⌊n/2⌋} (each a normal float, so overflow to +∞ and underflow through
    /// subnormals to 0 come out of the products). NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpSingle<TLanes, TV>(TV x) where TLanes : struct, IElementwiseLanes<T, TV> where TV : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TV Constant(float value) => TLanes.Broadcast(T.CreateTruncating(value));

        var clamped = TLanes.Min(TLanes.Max(x, Constant(-104f)), Constant(89f));
        var n = TLanes.Round(TLanes.Multiply(clamped, Constant(1.44269504088896341f)));
        var r = TLanes.Subtract(TLanes.Subtract(clamped, TLanes.Multiply(n, Constant(0.693359375f))), TLanes.Multiply(n, Constant(-2.12194440e-4f)));
        var p = Constant(1.9875691500e-4f);
        p = TLanes.Add(TLanes.Multiply(p, r), Constant(1.3981999507e-3f));
        p = TLanes.Add(TLanes.Multiply(p, r), Constant(8.3334519073e-3f));
        p = TLanes.Add(TLanes.Multiply(p, r), Constant(4.1665795894e-2f));
        p = TLanes.Add(TLanes.Multiply(p, r), Constant(1.6666665459e-1f));
        p = TLanes.Add(TLanes.Multiply(p, r), Constant(5.0000001201e-1f));
        var e = TLanes.Add(TLanes.Add(TLanes.Multiply(p, TLanes.Multiply(r, r)), r), Constant(1f));
        var half = TLanes.Floor(TLanes.Multiply(n, Constant(0.5f)));
        var result = TLanes.Multiply(TLanes.Multiply(e, TLanes.PowerOfTwo(half)), TLanes.PowerOfTwo(TLanes.Subtract(n, half)));
        return TLanes.ConditionalSelect(TLanes.IsNaN(x), x, result);
    }
}
