using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Duplicator.Drivers.Tests.Iscsi; // not ".Transport": that would shadow Duplicator.Drivers.Transport in the emulator tests

/// <summary>
/// A private Linux tgt daemon (an MMC implementation nobody here wrote) on loopback, with N DVD+R drives
/// backed by empty files: the same set-up ../shared/oracles/tgt-dvdr.sh makes, driven from the test.
/// Needs root and the Debian packages tgt and libiscsi7 (scripts/install-deps.sh installs them).
/// </summary>
public sealed class TgtTarget : IDisposable
{
    public const string Iqn = "iqn.2026-11.test.duplicator:tower";
    private readonly Process _tgtd;
    private readonly int _control;

    public TgtTarget(int drives)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("dup-tgt-").FullName;
        Port = Duplicator.Tests.FreePorts.Next();
        _control = Port % 1000 + 100 + Environment.ProcessId % 500;
        var psi = new ProcessStartInfo("tgtd", ["-f", "-C", _control.ToString(), "--iscsi", $"portal=127.0.0.1:{Port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _tgtd = Process.Start(psi) ?? throw new InvalidOperationException("tgtd did not start (apt package tgt)");
        _tgtd.OutputDataReceived += (_, _) => { };
        _tgtd.ErrorDataReceived += (_, _) => { };
        _tgtd.BeginOutputReadLine();
        _tgtd.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Adm(false, "--mode", "sys", "--op", "show") != 0)
        {
            if (DateTime.UtcNow > deadline || _tgtd.HasExited) throw new InvalidOperationException("tgtd is not answering");
            Thread.Sleep(50);
        }
        Adm(true, "--lld", "iscsi", "--mode", "target", "--op", "new", "--tid", "1", "--targetname", Iqn);
        for (int n = 1; n <= drives; n++)
        {
            var backing = BackingFile(n);
            File.WriteAllBytes(backing, []);
            Adm(true, "--lld", "iscsi", "--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", n.ToString(), "--device-type", "cd", "--backing-store", backing);
            Adm(true, "--lld", "iscsi", "--mode", "logicalunit", "--op", "update", "--tid", "1", "--lun", n.ToString(), "--params", $"vendor_id=TGT,product_id=DVDRW-{n},product_rev=1.00");
        }
        Adm(true, "--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "127.0.0.1");
        Adm(true, "--lld", "iscsi", "--mode", "target", "--op", "update", "--tid", "1", "--name", "MaxRecvDataSegmentLength", "--value", "262144");
    }

    public string Directory { get; }

    public int Port { get; }

    public string Url(int lun) => $"iscsi://127.0.0.1:{Port}/{Iqn}/{lun}";

    public string BackingFile(int lun) => Path.Combine(Directory, $"drive-{lun}.img");

    private int Adm(bool mustSucceed, params string[] args)
    {
        var psi = new ProcessStartInfo("tgtadm", ["-C", _control.ToString(), .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (mustSucceed && p.ExitCode != 0) throw new InvalidOperationException($"tgtadm {string.Join(' ', args)}: {err}");
        return p.ExitCode;
    }


    public void Dispose()
    {
        try { Adm(false, "--lld", "iscsi", "--mode", "target", "--op", "delete", "--force", "--tid", "1"); } catch (InvalidOperationException) { }
        try { _tgtd.Kill(); } catch (InvalidOperationException) { } // tgtd ignores SIGTERM; Kill sends SIGKILL
        _tgtd.WaitForExit(5000);
        _tgtd.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
