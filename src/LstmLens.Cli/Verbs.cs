// The verbs of `lstmlens`, in one list shared by the program and its tests.
using System.CommandLine;
using System.CommandLine.Help;
using LstmLens.Cli.Commands;

namespace LstmLens.Cli;

/// <summary>The command tree.</summary>
public static class Verbs
{
    /// <summary>Width help text is wrapped at, whatever the terminal.</summary>
    public const int HelpWidth = 100;

    /// <summary>The root command with every verb.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("LstmLens: train recurrent networks on the CPU and look inside them.");
        foreach (var command in new[] { DemoCommand.Create(), TrainCommand.Create(), EvalCommand.Create(), SampleCommand.Create(), TaskCommand.Create(), ReproduceCommand.Create(), SweepCommand.Create(), GradcheckCommand.Create(), BenchCommand.Create(), MemoryCommand.Create(), DecomposeCommand.Create(), InterdependenceCommand.Create(), ReportCommand.Create() })
            root.Subcommands.Add(command);
        root.Options.Add(CommandRunner.Verbose());
        CommonOptions.RefuseNonFinite(root);
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction action) action.MaxWidth = HelpWidth;
        }
        return root;
    }
}
