using System.Diagnostics;
using System.Text;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Serving;

/// <summary>A `duplicator` command (serve, burn, ...) as a real process, stdout and stderr kept apart, killed (SIGKILL) when disposed.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private CliProcess(Process p)
    {
        _p = p;
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_out) _out.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_err) _err.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public string StdOut { get { lock (_out) return _out.ToString(); } }
    public string StdErr { get { lock (_err) return _err.ToString(); } }
    public int ExitCode => _p.ExitCode;

    public static CliProcess Start(string config, string workingDirectory) => Run(workingDirectory, "serve", "--config", config);

    /// <summary>Any duplicator command as a process.</summary>
    public static CliProcess Run(string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add(CliRunner.DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new CliProcess(Process.Start(psi)!);
    }

    public async Task UntilAnswering(int port)
    {
        using var client = new ControlClient($"http://127.0.0.1:{port}", null);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await client.IsRunningAsync(CancellationToken.None))
        {
            if (_p.HasExited) throw new InvalidOperationException($"serve exited with {_p.ExitCode}:\n{StdErr}\n{StdOut}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"serve did not answer:\n{StdErr}\n{StdOut}");
            await Task.Delay(100);
        }
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout)) return false;
        _p.WaitForExit(); // drain the output readers
        return true;
    }

    public void Dispose()
    {
        if (!_p.HasExited)
        {
            _p.Kill(entireProcessTree: true);
            _p.WaitForExit();
        }
        _p.Dispose();
    }
}
