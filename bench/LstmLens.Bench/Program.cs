// Entry point of the benchmarks: "gflops [--threads N]" prints a quotable GFLOP/s table of the matrix
// product, "profile" the per-phase table of training steps; anything else goes to BenchmarkDotNet's
// switcher (e.g. --filter '*Gemm*').
using BenchmarkDotNet.Running;
using LstmLens.Bench;

if (args.Length > 0 && args[0] == "gflops") return GflopsReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "profile") return ProfileReport.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(GemmShape).Assembly).Run(args);
return 0;
