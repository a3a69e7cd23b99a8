// The AFL++ harness of the readers (SharpFuzz, out of process): `LstmLens.Fuzz READER` reads inputs from AFL++
// and feeds each to ReaderTarget.Run; an exception escaping it is a crash. bench/fuzz.sh builds, instruments and
// runs it. `LstmLens.Fuzz READER FILE…` replays files instead and prints each outcome (triage of a finding).
using LstmLens.Fuzz;
using SharpFuzz;

if (args.Length == 0)
{
    Console.Error.WriteLine($"usage: LstmLens.Fuzz READER [FILE…]; readers: {string.Join(", ", ReaderTarget.All.Select(t => t.Name))}");
    return 2;
}
var target = ReaderTarget.Named(args[0]);
string directory = Directory.CreateTempSubdirectory("lstmlens-fuzz-").FullName;
try
{
    if (args.Length > 1)
    {
        foreach (string file in args[1..])
            Console.WriteLine($"{file}: {(target.Run(File.ReadAllBytes(file), directory) ? "accepted" : "rejected")}");
        return 0;
    }
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), directory);
    });
    return 0;
}
finally
{
    Directory.Delete(directory, recursive: true);
}
