using System.CommandLine;
using Duplicator.Host.Commands;

var root = new RootCommand("duplicator: headless burn orchestrator for multi-drive disc duplication towers");
root.Subcommands.Add(MasterCommand.Create());
root.Subcommands.Add(AudioCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
return root.Parse(args).Invoke();
