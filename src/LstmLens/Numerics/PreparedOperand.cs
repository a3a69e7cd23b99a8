// The right-hand operand op(B) of products repeated with many left operands (a recurrent weight matrix
// used at every time step), prepared once by Kernels.Prepare: a snapshot of op(B) in the layout the
// kernel set multiplies fastest (the simd set's packed micro-panels, otherwise a compact copy). The
// caller owns one per matrix and refills it when the matrix changes; it grows to the largest operand
// prepared and is then reused without allocating. Not a view: later changes to B are not seen.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LstmLens.Numerics;

/// <summary>A prepared op(B) [k, n] for <see cref="Kernels{T}.Gemm(bool, ReadOnlySpan{T}, int, PreparedOperand{T}, int, T, T, Span{T}, int)"/>.</summary>
public sealed class PreparedOperand<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Alignment = 64;
    private T[] _storage = [];
    private int _offset;    // first element at a 64-byte boundary (the storage is pinned)
    private int _length;

    /// <summary>Rows of op(B).</summary>
    public int K { get; private set; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; private set; }

    /// <summary>Whether the compact copy stores B as [n, k] (op(B) = Bᵀ); meaningless when packed.</summary>
    internal bool TransB { get; private set; }

    /// <summary>The vector width of the simd kernels' packed panels in <see cref="Data"/>; 0 for a compact copy.</summary>
    internal int PackedBits { get; private set; }

    private PreparedOperand<T>[] _companions = [];

    /// <summary>Whether the auto kernels prepared this operand (one companion per candidate, see <see cref="Companion"/>).</summary>
    internal bool HasCompanions => _companions.Length > 0 && _length == 0;

    /// <summary>The operand as candidate <paramref name="index"/> of the auto kernels prepares it.</summary>
    internal PreparedOperand<T> Companion(int index)
    {
        if (_companions.Length <= index) Array.Resize(ref _companions, index + 1);
        return _companions[index] ??= new PreparedOperand<T>();
    }

    /// <summary>The prepared elements.</summary>
    internal Span<T> Data => _storage.AsSpan(_offset, _length);

    /// <summary>Sets the shape and returns room for <paramref name="length"/> elements, 64-byte aligned.</summary>
    internal unsafe Span<T> Reserve(int length, int k, int n, bool transB, int packedBits)
    {
        int padding = Alignment / Unsafe.SizeOf<T>();
        if (_storage.Length < length + padding)
        {
            _storage = GC.AllocateUninitializedArray<T>(length + padding, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
            _offset = (int)((Alignment - address % Alignment) % Alignment) / Unsafe.SizeOf<T>();
        }
        (_length, K, N, TransB, PackedBits) = (length, k, n, transB, packedBits);
        return Data;
    }

    /// <summary>Fills the operand with a compact copy of B as stored ([k, n], or [n, k] when <paramref name="transB"/>).</summary>
    internal void CopyFrom(bool transB, ReadOnlySpan<T> b, int ldb, int k, int n)
    {
        int rows = transB ? n : k, columns = transB ? k : n;
        var data = Reserve(rows * columns, k, n, transB, packedBits: 0);
        for (int r = 0; r < rows; r++) b.Slice(r * ldb, columns).CopyTo(data.Slice(r * columns, columns));
    }
}
