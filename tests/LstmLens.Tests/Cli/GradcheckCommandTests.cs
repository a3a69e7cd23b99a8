namespace LstmLens.Tests.Cli;

public class GradcheckCommandTests
{
    [Theory]
    [InlineData("lstm", "1", "0")]
    [InlineData("lstm", "2", "0.5")]
    public void Passing_check_prints_a_line_per_tensor_and_exits_zero(string cell, string layers, string hDetach)
    {
        var (exit, output, error) = CliRunner.Run("gradcheck", "--cell", cell, "--layers", layers, "--h-detach", hDetach);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        string[] lines = output.Trim().Split('\n');
        Assert.Equal(int.Parse(layers) * 4 + 3, lines.Length); // tensors, input, initial state, summary
        Assert.StartsWith("max relative error ", lines[^1]);
        Assert.True(double.Parse(lines[^1]["max relative error ".Length..]) < 1e-6);
    }

    [Theory]
    [InlineData(new[] { "gradcheck", "--cell", "transformer" }, "transformer")]
    [InlineData(new[] { "gradcheck", "--h-detach", "1.5" }, "--h-detach")]
    [InlineData(new[] { "gradcheck", "--layers", "0" }, "--layers")]
    [InlineData(new[] { "gradcheck", "--bogus" }, "--bogus")]
    public void Bad_options_give_one_line_and_a_nonzero_exit(string[] args, string named)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(named, error);
    }
}
