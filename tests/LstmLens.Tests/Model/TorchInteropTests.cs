using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Training;

namespace LstmLens.Tests.Model;

/// <summary>A model saved by PyTorch (tools/torch_interop.py make) loads as a LstmLens model directory and gives PyTorch's numbers.</summary>
public class TorchInteropTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch_lm");

    [Fact]
    public void PyTorch_model_directory_gives_the_same_logits_and_perplexity()
    {
        var (model, vocabulary, _) = ModelFiles.Load<float>(Directory);
        Assert.NotNull(vocabulary);
        var expected = SafeTensors.Read(Path.Combine(Directory, "expected.safetensors"));
        int[] ids = [.. expected["inputs"].ToInt64().Select(v => (int)v)];
        var logits = new float[expected["logits"].ElementCount];
        expected["logits"].CopyTo<float>(logits);

        model.Forward(new SequenceBatch<float>(ids.Length, 1) { Tokens = ids }, [], []);
        double worst = 0;
        for (int i = 0; i < logits.Length; i++) worst = Math.Max(worst, Math.Abs(logits[i] - model.Logits[i]));
        Assert.True(worst < 1e-5, $"largest logit difference {worst:E2}");

        var perplexity = new double[1];
        expected["perplexity"].CopyTo<double>(perplexity);
        var (loss, _) = LanguageModelTrainer.Evaluate(model, ids, batch: 2, bptt: 5);
        Assert.True(Math.Abs(Math.Exp(loss) - perplexity[0]) / perplexity[0] < 1e-5, $"perplexity {Math.Exp(loss)} vs PyTorch {perplexity[0]}");
    }

    [Fact]
    public void Loading_names_a_missing_or_misshapen_tensor()
    {
        using var dir = new Data.TempDirectory();
        foreach (string file in new[] { "config.json", "vocab.txt" }) File.Copy(Path.Combine(Directory, file), Path.Combine(dir.Path, file));
        var tensors = SafeTensors.Read(Path.Combine(Directory, "model.safetensors")).Tensors;
        SafeTensors.Write(Path.Combine(dir.Path, "model.safetensors"), tensors.Where(t => t.Name != "rnn.bias_hh_l1"));
        Assert.Contains("missing tensor 'rnn.bias_hh_l1'", Assert.Throws<InvalidDataException>(() => ModelFiles.Load<float>(dir.Path)).Message);

        var wrong = tensors.Select(t => t.Name == "decoder.bias" ? SafeTensor.Create<float>(t.Name, new float[3], 3) : t);
        SafeTensors.Write(Path.Combine(dir.Path, "model.safetensors"), wrong);
        Assert.Contains("'decoder.bias' has shape [3]", Assert.Throws<InvalidDataException>(() => ModelFiles.Load<float>(dir.Path)).Message);
    }
}
