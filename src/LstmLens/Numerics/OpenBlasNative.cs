// The OpenBLAS entry points LstmLens uses (cblas_sgemm, cblas_dgemm, thread count, build string), bound
// at run time with NativeLibrary.TryLoad so that a machine without OpenBLAS is detected without an
// exception and the managed kernels are used instead. Calls go through unmanaged function pointers: no
// marshalling, no allocation. Not a general BLAS binding.
using System.Runtime.InteropServices;

namespace LstmLens.Numerics;

/// <summary>Run-time binding to OpenBLAS (Debian package libopenblas0: libopenblas.so.0, 32-bit integers).</summary>
internal static unsafe class OpenBlasNative
{
    // CBLAS enumerations (cblas.h).
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    /// <summary>File names tried in order: the Debian soname first, then the unversioned and other platforms' names.</summary>
    public static IReadOnlyList<string> LibraryNames { get; } =
        ["libopenblas.so.0", "libopenblas.so", "libopenblas.0.dylib", "libopenblas.dylib", "libopenblas.dll", "openblas.dll"];

    private static readonly Binding s_binding = Bind();
    private static int s_threads;

    /// <summary>Whether the library loaded and exports cblas_sgemm and cblas_dgemm.</summary>
    public static bool IsAvailable => s_binding.Sgemm != null;

    /// <summary>The library file that loaded, or null.</summary>
    public static string? LibraryName => s_binding.LibraryName;

    /// <summary>openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64", or null.</summary>
    public static string? Config => s_binding.Config;

    /// <summary>Row-major <c>C = alpha · op(A) · op(B) + beta · C</c> in single precision; arguments already checked.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        SetThreads(threads);
        s_binding.Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Row-major <c>C = alpha · op(A) · op(B) + beta · C</c> in double precision; arguments already checked.</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda,
        double* b, int ldb, double beta, double* c, int ldc, int threads)
    {
        SetThreads(threads);
        s_binding.Dgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Passes the thread count to OpenBLAS when it differs from the last one passed.</summary>
    private static void SetThreads(int threads)
    {
        if (threads == Volatile.Read(ref s_threads) || s_binding.SetNumThreads == null) return;
        s_binding.SetNumThreads(threads);
        Volatile.Write(ref s_threads, threads);
    }

    private sealed class Binding
    {
        public string? LibraryName;
        public string? Config;
        public delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
        public delegate* unmanaged[Cdecl]<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> Dgemm;
        public delegate* unmanaged[Cdecl]<int, void> SetNumThreads;
    }

    private static Binding Bind()
    {
        var binding = new Binding();
        foreach (string name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm)
                || !NativeLibrary.TryGetExport(handle, "cblas_dgemm", out nint dgemm))
            {
                NativeLibrary.Free(handle);
                continue;
            }
            binding.LibraryName = name;
            binding.Sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            binding.Dgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)dgemm;
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
                binding.SetNumThreads = (delegate* unmanaged[Cdecl]<int, void>)setThreads;
            if (NativeLibrary.TryGetExport(handle, "openblas_get_config", out nint getConfig))
                binding.Config = Marshal.PtrToStringUTF8(((delegate* unmanaged[Cdecl]<nint>)getConfig)())?.Trim();
            return binding;
        }
        return binding;
    }
}
