// `typedgraph` — inspect graphs, list/verify/dump/re-save checkpoints, run graphs. The commands live in
// Commands/ (one class each) so tests can call them in-process through CliApp.Run.
return TypedGraph.Cli.Commands.CliApp.Run(args, Console.Out, Console.Error);
