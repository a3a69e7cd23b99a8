// `lstmlens gradcheck`: the float64 finite-difference check of a small random recurrent stack, one
// line per tensor, exit code 1 when the largest relative error exceeds 1e-6.
using System.CommandLine;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Layers;

namespace LstmLens.Cli.Commands;

/// <summary>The gradcheck verb.</summary>
public static class GradcheckCommand
{
    /// <summary>Largest relative error accepted.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var cell = CommonOptions.Cell();
        var layers = new Option<int>("--layers") { Description = "Stacked layers", DefaultValueFactory = _ => 1 };
        layers.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 8) r.AddError("--layers must be between 1 and 8"); });
        var hDetach = CommonOptions.Probability("--h-detach", "Probability of blocking the gradient through h(t-1) at a step");
        var cDetach = CommonOptions.Probability("--c-detach", "Probability of blocking the gradient through c(t-1) at a step");
        var seed = CommonOptions.Seed();
        var json = CommonOptions.Json();
        var command = new Command("gradcheck", "Check analytic gradients against finite differences in float64")
        {
            cell, layers, hDetach, cDetach, seed, json,
        };
        command.SetAction(r =>
        {
            var cellType = RecurrentLayers.ParseCell(r.GetValue(cell)!);
            double c = r.GetValue(cDetach);
            CommonOptions.CheckCDetach(c, r.GetValue(cell)!);
            var report = RecurrentGradientCheck.Run(cellType, r.GetValue(layers), r.GetValue(hDetach), c, r.GetValue(seed));
            bool ok = report.MaxRelativeError <= Tolerance;
            if (r.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    cell = r.GetValue(cell),
                    layers = r.GetValue(layers),
                    tensors = report.Tensors.Select(t => new { name = t.Name, count = t.Checked, max_relative_error = t.MaxRelativeError }),
                    max_relative_error = report.MaxRelativeError,
                    passed = ok,
                });
            }
            else
            {
                foreach (var t in report.Tensors)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t.Name,-20} {t.Checked,5} elements  max relative error {t.MaxRelativeError:E2}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"max relative error {report.MaxRelativeError:E2}"));
            }
            return ok ? 0 : CommandRunner.Failure;
        });
        return command;
    }
}
