// A fixed team of background threads that runs the cells of one kernel call at a time, without
// allocating per call (Parallel.For allocates about 1.8 KB per call). Idle helpers poll for 0.2 ms
// before they sleep, as OpenBLAS's threads do. The caller works too; helpers join by taking a seat, and seats left when the caller runs out of cells are withdrawn, so a helper
// that wakes late never delays the call. A caller that finds the team busy (another thread's call, or
// a call from inside a cell) is told so and runs its cells itself; kernels that use the team must
// therefore give the same result whoever computes a cell. Not a general thread pool: no queue, no
// futures, one job at a time.
using System.Diagnostics;

namespace LstmLens.Numerics;

/// <summary>Runs <c>body(0..cells-1)</c> on the caller and up to threads - 1 helper threads.</summary>
internal sealed class WorkerTeam
{
    /// <summary>How long an idle helper polls for the next job before it sleeps: 0.2 ms, in Stopwatch ticks.</summary>
    private static readonly long SpinTime = Stopwatch.Frequency / 5000;

    /// <summary>The process's one team, shared by all kernel sets and element types.</summary>
    public static WorkerTeam Shared { get; } = new();

    private readonly Lock _gate = new();                 // held by the caller that owns the current job
    private readonly List<ManualResetEventSlim> _wake = [];   // one per helper, so idle helpers stay asleep
    private Action<int>? _body;
    private int _cells;
    private int _nextCell;
    private int _jobs;         // jobs published so far; helpers spin on it before they sleep
    private int _seats;        // helpers still allowed to join the current job
    private int _finished;     // helpers that joined and finished
    private Exception? _error;

    /// <summary>
    /// Runs every cell once, on this thread and up to <paramref name="threads"/> - 1 helpers; returns
    /// false without running anything when the team is busy.
    /// </summary>
    public bool TryRun(int threads, int cells, Action<int> body)
    {
        // Lock is re-entrant; a call from inside a cell on the owning thread must not reuse the job.
        if (_gate.IsHeldByCurrentThread || !_gate.TryEnter()) return false;
        try
        {
            int helpers = Math.Max(0, Math.Min(threads, cells) - 1);
            EnsureHelpers(helpers);
            _body = body;
            _cells = cells;
            _nextCell = 0;
            _finished = 0;
            _error = null;
            Volatile.Write(ref _seats, helpers);   // publishes the job: a helper reads it after taking a seat
            Interlocked.Increment(ref _jobs);
            for (int i = 0; i < helpers; i++) _wake[i].Set();
            try
            {
                RunCells();
            }
            finally
            {
                // Even when a cell threw here: withdraw the free seats and wait for the helpers that
                // joined, so that none still runs this job when the next one is published.
                int joined = helpers - Interlocked.Exchange(ref _seats, 0);
                var spin = new SpinWait();
                while (Volatile.Read(ref _finished) < joined) spin.SpinOnce(sleep1Threshold: -1); // never Sleep(1): a cell takes microseconds
                _body = null;
            }
            if (_error is not null) throw new AggregateException("A kernel cell failed on a helper thread.", _error);
            return true;
        }
        finally
        {
            _gate.Exit();
        }
    }

    private void RunCells()
    {
        var body = _body!;
        int cell;
        while ((cell = Interlocked.Increment(ref _nextCell) - 1) < _cells) body(cell);
    }

    private void EnsureHelpers(int count)
    {
        while (_wake.Count < count)
        {
            var wake = new ManualResetEventSlim(false, spinCount: 200);
            _wake.Add(wake);
            new Thread(() => HelperLoop(wake)) { IsBackground = true, Name = $"LstmLens kernel helper {_wake.Count}" }.Start();
        }
    }

    /// <summary>
    /// Waits for a job, spinning for <see cref="SpinTime"/> before sleeping (a sleeping thread wakes
    /// too late to help with a product of 100 µs), then joins it if a seat is left (a late wake finds none).
    /// </summary>
    private void HelperLoop(ManualResetEventSlim wake)
    {
        int seen = Volatile.Read(ref _jobs);
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + SpinTime;
            while (Volatile.Read(ref _jobs) == seen && Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(20);
            if (Volatile.Read(ref _jobs) == seen) wake.Wait();
            wake.Reset();
            seen = Volatile.Read(ref _jobs);
            if (!TakeSeat()) continue;
            try
            {
                RunCells();
            }
#pragma warning disable CA1031 // The exception is handed to the calling thread, which rethrows it.
            catch (Exception error)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _error, error, null);
            }
            Interlocked.Increment(ref _finished);
        }
    }

    /// <summary>Claims one of the current job's seats, if any are left.</summary>
    private bool TakeSeat()
    {
        int seats = Volatile.Read(ref _seats);
        while (seats > 0)
        {
            int seen = Interlocked.CompareExchange(ref _seats, seats - 1, seats);
            if (seen == seats) return true;
            seats = seen;
        }
        return false;
    }
}
