using System.Diagnostics;

namespace Duplicator.Mastering.Tests.Oracles;

/// <summary>Runs an independent tool (xorriso, 7z, bsdtar, isoinfo, ...) and captures what it printed.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(string tool, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        psi.Environment["LC_ALL"] = "C.UTF-8"; // readers decode UCS-2 names into the locale's charset
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed: run scripts/install-deps.sh (or ./test.sh), which installs it", e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish");
            }
            return new Result(p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs the tool with its standard output streamed into <paramref name="sink"/> (for multi-gigabyte extractions).</summary>
    public static (int ExitCode, string StdErr) RunStreaming(string tool, IEnumerable<string> args, Action<Stream> sink)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        sink(p.StandardOutput.BaseStream);
        p.WaitForExit();
        return (p.ExitCode, stderr.Result);
    }
}
