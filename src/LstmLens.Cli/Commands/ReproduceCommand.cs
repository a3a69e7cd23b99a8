// `lstmlens reproduce <recipe>`: runs a paper experiment at --quick or --full scale over --seeds seeds (on the --corpus of recipes that read one) and
// writes results.csv, results.md (our numbers beside the paper's) and SVG learning curves to --out: here (--executor local), or as a Slurm
// job array with a collect job (--executor slurm); --entry N runs one entry of the plan (what an array task does), --collect DIR writes the
// results from the finished runs. The recipes are the library's (LstmLens.Experiments); this file only parses options and prints.
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
        var images = new Option<string?>("--images") { Description = "hdetach-pixel: IDX training images" };
        var labels = new Option<string?>("--labels") { Description = "hdetach-pixel: IDX training labels" };
        var testImages = new Option<string?>("--test-images") { Description = "hdetach-pixel: IDX test images" };
        var testLabels = new Option<string?>("--test-labels") { Description = "hdetach-pixel: IDX test labels" };
        var corpus = new Option<string?>("--corpus") { Description = "verwimp-memory, saphra-english: directory with train.txt, valid.txt and test.txt in word/TAG form (tools/brown_splits.sh)" };
        var force = new Option<bool>("--force") { Description = "Replace a non-empty --out that holds no run group, or start its run group afresh (the old contents are deleted once the new results are written)" };
        var treebank = new Option<string?>("--treebank") { Description = "saphra-english: a CoNLL-U treebank to measure interdependence on (UD English-EWT dev)" };
        var collect = new Option<string?>("--collect") { Description = "Write the results of the run group in DIR from its finished runs (the settings are DIR's plan.json)" };
        var entry = new Option<int?>("--entry") { Description = "Run entry N of the plan in --out (one Slurm array task)" };
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var group = new RunGroupOptions();
        var command = new Command("reproduce", "Run a paper experiment and put our numbers beside the paper's")
        {
            recipe, quick, full, seeds, output, force, images, labels, testImages, testLabels, corpus, treebank, collect, entry, threads, kernels,
        };
        group.AddTo(command);

        // The options that fix the run group, as the plan keeps them (paths made absolute: array tasks start elsewhere).
        List<string> Settings(ParseResult r)
        {
            var words = new List<string> { r.GetValue(full) ? "--full" : "--quick" };
            string name = r.GetValue(recipe)!;
            var scale = r.GetValue(full) ? ReproductionScale.Full : ReproductionScale.Quick;
            words.AddRange(["--seeds", (r.GetValue(seeds) ?? Reproduction.DefaultSeeds(name, scale)).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            foreach (var option in new[] { images, labels, testImages, testLabels, corpus, treebank })
            {
                if (r.GetValue(option) is string path) words.AddRange([option.Name, Path.GetFullPath(path)]);
            }
            words.AddRange(["--kernels", r.GetValue(kernels)!]);
            return words;
        }

        ReproductionContext Context(ParseResult r, string directory, RunGroupRole role, CancellationToken stop)
        {
            if (r.GetValue(quick) && r.GetValue(full)) throw new OptionException("--quick and --full exclude each other");
            if (r.GetValue(recipe) != "hdetach-pixel") CommonOptions.RefuseGiven(r, $"to {r.GetValue(recipe)} (only to hdetach-pixel)", images, labels, testImages, testLabels);
            if (r.GetValue(recipe) is not ("verwimp-memory" or "saphra-english"))
                CommonOptions.RefuseGiven(r, $"to {r.GetValue(recipe)} (only to verwimp-memory and saphra-english)", corpus);
            if (r.GetValue(recipe) != "saphra-english") CommonOptions.RefuseGiven(r, $"to {r.GetValue(recipe)} (only to saphra-english)", treebank);
            if ((r.GetValue(testImages) is null) != (r.GetValue(testLabels) is null)) throw new OptionException("--test-images and --test-labels go together");
            string name = r.GetValue(recipe)!;
            var scale = r.GetValue(full) ? ReproductionScale.Full : ReproductionScale.Quick;
            return new ReproductionContext(scale, r.GetValue(seeds) ?? Reproduction.DefaultSeeds(name, scale), directory, ProgressDisplay.Line)
            {
                Data = new TaskParameters { Images = r.GetValue(images), Labels = r.GetValue(labels) },
                TestData = r.GetValue(testImages) is string test ? new TaskParameters { Images = test, Labels = r.GetValue(testLabels) } : null,
                Corpus = r.GetValue(corpus),
                Treebank = r.GetValue(treebank),
                Role = role,
                Entry = r.GetValue(entry) ?? 0,
                Stop = stop,
                Arguments = Settings(r),
            };
        }

        // The run group of the plan in `directory`, rebuilt from the settings the plan keeps (--entry and --collect take no others).
        ParseResult FromPlan(ParseResult r, string directory, string option)
        {
            var plan = RunPlan.Load(directory);
            string name = r.GetValue(recipe)!;
            if (plan.Verb != "reproduce" || plan.Name != name)
                throw new OptionException($"{option} {directory}: its plan is '{plan.Describe()}', not reproduce {name}");
            foreach (var fixedByPlan in new Option[] { quick, full, seeds, images, labels, testImages, testLabels, corpus, treebank, kernels })
            {
                if (r.GetResult(fixedByPlan) is { Implicit: false }) throw new OptionException($"{fixedByPlan.Name} cannot be given with {option} (the plan in {directory} fixes it)");
            }
            return command.Parse([name, .. plan.Arguments]);
        }

        command.SetAction(r =>
        {
            var started = DateTime.UtcNow;
            string environment = CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!);
            string name = r.GetValue(recipe)!;
            bool slurm = group.UsesSlurm(r);
            using var signals = new StopSignals();
            if (r.GetValue(collect) is string collected)
            {
                if (slurm || r.GetValue(entry) is not null) throw new OptionException("--collect runs here, alone: it takes neither --executor slurm nor --entry");
                var settings = FromPlan(r, collected, "--collect");
                environment = CommonOptions.Configure(r.GetValue(threads), settings.GetValue(kernels)!);
                Console.WriteLine(environment);
                var incomplete = Reproduction.Incomplete(collected);
                if (incomplete.Count == RunPlan.Load(collected).Entries.Count) throw new InvalidDataException($"--collect {collected}: no run is complete yet");
                string markdown = Reproduction.Run(name, Context(settings, collected, RunGroupRole.Collect, signals.Token));
                Print(markdown, collected);
                RunReportOutput.Finish(r, collected, environment, started);
                if (incomplete.Count == 0) return 0;
                Console.Error.WriteLine($"lstmlens: {RunReportOutput.Count(incomplete.Count, "run")} of {collected} left out of the results (rerun the command that started the group to run them):");
                foreach (string line in incomplete) Console.Error.WriteLine($"  {line}");
                return CommandRunner.Failure;
            }
            string directory = r.GetValue(output)!;
            if (r.GetValue(entry) is not null)
            {
                if (slurm) throw new OptionException("--entry runs one entry here: it takes no --executor slurm");
                var settings = FromPlan(r, directory, "--entry");
                Console.WriteLine(CommonOptions.Configure(r.GetValue(threads), settings.GetValue(kernels)!));
                return Stopped(() => Reproduction.Run(name, Context(settings, directory, RunGroupRole.Entry, signals.Token) with { Entry = r.GetValue(entry)!.Value }));
            }
            // A directory with a run group's plan continues that group; anything else non-empty needs --force.
            bool continuing = !r.GetValue(force) && File.Exists(Path.Combine(directory, RunPlan.FileName));
            using var claimed = OutputDirectory.Claim(directory, r.GetValue(force), ", rerun the command that made its run group to continue it,",
                d => File.Exists(Path.Combine(d, RunPlan.FileName)));
            Console.WriteLine(environment);
            if (!continuing) claimed.Open();
            if (slurm)
            {
                var plan = Reproduction.Plan(name, Context(r, directory, RunGroupRole.Plan, signals.Token));
                string absolute = Path.GetFullPath(directory);
                group.Submit(r, directory, plan,
                    ["reproduce", name, "--entry", SlurmJobs.IndexPlaceholder, "--out", absolute, "--threads", "1"],
                    ["reproduce", name, "--collect", absolute, "--threads", r.GetValue(group.CpusPerTask).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                claimed.Commit();
                return 0;
            }
            return Stopped(() =>
            {
                Print(Reproduction.Run(name, Context(r, directory, RunGroupRole.Local, signals.Token)), directory);
                RunReportOutput.Finish(r, directory, environment, started);
                claimed.Commit();
                return "";
            });
        });
        return command;
    }

    private static void Print(string markdown, string directory)
    {
        Console.WriteLine();
        Console.Write(markdown);
        Console.WriteLine($"wrote {Path.Combine(directory, "results.md")}, results.csv and curves");
    }

    // Runs `run`; a stop signal ends it (task runs save their checkpoints): one line and exit 1; the same command continues.
    private static int Stopped(Func<string> run)
    {
        try
        {
            run();
            return 0;
        }
        catch (OperationCanceledException e)
        {
            Console.Error.WriteLine($"lstmlens: stopped: {e.Message}; run the same command again to continue");
            return CommandRunner.Failure;
        }
    }
}
