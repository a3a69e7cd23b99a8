// Entry point of the `lstmlens` command: registers the verbs, turns parse errors and bad input into
// one clear line on stderr with a non-zero exit code, and never shows a stack trace for a user mistake.
using System.CommandLine;
using LstmLens.Cli;
using LstmLens.Cli.Commands;

var root = new RootCommand("LstmLens: train recurrent networks on the CPU and look inside them.");
foreach (var command in new[] { GradcheckCommand.Create(), DemoCommand.Create() })
    root.Subcommands.Add(command);
return CommandRunner.Run(root, args);
