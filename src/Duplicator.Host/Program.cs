using System.CommandLine;
using Duplicator.Host.Commands;

var root = new RootCommand("duplicator: headless burn orchestrator for multi-drive disc duplication towers");
// `duplicator master ...` is a short batch command whose wall time is benchmarked against cat: it builds only
// its own command (the other six, with their options, cost start-up time it never uses). Any other command
// line, help included, gets the full tree.
if (args is ["master", ..])
{
    root.Subcommands.Add(MasterCommand.Create());
    return Cli.Invoke(root.Parse(args));
}
root.Subcommands.Add(MasterCommand.Create());
root.Subcommands.Add(AudioCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(BurnCommand.Create());
root.Subcommands.Add(CopyCommand.Create());
root.Subcommands.Add(DriveCommands.Drives());
root.Subcommands.Add(DriveCommands.Record());
root.Subcommands.Add(HoldCommands.Pause());
root.Subcommands.Add(HoldCommands.Resume());
root.Subcommands.Add(HoldCommands.Hold());
root.Subcommands.Add(HoldCommands.Release());
return Cli.Invoke(root.Parse(args));
