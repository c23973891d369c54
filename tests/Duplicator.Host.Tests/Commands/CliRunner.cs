using System.Diagnostics;

namespace Duplicator.Host.Tests.Commands;

/// <summary>Runs the real <c>duplicator</c> executable (built beside the tests) as a separate process.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "duplicator.dll");

    public static Result Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(true);
            throw new TimeoutException("duplicator " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, o.Result, e.Result);
    }
}
