using LstmLens.Layers;
using LstmLens.Training;

namespace LstmLens.Tests.Layers;

public class GradientCheckTests
{
    // (h-detach, c-detach) probabilities: every cell takes the first list, cells with c also the second.
    private static readonly (double H, double C)[] HDetachCases = [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)];
    private static readonly (double H, double C)[] CDetachCases = [(0.0, 0.5), (0.5, 0.5)];

    public static TheoryData<string, int, double, double> Cases()
    {
        var data = new TheoryData<string, int, double, double>();
        foreach (string cell in CellTestData.Cells)
        {
            var detach = CellTestData.HasCellState(cell) ? HDetachCases.Concat(CDetachCases) : HDetachCases;
            foreach (int layers in new[] { 1, 2 })
                foreach (var (h, c) in detach)
                    data.Add(cell, layers, h, c);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Finite_differences_match_analytic_gradients(string cell, int layers, double hDetach, double cDetach)
    {
        var report = RecurrentGradientCheck.Run(RecurrentLayers.ParseCell(cell), layers, hDetach, cDetach, seed: 7);
        Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < 1e-6, $"{t.Name}: {t.MaxRelativeError:E2}"));
        Assert.Equal(layers * 4 + 2, report.Tensors.Count);
    }

    public static TheoryData<string, string> KernelCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string cell in CellTestData.Cells)
            foreach (string kernels in LstmLens.Numerics.Compute.KernelSetNames.Where(LstmLens.Numerics.Compute.IsAvailable))
                data.Add(cell, kernels);
        return data;
    }

    /// <summary>
    /// The same check under every kernel set, with a batch of 9 so that with several threads the LSTM
    /// recurrence runs over batch parts.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelCases))]
    public void Finite_differences_match_analytic_gradients_under_every_kernel_set(string cell, string kernels)
    {
        double cDetach = CellTestData.HasCellState(cell) ? 0.5 : 0;
        var report = RecurrentGradientCheck.Run(RecurrentLayers.ParseCell(cell), layers: 2, hDetach: 0.5, cDetach: cDetach, seed: 11,
            batch: 9, kernels: LstmLens.Numerics.Compute.Create<double>(kernels));
        Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < 1e-6, $"{kernels} {t.Name}: {t.MaxRelativeError:E2}"));
    }
}
