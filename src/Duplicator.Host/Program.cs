using System.CommandLine;
using Duplicator.Host.Commands;

var root = new RootCommand("duplicator: headless burn orchestrator for multi-drive disc duplication towers");
root.Subcommands.Add(MasterCommand.Create());
root.Subcommands.Add(AudioCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(BurnCommand.Create());
root.Subcommands.Add(DriveCommands.Drives());
root.Subcommands.Add(DriveCommands.Record());
return root.Parse(args).Invoke();
