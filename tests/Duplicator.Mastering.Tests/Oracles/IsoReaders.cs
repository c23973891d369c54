namespace Duplicator.Mastering.Tests.Oracles;

/// <summary>
/// Independent ISO 9660 / Joliet readers (libisofs through xorriso, 7-Zip, libarchive through bsdtar,
/// cdrtools' isoinfo, libcdio's iso-info), driven the way ../shared/oracles/check-iso.sh drives them, with
/// Rock Ridge off so the Joliet names are what is read. An image passes only if each extracting reader
/// reports no error and produces a tree equal to the source byte for byte.
/// </summary>
public static class IsoReaders
{
    public static readonly string[] Extractors = ["xorriso", "7z", "bsdtar"];

    /// <summary>Extracts with every reader in <paramref name="readers"/> and compares each tree with <paramref name="source"/>.</summary>
    public static void AssertExtractsIdentical(string image, string source, params string[] readers)
    {
        if (readers.Length == 0) readers = Extractors;
        var failures = new List<string>();
        foreach (var reader in readers)
        {
            var dir = Directory.CreateTempSubdirectory($"dup-x-{reader}-").FullName;
            try
            {
                var r = Extract(reader, image, dir);
                if (r.ExitCode != 0)
                {
                    failures.Add($"{reader}: exit {r.ExitCode}: {Tail(r.StdErr + r.StdOut)}");
                    continue;
                }
                var diff = TreeComparer.Differences(source, dir);
                if (diff.Count > 0)
                    failures.Add($"{reader}: extracted tree differs from source: {string.Join("; ", diff.Take(10))}");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    public static ExternalTool.Result Extract(string reader, string image, string dir) => reader switch
    {
        "xorriso" => ExternalTool.Run("xorriso", ["-abort_on", "FAILURE", "-return_with", "WARNING", "32", "-report_about", "WARNING",
            "-read_fs", "norock", "-indev", image, "-osirrox", "on", "-extract", "/", dir]),
        "7z" => ExternalTool.Run("7z", ["x", "-tiso", "-y", "-bd", "-bb0", "-o" + dir, "--", image]),
        "bsdtar" => ExternalTool.Run("bsdtar", ["--options", "iso9660:!rockridge", "-xf", image, "-C", dir]),
        _ => throw new ArgumentException($"unknown reader {reader}"),
    };

    /// <summary>isoinfo must see a Joliet volume and list the Joliet tree without a word on stderr.</summary>
    public static void AssertIsoinfoReadsJoliet(string image)
    {
        var d = ExternalTool.Run("isoinfo", ["-d", "-i", image]);
        Assert.True(d.ExitCode == 0 && d.StdErr.Length == 0, $"isoinfo -d: exit {d.ExitCode}: {d.StdErr}");
        Assert.Contains("Joliet with UCS level 3", d.StdOut);
        var l = ExternalTool.Run("isoinfo", ["-J", "-l", "-i", image]);
        Assert.True(l.ExitCode == 0 && l.StdErr.Length == 0, $"isoinfo -J -l: exit {l.ExitCode}: {l.StdErr}");
    }

    /// <summary>libcdio's iso-info lists the Joliet tree; returns the listed paths (one per extent, de-duplicated).</summary>
    public static IReadOnlySet<string> IsoInfoPaths(string image)
    {
        var r = ExternalTool.Run("iso-info", ["--no-header", "--no-rock-ridge", "-f", "-i", image]);
        Assert.True(r.ExitCode == 0 && r.StdErr.Trim().Length == 0, $"iso-info: exit {r.ExitCode}: {r.StdErr}");
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in r.StdOut.Split('\n'))
        {
            var t = line.TrimStart();
            int sp = t.IndexOf(" /", StringComparison.Ordinal);
            if (sp > 0 && long.TryParse(t[..sp], out _)) paths.Add(t[(sp + 2)..]);
        }
        return paths;
    }

    private static string Tail(string s) => s.Length <= 600 ? s : s[^600..];
}
