// The vector operations of the managed kernels at each register width: 128 bits (SSE, Arm64 AdvSimd),
// 256 (AVX2) and 512 (AVX-512), each resolved at JIT time. ILanes holds what the matrix product's
// micro-kernel and packing use; every width multiplies and adds with one rounding (the FMA instruction
// where the hardware has it, otherwise the runtime's exact software fused multiply-add). IElementwiseLanes
// adds what the element-wise kernels use (SimdElementwise): lane-wise IEEE operations, each rounding once,
// with no fusion. Either way the widths agree bit for bit, and a width the machine lacks still runs
// (slowly, in software) in tests. Not a general vector library: only what those two users need.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LstmLens.Numerics;

/// <summary>The micro-kernel's operations on vectors <typeparamref name="TV"/> of <typeparamref name="T"/>.</summary>
internal unsafe interface ILanes<T, TV> where T : unmanaged where TV : struct
{
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Load(T* source);

    static abstract void Store(TV value, T* destination);

    static abstract TV Broadcast(T value);

    /// <summary><c>a · b + acc</c> with one rounding.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV acc);

    static abstract TV Scale(TV value, T factor);

    static abstract TV Add(TV a, TV b);
}

/// <summary>
/// The element-wise kernels' operations on vectors <typeparamref name="TV"/> of <typeparamref name="T"/>
/// (float or double): each lane computes what the scalar operation would (Min and Max aside, see there),
/// so a result does not depend on the width. Comparisons give all-ones lanes where true.
/// </summary>
internal interface IElementwiseLanes<T, TV> : ILanes<T, TV> where T : unmanaged where TV : struct
{
    static abstract TV Subtract(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Divide(TV a, TV b);

    static abstract TV Negate(TV x);

    static abstract TV Abs(TV x);

    /// <summary>The hardware's minimum (for NaN or ±0 operands, whichever it gives: callers avoid them).</summary>
    static abstract TV Min(TV a, TV b);

    /// <summary>The hardware's maximum (for NaN or ±0 operands, whichever it gives: callers avoid them).</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary>To the nearest integer, ties to even.</summary>
    static abstract TV Round(TV x);

    static abstract TV Floor(TV x);

    static abstract TV LessThan(TV a, TV b);

    static abstract TV IsNaN(TV x);

    /// <summary>Bits of <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else of <paramref name="ifFalse"/>.</summary>
    static abstract TV ConditionalSelect(TV mask, TV ifTrue, TV ifFalse);

    static abstract TV And(TV a, TV b);

    static abstract TV Or(TV a, TV b);

    /// <summary>2^n for integer-valued n in the normal exponent range, built from its exponent bits.</summary>
    static abstract TV PowerOfTwo(TV n);
}

/// <summary>128-bit vectors.</summary>
internal readonly unsafe struct Lanes128<T> : IElementwiseLanes<T, Vector128<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(T* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, T* destination) => Vector128.Store(value, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> acc)
    {
        // x64: the broadcast operand second, so the JIT emits vfmadd231 into the accumulator (no register copy).
        if (typeof(T) == typeof(float))
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(b.As<T, float>(), a.As<T, float>(), acc.As<T, float>()).As<float, T>();
            if (AdvSimd.IsSupported) return AdvSimd.FusedMultiplyAdd(acc.As<T, float>(), a.As<T, float>(), b.As<T, float>()).As<float, T>();
            return Vector128.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), acc.As<T, float>()).As<float, T>();
        }
        if (Fma.IsSupported) return Fma.MultiplyAdd(b.As<T, double>(), a.As<T, double>(), acc.As<T, double>()).As<double, T>();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.FusedMultiplyAdd(acc.As<T, double>(), a.As<T, double>(), b.As<T, double>()).As<double, T>();
        return Vector128.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), acc.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Scale(Vector128<T> value, T factor) => value * factor;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Negate(Vector128<T> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Abs(Vector128<T> x) => Vector128.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Min(Vector128<T> a, Vector128<T> b) => Vector128.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Round(Vector128<T> x) => typeof(T) == typeof(float)
        ? Vector128.Round(x.As<T, float>()).As<float, T>()
        : Vector128.Round(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Floor(Vector128<T> x) => typeof(T) == typeof(float)
        ? Vector128.Floor(x.As<T, float>()).As<float, T>()
        : Vector128.Floor(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> IsNaN(Vector128<T> x) => Vector128.IsNaN(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ConditionalSelect(Vector128<T> mask, Vector128<T> ifTrue, Vector128<T> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> And(Vector128<T> a, Vector128<T> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Or(Vector128<T> a, Vector128<T> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> PowerOfTwo(Vector128<T> n) => typeof(T) == typeof(float)
        ? Vector128.ShiftLeft(Vector128.ConvertToInt32(n.As<T, float>()) + Vector128.Create(127), 23).As<int, T>()
        : Vector128.ShiftLeft(Vector128.ConvertToInt64(n.As<T, double>()) + Vector128.Create(1023L), 52).As<long, T>();
}

/// <summary>256-bit vectors.</summary>
internal readonly unsafe struct Lanes256<T> : IElementwiseLanes<T, Vector256<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(T* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, T* destination) => Vector256.Store(value, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> acc)
    {
        // The FMA3 intrinsic rather than Vector256.FusedMultiplyAdd, which gets the 213 form plus a register copy per step (measured 15-25% slower).
        if (typeof(T) == typeof(float))
        {
            return Fma.IsSupported
                ? Fma.MultiplyAdd(b.As<T, float>(), a.As<T, float>(), acc.As<T, float>()).As<float, T>()
                : Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), acc.As<T, float>()).As<float, T>();
        }
        return Fma.IsSupported
            ? Fma.MultiplyAdd(b.As<T, double>(), a.As<T, double>(), acc.As<T, double>()).As<double, T>()
            : Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), acc.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Scale(Vector256<T> value, T factor) => value * factor;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Negate(Vector256<T> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Abs(Vector256<T> x) => Vector256.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Min(Vector256<T> a, Vector256<T> b) => Vector256.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Round(Vector256<T> x) => typeof(T) == typeof(float)
        ? Vector256.Round(x.As<T, float>()).As<float, T>()
        : Vector256.Round(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Floor(Vector256<T> x) => typeof(T) == typeof(float)
        ? Vector256.Floor(x.As<T, float>()).As<float, T>()
        : Vector256.Floor(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> IsNaN(Vector256<T> x) => Vector256.IsNaN(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ConditionalSelect(Vector256<T> mask, Vector256<T> ifTrue, Vector256<T> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> And(Vector256<T> a, Vector256<T> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Or(Vector256<T> a, Vector256<T> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> PowerOfTwo(Vector256<T> n) => typeof(T) == typeof(float)
        ? Vector256.ShiftLeft(Vector256.ConvertToInt32(n.As<T, float>()) + Vector256.Create(127), 23).As<int, T>()
        : Vector256.ShiftLeft(Vector256.ConvertToInt64(n.As<T, double>()) + Vector256.Create(1023L), 52).As<long, T>();
}

/// <summary>512-bit vectors.</summary>
internal readonly unsafe struct Lanes512<T> : IElementwiseLanes<T, Vector512<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(T* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, T* destination) => Vector512.Store(value, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> acc)
    {
        if (typeof(T) == typeof(float))
        {
            return Avx512F.IsSupported
                ? Avx512F.FusedMultiplyAdd(b.As<T, float>(), a.As<T, float>(), acc.As<T, float>()).As<float, T>()
                : Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), acc.As<T, float>()).As<float, T>();
        }
        return Avx512F.IsSupported
            ? Avx512F.FusedMultiplyAdd(b.As<T, double>(), a.As<T, double>(), acc.As<T, double>()).As<double, T>()
            : Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), acc.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Scale(Vector512<T> value, T factor) => value * factor;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Negate(Vector512<T> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Abs(Vector512<T> x) => Vector512.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Min(Vector512<T> a, Vector512<T> b) => Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Round(Vector512<T> x) => typeof(T) == typeof(float)
        ? Vector512.Round(x.As<T, float>()).As<float, T>()
        : Vector512.Round(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Floor(Vector512<T> x) => typeof(T) == typeof(float)
        ? Vector512.Floor(x.As<T, float>()).As<float, T>()
        : Vector512.Floor(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> IsNaN(Vector512<T> x) => Vector512.IsNaN(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ConditionalSelect(Vector512<T> mask, Vector512<T> ifTrue, Vector512<T> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> And(Vector512<T> a, Vector512<T> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Or(Vector512<T> a, Vector512<T> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> PowerOfTwo(Vector512<T> n) => typeof(T) == typeof(float)
        ? Vector512.ShiftLeft(Vector512.ConvertToInt32(n.As<T, float>()) + Vector512.Create(127), 23).As<int, T>()
        : Vector512.ShiftLeft(Vector512.ConvertToInt64(n.As<T, double>()) + Vector512.Create(1023L), 52).As<long, T>();
}
