// `lstmlens reproduce <recipe>`: runs a paper experiment at --quick or --full scale over --seeds seeds (on the --corpus of recipes that read one) and
// writes results.csv, results.md (our numbers beside the paper's) and SVG learning curves to --out. The
// recipes are the library's (LstmLens.Experiments); this file only parses options and prints.
using System.CommandLine;
using LstmLens.Cli.Output;
using LstmLens.Experiments;
using LstmLens.Tasks;

namespace LstmLens.Cli.Commands;

/// <summary>The reproduce verb.</summary>
public static class ReproduceCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var recipe = new Argument<string>("recipe") { Description = $"Experiment to reproduce: {string.Join(", ", Reproduction.Names)}", HelpName = "recipe" }
            .AcceptOnlyFromAmong([.. Reproduction.Names]);
        var quick = new Option<bool>("--quick") { Description = "Scaled down: at most 10 minutes on 2 cores, 15 for verwimp-memory (the default)" };
        var full = new Option<bool>("--full") { Description = "The paper's settings (hours or days)" };
        var seeds = new Option<int?>("--seeds") { Description = "Seeds per configuration (default 3; verwimp-memory --quick 1)" };
        seeds.Validators.Add(r => { if (r.GetValueOrDefault<int?>() < 1) r.AddError("--seeds must be at least 1"); });
        var output = new Option<string>("--out") { Description = "Output directory (must be new or empty)", DefaultValueFactory = _ => "reproduce" };
        var force = new Option<bool>("--force") { Description = "Replace a non-empty --out (its contents are deleted once the new results are written)" };
        var images = new Option<string?>("--images") { Description = "hdetach-pixel: IDX training images" };
        var labels = new Option<string?>("--labels") { Description = "hdetach-pixel: IDX training labels" };
        var testImages = new Option<string?>("--test-images") { Description = "hdetach-pixel: IDX test images" };
        var testLabels = new Option<string?>("--test-labels") { Description = "hdetach-pixel: IDX test labels" };
        var corpus = new Option<string?>("--corpus") { Description = "verwimp-memory: directory with train.txt, valid.txt and test.txt in word/TAG form (tools/brown_splits.sh)" };
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var command = new Command("reproduce", "Run a paper experiment and put our numbers beside the paper's")
        {
            recipe, quick, full, seeds, output, force, images, labels, testImages, testLabels, corpus, threads, kernels,
        };
        command.SetAction(r =>
        {
            if (r.GetValue(quick) && r.GetValue(full)) throw new OptionException("--quick and --full exclude each other");
            if (r.GetValue(recipe) != "hdetach-pixel") CommonOptions.RefuseGiven(r, $"to {r.GetValue(recipe)} (only to hdetach-pixel)", images, labels, testImages, testLabels);
            if (r.GetValue(recipe) != "verwimp-memory") CommonOptions.RefuseGiven(r, $"to {r.GetValue(recipe)} (only to verwimp-memory)", corpus);
            if ((r.GetValue(testImages) is null) != (r.GetValue(testLabels) is null)) throw new OptionException("--test-images and --test-labels go together");
            string directory = r.GetValue(output)!;
            using var claimed = OutputDirectory.Claim(directory, r.GetValue(force));
            var started = DateTime.UtcNow;
            string environment = CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!);
            Console.WriteLine(environment);
            claimed.Open();
            string name = r.GetValue(recipe)!;
            var scale = r.GetValue(full) ? ReproductionScale.Full : ReproductionScale.Quick;
            var context = new ReproductionContext(scale, r.GetValue(seeds) ?? Reproduction.DefaultSeeds(name, scale), directory, ProgressDisplay.Line)
            {
                Data = new TaskParameters { Images = r.GetValue(images), Labels = r.GetValue(labels) },
                TestData = r.GetValue(testImages) is string test ? new TaskParameters { Images = test, Labels = r.GetValue(testLabels) } : null,
                Corpus = r.GetValue(corpus),
            };
            string markdown = Reproduction.Run(name, context);
            Console.WriteLine();
            Console.Write(markdown);
            Console.WriteLine($"wrote {Path.Combine(directory, "results.md")}, results.csv and curves");
            RunReportOutput.Finish(r, directory, environment, started);
            claimed.Commit();
            return 0;
        });
        return command;
    }
}
