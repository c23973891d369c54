using System.CommandLine;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator master SRC_DIR... -o OUT.iso</c>: stages folders and writes an ISO 9660 + Joliet image.</summary>
internal static class MasterCommand
{
    public static Command Create()
    {
        var cmd = new Command("master", "stage folders (AddData, in order) and write an ISO 9660 + Joliet image");
        cmd.SetAction(_ =>
        {
            Console.Error.WriteLine("duplicator master: not built yet");
            return ExitCodes.Failed;
        });
        return cmd;
    }
}
