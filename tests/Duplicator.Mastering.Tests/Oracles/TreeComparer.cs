namespace Duplicator.Mastering.Tests.Oracles;

/// <summary>Compares two folder trees: same names, same kinds, same bytes (streamed, so multi-gigabyte files are fine).</summary>
public static class TreeComparer
{
    public static List<string> Differences(string expected, string actual)
    {
        var diffs = new List<string>();
        Compare(new DirectoryInfo(expected), new DirectoryInfo(actual), "", diffs);
        return diffs;
    }

    private static void Compare(DirectoryInfo e, DirectoryInfo a, string rel, List<string> diffs)
    {
        var ee = e.EnumerateFileSystemInfos().ToDictionary(x => x.Name, StringComparer.Ordinal);
        var aa = a.EnumerateFileSystemInfos().ToDictionary(x => x.Name, StringComparer.Ordinal);
        foreach (var name in ee.Keys.Except(aa.Keys)) diffs.Add($"missing {rel}/{name}");
        foreach (var name in aa.Keys.Except(ee.Keys)) diffs.Add($"extra {rel}/{name}");
        foreach (var name in ee.Keys.Intersect(aa.Keys))
        {
            var x = ee[name];
            var y = aa[name];
            bool xd = x is DirectoryInfo || (x.Attributes & FileAttributes.Directory) != 0;
            bool yd = y is DirectoryInfo || (y.Attributes & FileAttributes.Directory) != 0;
            if (xd != yd) diffs.Add($"kind differs {rel}/{name}");
            else if (xd) Compare(new DirectoryInfo(x.FullName), new DirectoryInfo(y.FullName), rel + "/" + name, diffs);
            else if (!SameBytes(x.FullName, y.FullName, out var why)) diffs.Add($"{rel}/{name}: {why}");
        }
    }

    public static bool SameBytes(string a, string b, out string why)
    {
        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
        if (fa.Length != fb.Length) { why = $"size {fb.Length}, expected {fa.Length}"; return false; }
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        long pos = 0;
        while (true)
        {
            int n = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            int m = fb.ReadAtLeast(bb, n, throwOnEndOfStream: false);
            if (n != m) { why = $"short read at {pos}"; return false; }
            if (n == 0) { why = ""; return true; }
            if (!ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, n)))
            {
                int i = ba.AsSpan(0, n).CommonPrefixLength(bb.AsSpan(0, n));
                why = $"bytes differ at {pos + i}";
                return false;
            }
            pos += n;
        }
    }
}
