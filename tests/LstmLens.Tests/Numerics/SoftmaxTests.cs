// Row-wise softmax of every kernel set (the reference included): rows sum to one, the returned
// log-sum-exp equals log Σ e^x computed independently in double, large logits do not overflow, and the
// fast sets agree with the reference at every row length 0..256.
using System.Numerics;
using LstmLens.Numerics;
using Xunit;
using static LstmLens.Tests.Numerics.KernelSets;

namespace LstmLens.Tests.Numerics;

public class SoftmaxTests
{
    public static TheoryData<string> AllSets
    {
        get
        {
            var data = new TheoryData<string> { "reference" };
            foreach (string set in Fast) data.Add(set);
            return data;
        }
    }

    [Theory, MemberData(nameof(AllSets))]
    public void Rows_sum_to_one_and_log_sum_exp_is_exact(string set)
    {
        Check<float>(set);
        Check<double>(set);

        static void Check<T>(string set) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var kernels = Compute.Create<T>(set);
            const int rows = 3;
            for (int cols = 1; cols <= 256; cols++)
            {
                // Logits up to ±120: e^120 overflows float, so this also checks the max subtraction.
                T[] x = Random<T>(rows * cols, (ulong)cols, range: 120);
                var y = new T[rows * cols];
                var logSumExp = new T[rows];
                kernels.SoftmaxRows(x, rows, cols, y, logSumExp);
                T epsilon = MachineEpsilon<T>();
                for (int r = 0; r < rows; r++)
                {
                    string context = $"SoftmaxRows<{typeof(T).Name}> [{set}] cols={cols} row {r}";
                    T sum = T.Zero;
                    for (int j = 0; j < cols; j++) sum += y[r * cols + j];
                    AssertClose<T>([T.One], [sum], [T.CreateChecked(2 * cols + 8) * epsilon], context + " sum");

                    double max = double.NegativeInfinity, total = 0;
                    for (int j = 0; j < cols; j++) max = Math.Max(max, double.CreateChecked(x[r * cols + j]));
                    for (int j = 0; j < cols; j++) total += Math.Exp(double.CreateChecked(x[r * cols + j]) - max);
                    T exact = T.CreateChecked(max + Math.Log(total));
                    AssertClose<T>([exact], [logSumExp[r]], [T.CreateChecked(8) * epsilon * T.Max(T.One, T.Abs(exact))], context + " log-sum-exp");
                }
            }
        }
    }

    [Theory, MemberData(nameof(Fast), MemberType = typeof(KernelSets))]
    public void Fast_sets_match_the_reference_in_place_at_every_length(string set)
    {
        Check<float>(set);
        Check<double>(set);

        static void Check<T>(string set) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var reference = Compute.Create<T>("reference");
            var fast = Compute.Create<T>(set);
            const int rows = 2;
            for (int cols = 0; cols <= 256; cols++)
            {
                T[] x = Random<T>(rows * cols, (ulong)cols + 500, range: 10);
                var expected = new T[rows * cols];
                T[] actual = (T[])x.Clone();   // in place: y aliases x
                var expectedLse = new T[rows];
                var actualLse = new T[rows];
                reference.SoftmaxRows(x, rows, cols, expected, expectedLse);
                fast.SoftmaxRows(actual, rows, cols, actual, actualLse);
                T epsilon = MachineEpsilon<T>();
                string context = $"SoftmaxRows<{typeof(T).Name}> [{set}] cols={cols}";
                // exp within a few ulp on each side, plus the rounding of the normalising sum.
                T[] tolerance = Array.ConvertAll(expected, v => T.CreateChecked(cols + 16) * epsilon * v);
                AssertClose<T>(expected, actual, tolerance, context);
                if (cols == 0) AssertIdentical<T>(expectedLse, actualLse, context + " log-sum-exp");
                else AssertClose<T>(expectedLse, actualLse, Array.ConvertAll(expectedLse, v => T.CreateChecked(8) * epsilon * T.Max(T.One, T.Abs(v))), context + " log-sum-exp");
            }
        }
    }
}
