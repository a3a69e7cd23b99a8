// Named operands of the matrix product: a matrix is its span with rows, columns and the stride between
// rows (row-major), and a transposed operand is the same storage read by columns (.T), so a product is
// written as its math — y = x Wᵀ is Gemm(x, W.T, y) — instead of thirteen positional arguments.
// Views only: nothing is copied, and the shape is checked against the span when the view is made.
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>Builds matrix views.</summary>
public static class MatrixView
{
    /// <summary>A read-only [rows, columns] view of <paramref name="data"/>, rows <paramref name="stride"/> apart (default: columns).</summary>
    /// <exception cref="ArgumentException">The span is too short for the shape, or the stride is below the row length.</exception>
    public static ReadOnlyMatrixView<T> Of<T>(ReadOnlySpan<T> data, int rows, int columns, int stride = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        stride = stride < 0 ? columns : stride;
        Check(data.Length, rows, columns, stride);
        return new ReadOnlyMatrixView<T>(data, rows, columns, stride, transposed: false);
    }

    /// <summary>A writable [rows, columns] view of <paramref name="data"/>, rows <paramref name="stride"/> apart (default: columns).</summary>
    /// <exception cref="ArgumentException">The span is too short for the shape, or the stride is below the row length.</exception>
    public static MatrixView<T> Of<T>(Span<T> data, int rows, int columns, int stride = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        stride = stride < 0 ? columns : stride;
        Check(data.Length, rows, columns, stride);
        return new MatrixView<T>(data, rows, columns, stride);
    }

    private static void Check(int length, int rows, int columns, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (rows == 0 || columns == 0) return;
        if (stride < columns) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"the stride must be at least the row length {columns}");
        long needed = (long)(rows - 1) * stride + columns;
        if (length < needed) throw new ArgumentException($"a [{rows}, {columns}] matrix with stride {stride} needs {needed} elements; the span holds {length}");
    }
}

/// <summary>A read-only matrix operand op(X) [<see cref="Rows"/>, <see cref="Columns"/>]: row-major storage, read transposed when <see cref="Transposed"/>.</summary>
public readonly ref struct ReadOnlyMatrixView<TValue> where TValue : unmanaged, IFloatingPointIeee754<TValue>
{
    internal ReadOnlyMatrixView(ReadOnlySpan<TValue> data, int rows, int columns, int stride, bool transposed)
    {
        Data = data;
        (Rows, Columns, Stride, Transposed) = (rows, columns, stride, transposed);
    }

    /// <summary>The storage: [Rows, Columns] row-major, or [Columns, Rows] when transposed.</summary>
    public ReadOnlySpan<TValue> Data { get; }

    /// <summary>Rows of the operand as it enters the product.</summary>
    public int Rows { get; }

    /// <summary>Columns of the operand as it enters the product.</summary>
    public int Columns { get; }

    /// <summary>Elements between consecutive stored rows.</summary>
    public int Stride { get; }

    /// <summary>Whether the operand is the transpose of its storage.</summary>
    public bool Transposed { get; }

    /// <summary>The transpose: the same storage, rows and columns exchanged.</summary>
    public ReadOnlyMatrixView<TValue> T => new(Data, Columns, Rows, Stride, !Transposed);
}

/// <summary>A writable matrix [<see cref="Rows"/>, <see cref="Columns"/>], row-major: the output of a product.</summary>
public readonly ref struct MatrixView<TValue> where TValue : unmanaged, IFloatingPointIeee754<TValue>
{
    internal MatrixView(Span<TValue> data, int rows, int columns, int stride)
    {
        Data = data;
        (Rows, Columns, Stride) = (rows, columns, stride);
    }

    /// <summary>The storage.</summary>
    public Span<TValue> Data { get; }

    /// <summary>Rows.</summary>
    public int Rows { get; }

    /// <summary>Columns.</summary>
    public int Columns { get; }

    /// <summary>Elements between consecutive rows.</summary>
    public int Stride { get; }

    /// <summary>The transpose, as a read-only operand.</summary>
    public ReadOnlyMatrixView<TValue> T => ((ReadOnlyMatrixView<TValue>)this).T;

    /// <summary>The same matrix as a read-only operand.</summary>
    public static implicit operator ReadOnlyMatrixView<TValue>(MatrixView<TValue> matrix) => new(matrix.Data, matrix.Rows, matrix.Columns, matrix.Stride, transposed: false);
}
