// Reads one sequence of a time-major batch back as plain arrays, for the structure tests.
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

internal static class SequenceOf
{
    public static int[] Tokens<T>(TaskBatch<T> batch, int b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        [.. Enumerable.Range(0, batch.Lengths[b]).Select(t => batch.Tokens[t * batch.BatchSize + b])];

    public static int[] StepClasses<T>(TaskBatch<T> batch, int b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        [.. Enumerable.Range(0, batch.Lengths[b]).Select(t => batch.StepClasses[t * batch.BatchSize + b])];

    public static double[] Feature(TaskBatch<double> batch, int b, int feature) =>
        [.. Enumerable.Range(0, batch.Lengths[b]).Select(t => batch.Vectors[(t * batch.BatchSize + b) * batch.InputSize + feature])];
}
