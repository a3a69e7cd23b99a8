// The managed matrix product behind SimdKernels.Gemm: cache-blocked, register-tiled, FMA-based, in the
// classic Goto/BLIS arrangement. op(B) is packed in blocks of [kc, nc] (kept in L3, read as [kc, Nr]
// micro-panels from L1); op(A) is taken a block of [mc, kc] at a time (kept in L2): read in place when A
// is stored as rows (each tile row runs along k; packing it cost up to a fifth of an LSTM training step,
// whose recurrent products would re-pack A every time step), packed when A is stored transposed; a
// micro-kernel keeps a tile of up to Mr × Nr elements of C in vector registers while it walks kc.
// Determinism: every element of C is owned by exactly one tile, is summed over p in increasing order
// inside each k block, and k is split into blocks that depend on k alone; threads only decide who
// computes which tile, so the result is bit-identical for any thread count. Threads run rectangular
// regions of C on the shared WorkerTeam, each region a complete serial loop nest.
// The loops are marked AggressiveOptimization: their tier-0 code is ~40× slower, and the first dozens
// of products of a run would pay for it (measured: steady-state speed unchanged).
// Not a BLAS: row-major only, float and double only, no batched or mixed-precision variants.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LstmLens.Numerics;

/// <summary>
/// The blocked product at the vector width the caller names (128, 256 or 512 bits). Every width gives the
/// same bits: each element of C sees the same fused multiply-adds in the same order, only the tile width
/// (two vectors) changes.
/// </summary>
internal static unsafe class SimdGemm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Widths the micro-kernel is written for.</summary>
    public static IReadOnlyList<int> Widths { get; } = [128, 256, 512];

    /// <summary>Whether the hardware runs vectors of <paramref name="bits"/> natively (the others run in software: correct, slow).</summary>
    public static bool IsAccelerated(int bits) => bits switch
    {
        128 => Vector128.IsHardwareAccelerated,
        256 => Vector256.IsHardwareAccelerated,
        512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>The widest accelerated width (128 where none is, so the software paths still run).</summary>
    public static int WidestAccelerated => Widths.LastOrDefault(IsAccelerated, 128);

    /// <summary>Elements of op(B) [k, n] packed whole at <paramref name="bits"/>.</summary>
    public static int PackedLength(int bits, int k, int n) => bits switch
    {
        128 => SimdGemm<T, Lanes128<T>, Vector128<T>>.PackedLength(k, n),
        256 => SimdGemm<T, Lanes256<T>, Vector256<T>>.PackedLength(k, n),
        _ => SimdGemm<T, Lanes512<T>, Vector512<T>>.PackedLength(k, n),
    };

    /// <summary>Packs op(B) [k, n] whole at <paramref name="bits"/> (see the generic class).</summary>
    public static void Pack(int bits, bool transB, T* b, int ldb, int k, int n, T* packed)
    {
        if (bits == 128) SimdGemm<T, Lanes128<T>, Vector128<T>>.Pack(transB, b, ldb, k, n, packed);
        else if (bits == 256) SimdGemm<T, Lanes256<T>, Vector256<T>>.Pack(transB, b, ldb, k, n, packed);
        else SimdGemm<T, Lanes512<T>, Vector512<T>>.Pack(transB, b, ldb, k, n, packed);
    }

    /// <summary>Computes the product at <paramref name="bits"/> (see the generic class).</summary>
    public static void Run(int bits, bool transA, bool transB, T* a, int lda, T* b, int ldb, int m, int n, int k,
        T alpha, T beta, T* c, int ldc, int threads, bool prepacked = false)
    {
        if (bits == 128) SimdGemm<T, Lanes128<T>, Vector128<T>>.Run(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc, threads, prepacked);
        else if (bits == 256) SimdGemm<T, Lanes256<T>, Vector256<T>>.Run(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc, threads, prepacked);
        else SimdGemm<T, Lanes512<T>, Vector512<T>>.Run(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc, threads, prepacked);
    }
}

