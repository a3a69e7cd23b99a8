using LstmLens.Cli;
using LstmLens.Experiments;
using LstmLens.Tasks;

namespace LstmLens.Tests.Cli;

public class HelpTests
{
    [Fact]
    public void Help_is_wrapped_and_lists_choices_under_their_own_verb()
    {
        var (exit, root, _) = CliRunner.Run("--help");
        Assert.Equal(0, exit);
        Assert.Contains("task <name>", root);
        Assert.Contains("reproduce <recipe>", root);
        Assert.DoesNotContain("longlag-2a", root);
        Assert.DoesNotContain("verwimp-cycles", root);
        var helps = new List<(string Command, string Text)> { ("lstmlens", root) };
        foreach (var verb in Verbs.Root().Subcommands)
        {
            var (verbExit, help, error) = CliRunner.Run(verb.Name, "--help");
            Assert.True(verbExit == 0, $"{verb.Name}: {error}");
            helps.Add((verb.Name, help));
        }
        foreach (var (command, text) in helps)
        {
            foreach (string line in text.Split('\n'))
                Assert.True(line.TrimEnd().Length <= Verbs.HelpWidth, $"{command} --help: a line of {line.TrimEnd().Length} characters: {line}");
        }
        string task = CliRunner.Run("task", "--help").Out;
        Assert.All(TaskCatalog.Names, name => Assert.Contains(name, task));
        string reproduce = CliRunner.Run("reproduce", "--help").Out;
        Assert.All(Reproduction.Names, name => Assert.Contains(name, reproduce));
    }
}
