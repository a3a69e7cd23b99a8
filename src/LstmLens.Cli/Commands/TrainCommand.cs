// `lstmlens train`: trains a language model on a corpus and writes a run directory (config.json,
// vocab.txt, model.safetensors with the best validation weights, metrics.jsonl, checkpoint.safetensors);
// a directory that holds anything is refused unless --resume continues its run or --force replaces it.
// --resume continues a run from its checkpoint exactly; Ctrl+C (exit 130) and SIGTERM (exit 143) save a
// checkpoint and exit cleanly.
// --init-from starts from the parameters of a model directory (e.g. PyTorch's initial draw, written by
// tools/torch_train_lm.py --save-init) instead of drawing them.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using LstmLens.Cli.Output;
using LstmLens.Data;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Cli.Commands;

/// <summary>The train verb.</summary>
public static class TrainCommand
{
    private const string TrainingSection = "training", DataSection = "data", BatchingSection = "batching", InitFromSection = "init_from";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new Options();
        var command = new Command("train", "Train a language model on a corpus (truncated BPTT)");
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(r => Run(r, o));
        return command;
    }

    private sealed class Options
    {
        public readonly Option<string?> Train = new("--train") { Description = "Training text (one sentence per line)" };
        public readonly Option<string?> Valid = new("--valid") { Description = "Validation text" };
        public readonly Option<string?> Test = new("--test") { Description = "Test text (evaluated with the best model at the end)" };
        public readonly Option<string?> Corpus = new("--corpus") { Description = "Directory with ptb.*.txt, wiki.*.tokens, {train,valid,test}.txt or .conllu" };
        public readonly Option<CorpusFormat?> Format = new("--format") { Description = "text, tagged (word/TAG) or conllu (default: by extension)" };
        public readonly Option<bool> SkipBlankLines = CommonOptions.SkipBlankLines();
        public readonly Option<string> Cell = CommonOptions.Cell();
        public readonly Option<int> Layers = CommonOptions.Positive("--layers", "Stacked recurrent layers", 1);
        public readonly Option<int> Embed = CommonOptions.Positive("--embed", "Embedding size E", 64);
        public readonly Option<int> Hidden = CommonOptions.Positive("--hidden", "Hidden units H per layer", 256);
        public readonly Option<int> Batch = CommonOptions.Positive("--batch", "Parallel streams B", 20);
        public readonly Option<int> Bptt = CommonOptions.Positive("--bptt", "Steps per BPTT window T", 35);
        public readonly Option<int> Epochs = CommonOptions.Positive("--epochs", "Passes over the training data", 6);
        public readonly Option<string> Optimizer = new Option<string>("--optimizer") { Description = "Optimizer", DefaultValueFactory = _ => "sgd" }
            .AcceptOnlyFromAmong("sgd", "adam", "adagrad");
        public readonly Option<double> Lr = new("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1.0 };
        public readonly Option<double> Momentum = new("--momentum") { Description = "SGD momentum" };
        public readonly Option<double?> LrDecay = new("--lr-decay") { Description = "Decay factor: per epoch after --decay-after, else on validation plateau" };
        public readonly Option<int?> DecayAfter = new("--decay-after") { Description = "Epochs at the initial rate before decaying every epoch" };
        public readonly Option<string> Clip = CommonOptions.Clip("5");
        public readonly Option<double> Dropout = new("--dropout") { Description = "Dropout on recurrent layer outputs" };
        public readonly Option<double?> InitRange = new("--init-range") { Description = "Uniform initialisation range a (default: PyTorch's)" };
        public readonly Option<double> HDetach = CommonOptions.Probability("--h-detach", "h-detach blocking probability");
        public readonly Option<double> CDetach = CommonOptions.Probability("--c-detach", "c-detach blocking probability");
        public readonly Option<int> AnnealDetach = new("--anneal-detach") { Description = "Switch detaching off for the last K epochs" };
        public readonly Option<ulong> Seed = CommonOptions.Seed();
        public readonly Option<int> Threads = CommonOptions.Threads();
        public readonly Option<string> Kernels = CommonOptions.Kernels();
        public readonly Option<int?> MaxVocab = new("--max-vocab") { Description = "Vocabulary cap (including <unk>, <eos>)" };
        public readonly Option<int> MinCount = CommonOptions.Positive("--min-count", "Minimum count of a word in training data", 1);
        public readonly Option<int?> EvalEvery = new("--eval-every") { Description = "Also validate every N updates" };
        public readonly Option<int?> Patience = new("--patience") { Description = "Early stopping after N validations without improvement" };
        public readonly Option<int> CheckpointEvery = CommonOptions.Positive("--checkpoint-every", "Updates between checkpoints", 200);
        public readonly Option<string> Out = new("--out") { Description = "Run directory", DefaultValueFactory = _ => "runs/lm" };
        public readonly Option<bool> Resume = new("--resume") { Description = "Continue the run in --out from its checkpoint" };
        public readonly Option<bool> Force = new("--force") { Description = "Replace a non-empty --out (its contents are deleted once the new run has written its first checkpoint)" };
        public readonly Option<string?> InitFrom = new("--init-from") { Description = "Start from the parameters of this model directory (same vocabulary and architecture)" };
        public readonly Option<bool> Json = CommonOptions.Json();

        public IEnumerable<Option> All => GetType().GetFields().Select(f => (Option)f.GetValue(this)!);

        /// <summary>
        /// Every option that fixes the run, with its value read from the command line and its value in the run being resumed, both as the
        /// command line means them (paths absolute, --clip a number or null for none, the schedule as --lr-decay and --decay-after).
        /// </summary>
        public IEnumerable<(Option Option, Func<object?> Given, object? InRun)> RunDefining(ParseResult r, ResumedRun run) =>
        [
            Entry(r, Train, FullPath, run.Source.Train), Entry(r, Valid, FullPath, run.Source.Valid), Entry(r, Test, FullPath, run.Source.Test),
            Entry(r, Corpus, d => Splits(Data.Corpus.FindSplits(d!)), Splits((run.Source.Train, run.Source.Valid, run.Source.Test))),
            Entry(r, Format, f => f, (CorpusFormat?)run.Source.Format), Entry(r, SkipBlankLines, b => b, run.Source.SkipBlankLines),
            Entry(r, MaxVocab, v => v, run.Source.MaxVocabulary), Entry(r, MinCount, v => v, run.Source.MinCount),
            Entry(r, Cell, c => RecurrentLayers.ParseCell(c!), run.Model.Cell), Entry(r, Layers, v => v, run.Model.NumLayers),
            Entry(r, Embed, v => v, run.Model.EmbeddingSize), Entry(r, Hidden, v => v, run.Model.HiddenSize),
            Entry(r, Dropout, v => v, run.Model.Dropout), Entry(r, InitRange, v => v, run.Model.InitRange),
            Entry(r, Batch, v => v, run.Batching.Batch), Entry(r, Bptt, v => v, run.Batching.Bptt), Entry(r, EvalEvery, v => v, run.Batching.EvalEvery),
            Entry(r, Patience, v => v, run.Batching.Patience), Entry(r, CheckpointEvery, v => v, run.Batching.CheckpointEvery),
            Entry(r, Epochs, v => v, run.Training.Epochs), Entry(r, Optimizer, v => v, run.Training.Optimizer), Entry(r, Lr, v => v, run.Training.LearningRate),
            Entry(r, Momentum, v => v, run.Training.Momentum),
            Entry(r, LrDecay, v => v, run.Training.Schedule == ScheduleKind.Constant ? null : run.Training.DecayFactor),
            Entry(r, DecayAfter, v => v, run.Training.Schedule == ScheduleKind.StepDecay ? run.Training.DecayAfter : null),
            Entry(r, Clip, CommonOptions.ClipNorm, run.Training.ClipNorm), Entry(r, HDetach, v => v, run.Training.HDetach), Entry(r, CDetach, v => v, run.Training.CDetach),
            Entry(r, AnnealDetach, v => v, run.Training.AnnealDetachEpochs), Entry(r, Seed, v => v, run.Training.Seed),
            Entry(r, InitFrom, FullPath, run.InitFrom),
        ];

        private static (Option, Func<object?>, object?) Entry<T, TValue>(ParseResult r, Option<T> option, Func<T, TValue> read, TValue inRun) =>
            (option, () => read(r.GetValue(option)!), inRun);

        private static string FullPath(string? path) => Path.GetFullPath(path!);

        private static string Splits((string Train, string Valid, string? Test) splits) =>
            string.Join(", ", new[] { splits.Train, splits.Valid, splits.Test }.OfType<string>().Select(Path.GetFullPath));
    }

    private static int Run(ParseResult r, Options o)
    {
        var started = DateTime.UtcNow;
        string directory = r.GetValue(o.Out)!;
        bool resume = r.GetValue(o.Resume);
        string? initFrom = r.GetValue(o.InitFrom);
        if (initFrom is not null) CommonOptions.RefuseGiven(r, "with --init-from (the parameters come from its model)", o.InitRange);
        if (resume && r.GetValue(o.Force)) throw new OptionException("--force cannot be used with --resume (--resume continues the run in --out, --force replaces it)");
        using var output = resume ? null : OutputDirectory.Claim(directory, r.GetValue(o.Force), ", add --resume to continue its run,");
        string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
        Console.WriteLine(environment);
        ModelConfig? model = null;
        TrainingOptions training;
        LanguageModelSettings batching;
        CorpusSource source;
        Vocabulary? vocabulary = null;
        if (resume)
        {
            (model, var root) = ModelFiles.ReadConfig(directory);
            training = ModelFiles.ReadSection<TrainingOptions>(directory, root, TrainingSection) ?? throw new InvalidDataException($"{directory}: config.json has no training section");
            batching = ModelFiles.ReadSection<LanguageModelSettings>(directory, root, BatchingSection) ?? throw new InvalidDataException($"{directory}: config.json has no batching section");
            source = ModelFiles.ReadSection<CorpusSource>(directory, root, DataSection) ?? throw new InvalidDataException($"{directory}: config.json has no data section");
            if (root[DataSection]?["skip_blank_lines"] is null) source = source with { SkipBlankLines = true }; // runs from before blank lines counted
            CheckResumed(r, o, new ResumedRun(model, training, batching, source, root[InitFromSection]?.GetValue<string>()), Path.Combine(directory, ModelFiles.ConfigFile));
            initFrom = null; // the checkpoint holds the parameters
            vocabulary = Vocabulary.Load(Path.Combine(directory, ModelFiles.VocabularyFile));
        }
        else
        {
            source = Source(r, o);
            training = Training(r, o);
            batching = new LanguageModelSettings
            {
                Batch = r.GetValue(o.Batch), Bptt = r.GetValue(o.Bptt), EvalEvery = r.GetValue(o.EvalEvery),
                Patience = r.GetValue(o.Patience), CheckpointEvery = r.GetValue(o.CheckpointEvery),
            };
            batching.Validate();
        }

        var clock = Stopwatch.StartNew();
        var corpus = LanguageModelCorpus.Load(source, vocabulary);
        Console.WriteLine($"corpus: {corpus.Train.Count:N0} training tokens, {corpus.Valid.Count:N0} validation tokens" +
            (corpus.Test is null ? "" : $", {corpus.Test.Count:N0} test tokens") +
            $" (<eos> ending every line, {(source.SkipBlankLines ? "blank lines skipped" : "blank lines included")}); vocabulary {corpus.Vocabulary.Count:N0} " +
            $"({corpus.Train.UnknownCount:N0} training words mapped to <unk>); read in {clock.Elapsed.TotalSeconds:F1} s");
        if (model is null)
        {
            model = new ModelConfig
            {
                Cell = RecurrentLayers.ParseCell(r.GetValue(o.Cell)!),
                InputSize = corpus.Vocabulary.Count,
                EmbeddingSize = r.GetValue(o.Embed),
                HiddenSize = r.GetValue(o.Hidden),
                NumLayers = r.GetValue(o.Layers),
                OutputSize = corpus.Vocabulary.Count,
                Dropout = r.GetValue(o.Dropout),
                InitRange = r.GetValue(o.InitRange),
            };
            try
            {
                model.Validate();
            }
            catch (ArgumentException e)
            {
                throw new OptionException($"invalid model option: {e.Message}", e);
            }
        }

        var rng = new Rng(training.Seed);
        var network = new SequenceModel<float>(model, rng.Split());
        network.Initialize(rng.Split()); // drawn even with --init-from, so that the later generators (dropout, detaching) are the same
        if (initFrom is not null)
        {
            CheckInitFrom(initFrom, model, corpus.Vocabulary, o);
            ModelFiles.LoadWeights(initFrom, network.Store);
        }
        if (!resume) // written only now, so that bad input leaves an existing run directory alone
        {
            var sections = new Dictionary<string, object> { [TrainingSection] = training, [BatchingSection] = batching, [DataSection] = source };
            if (initFrom is not null) sections[InitFromSection] = Path.GetFullPath(initFrom);
            output!.Open();
            ModelFiles.WriteConfig(directory, model, sections);
            corpus.Vocabulary.Save(Path.Combine(directory, ModelFiles.VocabularyFile));
        }
        var trainer = new LanguageModelTrainer(network, training, batching, corpus.Train.Ids, corpus.Valid.Ids, directory, rng.Split())
        {
            Checkpointed = output is null ? null : output.Commit,
        };
        Console.WriteLine($"model: {model.Cell.ToString().ToLowerInvariant()} {model.NumLayers}×{model.HiddenSize}, embedding {model.EmbeddingSize}, " +
            $"{network.Store.Length:N0} parameters{(initFrom is null ? "" : $" from {initFrom}")}; {trainer.Batches.Count:N0} windows of {batching.Bptt}×{batching.Batch} per epoch; run directory {directory}");

        // Ctrl+C (SIGINT) and SIGTERM stop after the current update with a checkpoint; the exit code is 128 + the signal's number.
        using var stop = new CancellationTokenSource();
        int stoppedBy = 0;
        void OnSignal(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stoppedBy = signal.Signal == PosixSignal.SIGTERM ? 143 : 130;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        TrainingOutcome outcome;
        try
        {
            outcome = RunWithProgress(trainer, resume, batching, stop.Token);
        }
        catch (NonFiniteException e)
        {
            throw new InvalidDataException($"training stopped: {e.Message}; the last checkpoint ({trainer.CheckpointPath}) and best model are intact", e);
        }
        Report(outcome, directory, corpus, batching, trainer, r.GetValue(o.Json));
        RunReportOutput.Finish(r, directory, environment, started);
        output?.Commit();
        return outcome == TrainingOutcome.Interrupted ? stoppedBy : 0;
    }

    /// <summary>What config.json records of the run that --resume continues.</summary>
    private sealed record ResumedRun(ModelConfig Model, TrainingOptions Training, LanguageModelSettings Batching, CorpusSource Source, string? InitFrom);

    /// <summary>
    /// The original command line may be given again with --resume: every option given must have the run's value; a different one is
    /// refused, naming both.
    /// </summary>
    private static void CheckResumed(ParseResult r, Options o, ResumedRun run, string config)
    {
        foreach (var (option, given, inRun) in o.RunDefining(r, run))
        {
            if (r.GetResult(option) is not { Implicit: false }) continue;
            object? value = given();
            if (!Equals(value, inRun))
                throw new OptionException($"{option.Name} {Show(value)} differs from the run's {Show(inRun)} ({config}); --resume continues the run as it was");
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "(none)",
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    /// <summary>Throws unless the model directory of --init-from has this run's vocabulary and architecture options.</summary>
    private static void CheckInitFrom(string directory, ModelConfig model, Vocabulary vocabulary, Options o)
    {
        var (saved, _) = ModelFiles.ReadConfig(directory);
        string config = Path.Combine(directory, ModelFiles.ConfigFile);
        (Option Option, object InFile, object InRun)[] architecture =
        [
            (o.Cell, saved.Cell.ToString().ToLowerInvariant(), model.Cell.ToString().ToLowerInvariant()),
            (o.Layers, saved.NumLayers, model.NumLayers), (o.Embed, saved.EmbeddingSize, model.EmbeddingSize), (o.Hidden, saved.HiddenSize, model.HiddenSize),
        ];
        foreach (var (option, inFile, inRun) in architecture)
        {
            if (!inFile.Equals(inRun)) throw new InvalidDataException($"--init-from: {config} has {option.Name} {inFile}, but this run has {option.Name} {inRun}");
        }
        string path = Path.Combine(directory, ModelFiles.VocabularyFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"--init-from: {path}: no such file", path);
        var tokens = Vocabulary.Load(path).Tokens;
        if (!tokens.SequenceEqual(vocabulary.Tokens))
        {
            int line = tokens.Zip(vocabulary.Tokens).TakeWhile(pair => pair.First == pair.Second).Count();
            string Token(IReadOnlyList<string> list) => line < list.Count ? $"'{list[line]}'" : "the end";
            throw new InvalidDataException($"--init-from: {path} is not this run's vocabulary ({tokens.Count:N0} tokens, this run {vocabulary.Count:N0}; " +
                $"line {line + 1} has {Token(tokens)}, this run {Token(vocabulary.Tokens)})");
        }
    }

    private static TrainingOutcome RunWithProgress(LanguageModelTrainer trainer, bool resume, LanguageModelSettings batching, CancellationToken stop)
    {
        TrainingOutcome outcome = TrainingOutcome.Completed;
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        int lastEpoch = -1;
        ProgressDisplay.Run("training", 1.0, progress =>
        {
            outcome = trainer.Run(resume, stop, p =>
            {
                tokens += batching.Bptt * (long)batching.Batch;
                progress((p.Epoch + (double)p.Window / p.Windows) / p.Epochs);
                bool epochDone = p.Window == p.Windows;
                if (epochDone || (p.Window % 100 == 0 && !ProgressDisplay.Interactive) || p.Epoch != lastEpoch)
                {
                    lastEpoch = p.Epoch;
                    ProgressDisplay.Line(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {p.Epoch + 1}/{p.Epochs} window {p.Window}/{p.Windows}  train loss {p.TrainLoss:F4}  perplexity {Math.Exp(p.TrainLoss):F2}  lr {p.LearningRate:G4}  {tokens / clock.Elapsed.TotalSeconds:N0} tokens/s"));
                }
            });
        });
        return outcome;
    }

    private static void Report(TrainingOutcome outcome, string directory, LanguageModelCorpus corpus,
        LanguageModelSettings batching, LanguageModelTrainer trainer, bool json)
    {
        var lines = File.ReadLines(trainer.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        double bestValid = lines.Count == 0 ? double.NaN : lines.Min(l => MetricsLog.Number(l.GetProperty("valid_perplexity")));
        double? test = null;
        if (outcome != TrainingOutcome.Interrupted && corpus.Test is not null && lines.Count > 0)
        {
            var (best, _, _) = ModelFiles.Load<float>(directory);
            test = Math.Exp(LanguageModelTrainer.Evaluate(best, corpus.Test.Ids, batching.EvalBatch, batching.Bptt).Loss);
        }
        Console.WriteLine(outcome == TrainingOutcome.Interrupted
            ? $"interrupted: checkpoint saved; continue with --resume --out {directory}"
            : string.Create(CultureInfo.InvariantCulture,
                $"{outcome.ToString().ToLowerInvariant()}: best validation perplexity {bestValid:F2}{(test is double t ? $", test perplexity {t:F2}" : "")}; model in {directory}"));
        if (json)
        {
            JsonOutput.Write(new
            {
                outcome = outcome.ToString().ToLowerInvariant(), best_valid_perplexity = bestValid, test_perplexity = test, directory,
                train_tokens = corpus.Train.Count, valid_tokens = corpus.Valid.Count, test_tokens = corpus.Test?.Count,
            });
        }
    }

    private static CorpusSource Source(ParseResult r, Options o)
    {
        string? train = r.GetValue(o.Train), valid = r.GetValue(o.Valid), test = r.GetValue(o.Test), directory = r.GetValue(o.Corpus);
        if (directory is not null && (train ?? valid ?? test) is not null) throw new OptionException("give either --corpus or --train/--valid/--test, not both");
        if (directory is not null) (train, valid, test) = Data.Corpus.FindSplits(directory);
        if (train is null || valid is null) throw new OptionException("--train and --valid (or --corpus) are required");
        if (r.GetValue(o.MaxVocab) is int cap and < 2) throw new OptionException($"--max-vocab must be at least 2, for <unk> and <eos> (got {cap})");
        return new CorpusSource
        {
            Train = Path.GetFullPath(train), Valid = Path.GetFullPath(valid), Test = test is null ? null : Path.GetFullPath(test),
            Format = r.GetValue(o.Format) ?? Corpus.GuessFormat(train),
            MaxVocabulary = r.GetValue(o.MaxVocab), MinCount = r.GetValue(o.MinCount), SkipBlankLines = r.GetValue(o.SkipBlankLines),
        };
    }

    private static TrainingOptions Training(ParseResult r, Options o)
    {
        double? decay = r.GetValue(o.LrDecay);
        int? after = r.GetValue(o.DecayAfter);
        if (after is not null && decay is null) throw new OptionException("--decay-after applies only with --lr-decay (the factor to decay by)");
        var options = new TrainingOptions
        {
            Optimizer = r.GetValue(o.Optimizer)!,
            LearningRate = r.GetValue(o.Lr),
            Momentum = r.GetValue(o.Momentum),
            Schedule = after is not null ? ScheduleKind.StepDecay : decay is not null ? ScheduleKind.Plateau : ScheduleKind.Constant,
            DecayFactor = decay ?? 0.8,
            DecayAfter = after ?? 0,
            ClipNorm = CommonOptions.ClipNorm(r.GetValue(o.Clip)),
            HDetach = r.GetValue(o.HDetach),
            CDetach = r.GetValue(o.CDetach),
            AnnealDetachEpochs = r.GetValue(o.AnnealDetach),
            Epochs = r.GetValue(o.Epochs),
            Seed = r.GetValue(o.Seed),
        };
        options.Validate();
        CommonOptions.CheckCDetach(options.CDetach, r.GetValue(o.Cell)!);
        return options;
    }
}
