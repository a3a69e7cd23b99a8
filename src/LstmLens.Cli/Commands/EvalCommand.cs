// `lstmlens eval`: perplexity of a trained language model on a text file, words outside the model's
// vocabulary counted as <unk>.
using System.CommandLine;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Training;

namespace LstmLens.Cli.Commands;

/// <summary>The eval verb.</summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (config.json, model.safetensors, vocab.txt)", Required = true };
        var data = new Option<string>("--data") { Description = "Text to evaluate", Required = true };
        var format = new Option<CorpusFormat?>("--format") { Description = "text, tagged or conllu (default: by extension)" };
        var batch = new Option<int>("--batch") { Description = "Parallel streams", DefaultValueFactory = _ => 10 };
        var bptt = new Option<int>("--bptt") { Description = "Steps per window", DefaultValueFactory = _ => 35 };
        var skipBlankLines = CommonOptions.SkipBlankLines();
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var json = CommonOptions.Json();
        var command = new Command("eval", "Perplexity of a language model on a text") { model, data, format, skipBlankLines, batch, bptt, threads, kernels, json };
        command.SetAction(r =>
        {
            string environment = CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!);
            if (r.GetValue(batch) < 1 || r.GetValue(bptt) < 1) throw new OptionException("--batch and --bptt must be at least 1");
            var (network, vocabulary, _) = ModelFiles.Load<float>(r.GetValue(model)!);
            if (vocabulary is null) throw new FileNotFoundException($"{r.GetValue(model)}: no {ModelFiles.VocabularyFile}");
            string path = r.GetValue(data)!;
            var stream = TokenStream.From(Corpus.Read(path, r.GetValue(format) ?? Corpus.GuessFormat(path), r.GetValue(skipBlankLines)), vocabulary);
            var (loss, tokens) = LanguageModelTrainer.Evaluate(network, stream.Ids, r.GetValue(batch), r.GetValue(bptt));
            Console.WriteLine(environment);
            if (r.GetValue(json))
                JsonOutput.Write(new { perplexity = Math.Exp(loss), tokens, loss, unknown = stream.UnknownCount });
            else
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"perplexity {Math.Exp(loss):F3} over {tokens:N0} predicted tokens (loss {loss:F4}; {stream.UnknownCount:N0} words mapped to <unk>)"));
            return 0;
        });
        return command;
    }
}
