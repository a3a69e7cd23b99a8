// Entry point of the `lstmlens` command.
using LstmLens.Cli;

return CommandRunner.Run(Verbs.Root(), args);
