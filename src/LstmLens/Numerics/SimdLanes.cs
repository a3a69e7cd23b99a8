// The vector operations of the matrix product's micro-kernel at each register width: 128 bits (SSE,
// Arm64 AdvSimd), 256 (AVX2) and 512 (AVX-512), each resolved at JIT time. Every width multiplies and
// adds with one rounding: the FMA instruction where the hardware has it, otherwise the runtime's exact
// software fused multiply-add, so the widths agree bit for bit and a width the machine lacks still runs
// (slowly) in tests. Not a general vector library: only what the micro-kernel and packing use.
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

/// <summary>128-bit vectors.</summary>
internal readonly unsafe struct Lanes128<T> : ILanes<T, Vector128<T>> where T : unmanaged, IFloatingPointIeee754<T>
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
}

/// <summary>256-bit vectors.</summary>
internal readonly unsafe struct Lanes256<T> : ILanes<T, Vector256<T>> where T : unmanaged, IFloatingPointIeee754<T>
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
}

/// <summary>512-bit vectors.</summary>
internal readonly unsafe struct Lanes512<T> : ILanes<T, Vector512<T>> where T : unmanaged, IFloatingPointIeee754<T>
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
}
