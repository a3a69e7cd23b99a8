// Where a training step's time goes: wall time per phase, accumulated while Enabled is set (by the
// profile benchmark), summed over the threads that run a phase. The hot paths mark phase boundaries
// with Start/Stop, which cost one static read when profiling is off. Not a tracer: no nesting, no
// events, one process-wide table.
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace LstmLens.Numerics;

/// <summary>The phases of a training step, as the profile table lists them.</summary>
public enum StepPhase
{
    /// <summary>Input projection W_ih x + b of all steps, and its backward dX = dZ W_ih.</summary>
    InputProjection,
    /// <summary>The per-step recurrent products h W_hhᵀ (forward) and dZ W_hh (backward).</summary>
    RecurrentProducts,
    /// <summary>The cell's element-wise forward (gates, c, tanh c, h).</summary>
    CellForward,
    /// <summary>The cell's element-wise backward (dz, dc).</summary>
    CellBackward,
    /// <summary>Decoder forward, softmax cross-entropy, decoder dX.</summary>
    DecoderAndSoftmax,
    /// <summary>Weight and bias gradients of every layer (the bulk products after the backward sweep).</summary>
    WeightGradients,
    /// <summary>Global gradient-norm clipping.</summary>
    Clipping,
    /// <summary>The optimiser step.</summary>
    Update,
}

/// <summary>Process-wide per-phase timer for training steps.</summary>
public static class StepProfile
{
    private static readonly long[] Ticks = new long[Enum.GetValues<StepPhase>().Length];

    /// <summary>Whether phases are timed (off by default).</summary>
    public static bool Enabled { get; set; }

    /// <summary>A start mark for <see cref="Stop"/>: the current timestamp, or 0 when profiling is off.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="phase"/> (nothing when the mark is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stop(StepPhase phase, long start)
    {
        if (start != 0) Interlocked.Add(ref Ticks[(int)phase], Stopwatch.GetTimestamp() - start);
    }

    /// <summary>Seconds accumulated in <paramref name="phase"/> since the last <see cref="Reset"/>.</summary>
    public static double Seconds(StepPhase phase) => (double)Volatile.Read(ref Ticks[(int)phase]) / Stopwatch.Frequency;

    /// <summary>Clears every phase.</summary>
    public static void Reset() => Array.Clear(Ticks);
}
