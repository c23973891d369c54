namespace Duplicator.Mastering.Tests.Oracles;

/// <summary>
/// Independent UDF readers: udftools' udfinfo (reads the volume and integrity descriptors), 7-Zip's UDF
/// handler (checks descriptor CRCs, extracts the tree) and NetBSD's udfclient (its own UDF stack; it
/// reads image files only with an explicit <c>-b 2048</c> and turns every non-ASCII character of a name
/// into '_', so it is given ASCII trees).
/// </summary>
public static class UdfReaders
{
    /// <summary>udfinfo's key=value report; fails unless it exits 0.</summary>
    public static IReadOnlyDictionary<string, string> Udfinfo(string image)
    {
        var r = ExternalTool.Run("udfinfo", [image]);
        Assert.True(r.ExitCode == 0, $"udfinfo: exit {r.ExitCode}: {r.StdErr}");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in r.StdOut.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq > 0 && !line.StartsWith("start=", StringComparison.Ordinal)) values[line[..eq]] = line[(eq + 1)..];
        }
        return values;
    }

    /// <summary>Extracts the UDF tree with 7-Zip's UDF handler.</summary>
    public static ExternalTool.Result Extract7z(string image, string dir) =>
        ExternalTool.Run("7z", ["x", "-tudf", "-y", "-bd", "-bb0", "-o" + dir, "--", image]);

    /// <summary>
    /// Copies every root entry out of the image with udfclient (<c>mget</c>); its root lists the logical
    /// volumes, so the first one is entered first.
    /// </summary>
    public static ExternalTool.Result ExtractUdfclient(string image, string dir, IEnumerable<string> rootEntries)
    {
        var list = RunUdfclient(image, "ls\n");
        var volume = list.StdOut.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 5 && f[0].StartsWith('d')).Select(f => string.Join(' ', f.Skip(4))).FirstOrDefault();
        Assert.True(volume is not null, $"udfclient lists no volume: {list.StdOut}{list.StdErr}");
        var names = string.Join(' ', rootEntries.Select(n => $"\"{n}\""));
        return RunUdfclient(image, $"lcd {dir}\ncd \"{volume}\"\nmget {names}\n");
    }

    private static ExternalTool.Result RunUdfclient(string image, string commands)
    {
        var script = Path.GetTempFileName();
        try
        {
            File.WriteAllText(script, commands + "quit\n");
            // udfclient reads its commands from stdin; a shell redirect keeps ExternalTool's capture as it is.
            return ExternalTool.Run("sh", ["-c", "exec udfclient -b 2048 \"$0\" < \"$1\"", image, script]);
        }
        finally
        {
            File.Delete(script);
        }
    }
}
