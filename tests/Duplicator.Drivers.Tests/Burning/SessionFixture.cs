using System.Diagnostics;
using Duplicator.Drivers.Burning;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>What the appended-session tests share: source folders, the session builder, and the independent readers.</summary>
internal static class SessionFixture
{
    public sealed class Quiet : IDiscMasterProgressEvents;

    /// <summary>Runs <paramref name="tool"/> and returns its standard output; a non-zero exit fails the test.</summary>
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start (scripts/install-deps.sh)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }

    /// <summary>A folder <paramref name="name"/> under <paramref name="dir"/> holding <paramref name="files"/> of seeded random bytes.</summary>
    public static string Folder(string dir, string name, params (string Path, int Bytes)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var data = new byte[bytes];
            new Random(path.Length * 7 + bytes).NextBytes(data);
            File.WriteAllBytes(full, data);
        }
        return root;
    }

    /// <summary>A session of <paramref name="folder"/>'s files laid over the disc's last session.</summary>
    public static SessionBuilder Session(string folder, string volume) => (disc, previous, start) =>
    {
        var s = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: volume) };
        s.AddData(folder, false);
        return s.BuildSession(disc, previous, start);
    };

    public static List<string> Sorted(string listing) => [.. listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
}
