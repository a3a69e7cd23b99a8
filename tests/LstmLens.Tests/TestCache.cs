// Points the auto kernels' choice cache at a directory of this test run before any kernel set exists,
// so tests calibrate afresh and never read or write the user's cache.
using System.Runtime.CompilerServices;

namespace LstmLens.Tests;

internal static class TestCache
{
    [ModuleInitializer]
    internal static void UseTemporaryCache() =>
        Environment.SetEnvironmentVariable("LSTMLENS_CACHE_DIR", Path.Combine(Path.GetTempPath(), $"lstmlens-test-cache-{Environment.ProcessId}"));
}