/// <summary>Blocked SIMD matrix product <c>C = alpha · op(A) · op(B) + beta · C</c> over row-major pointers, on vectors <typeparamref name="TV"/>.</summary>
internal static unsafe class SimdGemm<T, TLanes, TV> where T : unmanaged, IFloatingPointIeee754<T>
    where TLanes : struct, ILanes<T, TV> where TV : struct
{
    /// <summary>Rows of C in one register tile (two accumulators per row: 12 of the 16 AVX2 registers).</summary>
    private const int Mr = 6;

    /// <summary>
    /// Deepest k block: a [KcMax, Nr] micro-panel of B (64 bytes per p at 256 bits) is 24 KiB and stays in
    /// a 32 KiB L1 (at 512 bits 48 KiB, the size of a Zen 5 L1); 384 rather than 256 keeps
    /// k = 264 in one block (measured 10-15% faster there).
    /// </summary>
    private const int KcMax = 384;

    /// <summary>Bytes of A per row block, sized to stay in L2 next to the streaming B micro-panels.</summary>
    private const int ABlockBytes = 144 * 1024;

    /// <summary>Bytes of packed B per block and thread: a share of L3.</summary>
    private const int PackedBBytes = 2 * 1024 * 1024;

    /// <summary>Bytes of B that stay in a level-1 data cache (32 KiB on the x86 CPUs this is tuned on, 64 KiB and more on ARM64).</summary>
    private const int L1Bytes = 32 * 1024;

    /// <summary>Below this many multiply-adds (m·n·k) threads cost more than they save.</summary>
    private const long SerialWork = 1L << 20;

    /// <summary>Columns of C in one register tile: two vectors of the micro-kernel's width.</summary>
    private static int Nr => 2 * TLanes.Count;

    /// <summary>The operands, sizes and output of one call; pointers stay valid for the whole call.</summary>
    private readonly struct Problem
    {
        public readonly T* A, B, C;
        public readonly nint Lda, Ldb, Ldc;
        public readonly int M, N, K;
        public readonly bool TransA, TransB;
        public readonly bool TransC;      // the product computed is Cᵀ: element (i, j) of this problem is C[j, i]
        public readonly bool Prepacked;   // B holds op(B) packed whole by Pack; Ldb and TransB are unused
        public readonly T Alpha, Beta;

        /// <summary>Register tiles along m: ⌈m / Mr⌉ tiles of near-equal height (m = 20 gives 5+5+5+5, not 6+6+6+2).</summary>
        public readonly int TileCount;
        private readonly int _tileHeight, _tallTiles;   // the first _tallTiles tiles are one row taller

        public Problem(bool transA, bool transB, T* a, int lda, T* b, int ldb, int m, int n, int k,
            T alpha, T beta, T* c, int ldc, bool prepacked = false, bool transC = false)
        {
            Prepacked = prepacked;
            TransC = transC;
            A = a;
            B = b;
            C = c;
            (TransA, TransB, Lda, Ldb, Ldc) = (transA, transB, lda, ldb, ldc);
            (M, N, K, Alpha, Beta) = (m, n, k, alpha, beta);
            TileCount = (m + Mr - 1) / Mr;
            (_tileHeight, _tallTiles) = (m / TileCount, m % TileCount);
        }

        /// <summary>First row of tile t (t = TileCount gives M).</summary>
        public int TileRow(int t) => t * _tileHeight + Math.Min(t, _tallTiles);

        /// <summary>Address of this problem's element (row, col) in C.</summary>
        public T* At(int row, int col) => TransC ? C + col * Ldc + row : C + row * Ldc + col;

        /// <summary>Micro-panels of Nr columns along n; the last may be partial.</summary>
        public int PanelCount => (N + Nr - 1) / Nr;

        /// <summary>Number of k blocks, and the first p of block kb (kb = count gives K).</summary>
        public int KBlockCount => (K + KcMax - 1) / KcMax;

        public int KBlockStart(int kb) => (int)((long)kb * K / KBlockCount);
    }

    /// <summary>Elements of op(B) [k, n] packed whole: every k block's panels, [k block][panel][kc][Nr].</summary>
    public static int PackedLength(int k, int n) => k * ((n + Nr - 1) / Nr) * Nr;

    /// <summary>Packs op(B) [k, n] whole (k ≥ 1, n ≥ 1) into <see cref="PackedLength"/> elements, for <see cref="Run"/> with prepacked B.</summary>
    public static void Pack(bool transB, T* b, int ldb, int k, int n, T* packed)
    {
        var problem = new Problem(false, transB, null, 0, b, ldb, 1, n, k, T.One, T.Zero, null, 0);
        nint stride = (nint)problem.PanelCount * Nr;
        for (int kb = 0; kb < problem.KBlockCount; kb++)
        {
            int p0 = problem.KBlockStart(kb);
            PackB(problem, p0, problem.KBlockStart(kb + 1) - p0, 0, n, packed + p0 * stride);
        }
    }

    /// <summary>
    /// Computes the product; k ≥ 1, m ≥ 1, n ≥ 1 and the pointers address valid matrices. With
    /// <paramref name="prepacked"/>, b holds op(B) packed by <see cref="Pack"/> (ldb and transB unused).
    /// </summary>
    public static void Run(bool transA, bool transB, T* a, int lda, T* b, int ldb, int m, int n, int k,
        T alpha, T beta, T* c, int ldc, int threads, bool prepacked = false)
    {
        // Compute Cᵀ = op(B)ᵀ · op(A)ᵀ instead when that packs less or fills more of the register tiles: a
        // transposed A is packed element by element and B with vector copies, so for weight gradients dZᵀ X
        // pack X, not dZ, and fill whole panels with dZ's 4H columns; and a product at most half a panel
        // wide (dX of a 10-wide embedding, a 10-way decoder) would compute a whole panel per row. Each
        // element of C sees the same multiply-adds in the same order either way.
        bool swap = !prepacked && n < m && (transA || 2 * n <= Nr);
        var problem = swap
            ? new Problem(!transB, !transA, b, ldb, a, lda, n, m, k, alpha, beta, c, ldc, transC: true)
            : new Problem(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc, prepacked);
        if (threads == 1 || (long)m * n * k < SerialWork)
        {
            RunRegion(problem, 0, problem.TileCount, 0, problem.PanelCount);
            return;
        }
        (t_parallel ??= new ParallelRun()).Run(problem, threads);
    }

    /// <summary>
    /// Computes the part of C covered by tiles [t0, t1) and panels [q0, q1): the serial Goto loop nest
    /// (column blocks, k blocks, row blocks, then panels × tiles through the micro-kernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRegion(in Problem problem, int t0, int t1, int q0, int q1)
    {
        int nr = Nr;
        int kBlocks = problem.KBlockCount;
        int kcMax = problem.KBlockStart(1);
        if (kBlocks > 1) kcMax = Math.Max(kcMax, problem.K - problem.KBlockStart(kBlocks - 1));
        // Block sizes only change the order of tiles and who packs what, never the arithmetic of an element of C.
        int panelsPerBlock = Math.Max(1, PackedBBytes / (nr * kcMax * sizeof(T)));
        int tilesPerBlock = Math.Max(1, ABlockBytes / (Mr * kcMax * sizeof(T)));
        int columnBlocks = (q1 - q0 + panelsPerBlock - 1) / panelsPerBlock;
        panelsPerBlock = (q1 - q0 + columnBlocks - 1) / columnBlocks;
        T* packedB = problem.Prepacked ? null : (t_packedB ??= new PackBuffer()).Get(panelsPerBlock * nr * kcMax);   // [panels][kc][Nr]
        T* packedA = problem.TransA ? (t_packedA ??= new PackBuffer()).Get(tilesPerBlock * Mr * kcMax) : null;       // [tiles][kc][height]
        T* scratch = stackalloc T[nr];

        for (int qb = q0; qb < q1; qb += panelsPerBlock)
        {
            int qe = Math.Min(q1, qb + panelsPerBlock);
            for (int kb = 0; kb < kBlocks; kb++)
            {
                int p0 = problem.KBlockStart(kb);
                int kc = problem.KBlockStart(kb + 1) - p0;
                // The first k block applies beta (or overwrites C when beta is zero); later blocks add.
                bool overwrite = kb == 0 && T.IsZero(problem.Beta);
                T beta = kb == 0 ? problem.Beta : T.One;
                int firstColumn = qb * nr;
                T* blockB = packedB;
                if (problem.Prepacked) blockB = problem.B + (nint)p0 * problem.PanelCount * nr + (nint)qb * kc * nr;
                else PackB(problem, p0, kc, firstColumn, Math.Min(problem.N, qe * nr) - firstColumn, packedB);
                // The block's panels stay in L1 while the tiles stream past them; when the whole block of B fits in L1
                // anyway (shallow k), walk tile by tile instead, so that C is written along its rows.
                bool tilesOuter = (long)(qe - qb) * kc * nr * sizeof(T) <= L1Bytes;
                for (int tb = t0; tb < t1; tb += tilesPerBlock)
                {
                    int te = Math.Min(t1, tb + tilesPerBlock);
                    if (problem.TransA) PackTransposedA(problem, p0, kc, tb, te, packedA);
                    int outerCount = tilesOuter ? te - tb : qe - qb, innerCount = tilesOuter ? qe - qb : te - tb;
                    for (int outer = 0; outer < outerCount; outer++)
                    {
                        for (int inner = 0; inner < innerCount; inner++)
                        {
                            int t = tb + (tilesOuter ? outer : inner), q = qb + (tilesOuter ? inner : outer);
                            RunTile(problem, t, q, p0, kc, problem.TileRow(tb), packedA, blockB + (nint)(q - qb) * kc * nr, beta, overwrite, scratch);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tile t × panel q of C over the k block [p0, p0 + kc): op(A) read in place, or from <paramref name="packedA"/>
    /// (tiles from the one starting at <paramref name="firstRow"/>, each [kc][height]), against the panel's packed B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunTile(in Problem problem, int t, int q, int p0, int kc, int firstRow, T* packedA, T* pb, T beta, bool overwrite, T* scratch)
    {
        int col = q * Nr;
        int row = problem.TileRow(t);
        int rows = problem.TileRow(t + 1) - row;
        // op(A)[row + r, p0 + p] sits at pa[r · rs + p · cs]: packed [kc][rows], or A's own rows.
        T* pa = problem.TransA ? packedA + (nint)(row - firstRow) * kc : problem.A + row * problem.Lda + p0;
        nint rs = problem.TransA ? 1 : problem.Lda, cs = problem.TransA ? rows : 1;
        var tile = new TileOutput(problem.At(row, col), problem.TransC ? 1 : problem.Ldc, problem.TransC ? problem.Ldc : 1,
            Math.Min(Nr, problem.N - col), problem.Alpha, beta, overwrite, scratch);
        RunTile(rows, kc, pa, rs, cs, pb, tile);
    }

    /// <summary>
    /// Packs op(A)[rows of tiles tb..te, p0..p0+kc] = A[p0..p0+kc, rows]ᵀ tile by tile, each as [kc][height]:
    /// read in place, a transposed A would take the micro-kernel to a new row of A (often a new page) at
    /// every p (measured: 61 against 150 GFLOP/s for a [1002 × 700] · [700 × 200] weight gradient).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedA(in Problem problem, int p0, int kc, int tb, int te, T* packed)
    {
        int firstRow = problem.TileRow(tb);
        for (int t = tb; t < te; t++)
        {
            int row = problem.TileRow(t);
            int height = problem.TileRow(t + 1) - row;
            T* dst = packed + (nint)(row - firstRow) * kc;
            T* src = problem.A + p0 * problem.Lda + row;
            for (int p = 0; p < kc; p++, src += problem.Lda, dst += height)
                for (int r = 0; r < height; r++) dst[r] = src[r];
        }
    }

    /// <summary>
    /// Packs op(B)[p0..p0+kc, col..col+width] as consecutive panels [kc][Nr]; columns past width are
    /// zero so a partial panel runs through the same micro-kernel.
    /// </summary>
    /// <remarks>
    /// Both layouts are read along B's rows: a 16-column panel read one row of B at a time would touch a
    /// new page per row (rows of B are often 4 KiB apart), which the prefetchers do not follow.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(in Problem problem, int p0, int kc, int col, int width, T* dst)
    {
        int nr = Nr;
        int panels = (width + nr - 1) / nr;
        nint panelSize = (nint)kc * nr;
        if (problem.TransB)
        {
            // op(B)[p, j] = B[j, p]: W rows of B at a time, transposed in W × W squares into W columns of a panel
            // (W = Vector<T>.Count where it divides the panel width, else one row at a time).
            int w = nr % Vector<T>.Count == 0 ? Vector<T>.Count : 1;
            for (int j = 0; j < panels * nr; j += w)
            {
                T* d = dst + (j / nr) * panelSize + j % nr;
                T* src = problem.B + (col + j) * problem.Ldb + p0;
                int p = 0;
                if (w > 1 && j + w <= width)
                {
                    for (; p + w <= kc; p += w) TransposeSquare(src + p, problem.Ldb, d + p * nr, nr);
                }
                for (; p < kc; p++)
                    for (int i = 0; i < w; i++) d[p * nr + i] = j + i < width ? src[i * problem.Ldb + p] : T.Zero;
            }
            return;
        }
        // op(B)[p, j] = B[p, j]: walk B row by row and deal each row out to the panels.
        int full = width / nr;
        T* row = problem.B + p0 * problem.Ldb + col;
        for (int p = 0; p < kc; p++, row += problem.Ldb)
        {
            T* d = dst + (nint)p * nr;
            for (int q = 0; q < full; q++, d += panelSize)
                for (int v = 0; v < nr; v += TLanes.Count) TLanes.Store(TLanes.Load(row + q * nr + v), d + v);
            if (full == panels) continue;
            for (int j = full * nr; j < width; j++) d[j - full * nr] = row[j];
            for (int j = width - full * nr; j < nr; j++) d[j] = T.Zero;
        }
    }

    /// <summary>
    /// <c>dst[i · dstStride + j] = src[j · srcStride + i]</c> for i, j &lt; W (W = Vector&lt;T&gt;.Count): in
    /// registers with AVX unpack/shuffle/permute when vectors are 256-bit, element by element otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeSquare(T* src, nint srcStride, T* dst, nint dstStride)
    {
        if (Avx.IsSupported && Vector<T>.Count == Vector256<T>.Count)
        {
            if (typeof(T) == typeof(float))
            {
                TransposeSquare8((float*)src, srcStride, (float*)dst, dstStride);
                return;
            }
            if (typeof(T) == typeof(double))
            {
                TransposeSquare4((double*)src, srcStride, (double*)dst, dstStride);
                return;
            }
        }
        int w = Vector<T>.Count;
        for (int i = 0; i < w; i++)
            for (int j = 0; j < w; j++) dst[i * dstStride + j] = src[j * srcStride + i];
    }

    /// <summary>8 × 8 float transpose: interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeSquare8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * srcStride), r3 = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * srcStride), r5 = Avx.LoadVector256(src + 5 * srcStride);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * srcStride), r7 = Avx.LoadVector256(src + 7 * srcStride);
        // t0 = [r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅], t1 = the same for elements 2, 3 | 6, 7; likewise t2..t7.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // s0 = [r0₀ r1₀ r2₀ r3₀ | r0₄ r1₄ r2₄ r3₄] (column 0 | 4 of rows 0-3), s1 columns 1 | 5, s2 2 | 6, s3 3 | 7.
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        // Column c joins the low (c < 4) or high (c ≥ 4) halves of rows 0-3 and rows 4-7.
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>4 × 4 double transpose: interleave pairs of rows, then swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeSquare4(double* src, nint srcStride, double* dst, nint dstStride)
    {
        Vector256<double> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride);
        Vector256<double> r2 = Avx.LoadVector256(src + 2 * srcStride), r3 = Avx.LoadVector256(src + 3 * srcStride);
        // t0 = [r0₀ r1₀ | r0₂ r1₂], t1 = [r0₁ r1₁ | r0₃ r1₃]; t2, t3 the same for rows 2, 3.
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(dst, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(t1, t3, 0x31));
    }

    /// <summary>
    /// Where a tile's accumulators go and how: <c>C = alpha · acc + beta · C</c>, or <c>alpha · acc</c> when overwriting;
    /// tile element (r, j) is at <c>C[r · RowStep + j · ColumnStep]</c> (steps swapped when the problem computes Cᵀ).
    /// </summary>
    private readonly struct TileOutput(T* c, nint rowStep, nint columnStep, int cols, T alpha, T beta, bool overwrite, T* scratch)
    {
        public readonly T* C = c;
        public readonly nint RowStep = rowStep, ColumnStep = columnStep;
        public readonly int Cols = cols;
        public readonly T Alpha = alpha, Beta = beta;
        public readonly bool Overwrite = overwrite;
        public readonly T* Scratch = scratch;   // [Nr] spill space for a partial panel
    }

    /// <summary>Tile height as a type, so each micro-kernel instantiation is compiled for a fixed number of rows.</summary>
    private interface IRows { static abstract int Count { get; } }
    private readonly struct Rows1 : IRows { public static int Count => 1; }
    private readonly struct Rows2 : IRows { public static int Count => 2; }
    private readonly struct Rows3 : IRows { public static int Count => 3; }
    private readonly struct Rows4 : IRows { public static int Count => 4; }
    private readonly struct Rows5 : IRows { public static int Count => 5; }
    private readonly struct Rows6 : IRows { public static int Count => 6; }

    /// <summary>Runs the micro-kernel instantiation for a tile of <paramref name="rows"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunTile(int rows, int kc, T* pa, nint rs, nint cs, T* pb, in TileOutput tile)
    {
        switch (rows)
        {
            case 6: MicroKernel<Rows6>(kc, pa, rs, cs, pb, tile); break;
            case 5: MicroKernel<Rows5>(kc, pa, rs, cs, pb, tile); break;
            case 4: MicroKernel<Rows4>(kc, pa, rs, cs, pb, tile); break;
            case 3: MicroKernel<Rows3>(kc, pa, rs, cs, pb, tile); break;
            case 2: MicroKernel<Rows2>(kc, pa, rs, cs, pb, tile); break;
            default: MicroKernel<Rows1>(kc, pa, rs, cs, pb, tile); break;
        }
    }

    /// <summary>
    /// C tile [rows, Nr] from A (element (r, p) at pa[r · rs + p · cs]) and packed B [kc][Nr]:
    /// <c>acc[r, :] = Σ_p A[p, r] · B[p, :]</c>, summed in increasing p with one fused multiply-add per step.
    /// </summary>
    /// <remarks>Row r uses accumulators c{r}0 (columns 0..W-1) and c{r}1 (W..2W-1); rows past TRows.Count are compiled away.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel<TRows>(int kc, T* pa, nint rs, nint cs, T* pb, in TileOutput output)
        where TRows : struct, IRows
    {
        int rows = TRows.Count;
        int w = TLanes.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Row offsets computed once, so that the loop's only address arithmetic is the two increments.
        nint o1 = rs, o2 = 2 * rs, o3 = 3 * rs, o4 = 4 * rs, o5 = 5 * rs;
        for (T* end = pb + (nint)kc * 2 * w; pb < end; pb += 2 * w, pa += cs)
        {
            TV b0 = TLanes.Load(pb);
            TV b1 = TLanes.Load(pb + w);
            TV a = TLanes.Broadcast(pa[0]);
            c00 = TLanes.MultiplyAdd(a, b0, c00);
            c01 = TLanes.MultiplyAdd(a, b1, c01);
            if (rows > 1)
            {
                a = TLanes.Broadcast(pa[o1]);
                c10 = TLanes.MultiplyAdd(a, b0, c10);
                c11 = TLanes.MultiplyAdd(a, b1, c11);
            }
            if (rows > 2)
            {
                a = TLanes.Broadcast(pa[o2]);
                c20 = TLanes.MultiplyAdd(a, b0, c20);
                c21 = TLanes.MultiplyAdd(a, b1, c21);
            }
            if (rows > 3)
            {
                a = TLanes.Broadcast(pa[o3]);
                c30 = TLanes.MultiplyAdd(a, b0, c30);
                c31 = TLanes.MultiplyAdd(a, b1, c31);
            }
            if (rows > 4)
            {
                a = TLanes.Broadcast(pa[o4]);
                c40 = TLanes.MultiplyAdd(a, b0, c40);
                c41 = TLanes.MultiplyAdd(a, b1, c41);
            }
            if (rows > 5)
            {
                a = TLanes.Broadcast(pa[o5]);
                c50 = TLanes.MultiplyAdd(a, b0, c50);
                c51 = TLanes.MultiplyAdd(a, b1, c51);
            }
        }
        StoreRow(output, 0, c00, c01);
        if (rows > 1) StoreRow(output, 1, c10, c11);
        if (rows > 2) StoreRow(output, 2, c20, c21);
        if (rows > 3) StoreRow(output, 3, c30, c31);
        if (rows > 4) StoreRow(output, 4, c40, c41);
        if (rows > 5) StoreRow(output, 5, c50, c51);
    }

    /// <summary>Writes one row of a tile: <c>C[r, j] = alpha · acc[j] (+ beta · C[r, j])</c> for j &lt; Cols.</summary>
    /// <remarks>The vector and scalar paths perform the same two roundings, so a partial panel matches a full one.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(in TileOutput output, int r, TV low, TV high)
    {
        int w = TLanes.Count;
        T* cRow = output.C + r * output.RowStep;
        low = TLanes.Scale(low, output.Alpha);
        high = TLanes.Scale(high, output.Alpha);
        if (output.Cols == 2 * w && output.ColumnStep == 1)
        {
            if (!output.Overwrite)
            {
                low = TLanes.Add(low, TLanes.Scale(TLanes.Load(cRow), output.Beta));
                high = TLanes.Add(high, TLanes.Scale(TLanes.Load(cRow + w), output.Beta));
            }
            TLanes.Store(low, cRow);
            TLanes.Store(high, cRow + w);
            return;
        }
        TLanes.Store(low, output.Scratch);
        TLanes.Store(high, output.Scratch + w);
        nint step = output.ColumnStep;
        for (int j = 0; j < output.Cols; j++)
            cRow[j * step] = output.Overwrite ? output.Scratch[j] : output.Scratch[j] + cRow[j * step] * output.Beta;
    }

    /// <summary>Per-thread buffer for packed A or B, pinned and 64-byte aligned; it grows to the largest call seen and is then reused.</summary>
    private sealed class PackBuffer
    {
        private const int Alignment = 64;
        private T[] _array = [];
        private T* _aligned;

        public T* Get(int length)
        {
            int padding = Alignment / sizeof(T);
            if (_array.Length < length + padding)
            {
                _array = GC.AllocateUninitializedArray<T>(length + padding, pinned: true);
                nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
                _aligned = (T*)((address + Alignment - 1) & ~(nint)(Alignment - 1));
            }
            return _aligned;
        }
    }

    [ThreadStatic] private static PackBuffer? t_packedA, t_packedB;
    [ThreadStatic] private static ParallelRun? t_parallel;

    /// <summary>
    /// Splits C into a grid of at most one region per thread, columns first (a region packs only its own
    /// columns of B and reads A in place, so a column split repeats no work; rows take the threads the
    /// panels cannot), and runs them on the shared worker team, or on this thread alone when it is busy.
    /// One instance per calling thread, so its delegate is allocated once.
    /// </summary>
    private sealed class ParallelRun
    {
        private readonly Action<int> _body;
        private Problem _problem;
        private int _gridRows, _gridColumns;

        public ParallelRun() => _body = RunCell;

        public void Run(in Problem problem, int threads)
        {
            _gridColumns = Math.Min(threads, problem.PanelCount);
            _gridRows = Math.Min(threads / _gridColumns, problem.TileCount);
            _problem = problem;
            int cells = _gridRows * _gridColumns;
            if (!WorkerTeam.Shared.TryRun(threads, cells, _body))
                for (int cell = 0; cell < cells; cell++) _body(cell);
        }

        private void RunCell(int cell)
        {
            int gi = cell / _gridColumns, gj = cell % _gridColumns;
            int tiles = _problem.TileCount, panels = _problem.PanelCount;
            RunRegion(_problem, gi * tiles / _gridRows, (gi + 1) * tiles / _gridRows,
                gj * panels / _gridColumns, (gj + 1) * panels / _gridColumns);
        }
    }
}
