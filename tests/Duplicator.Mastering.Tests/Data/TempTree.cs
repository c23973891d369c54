namespace Duplicator.Mastering.Tests.Data;

/// <summary>A temporary folder tree for a test, deleted afterwards.</summary>
public sealed class TempTree : IDisposable
{
    private static readonly DateTime FixedTime = new(2024, 6, 1, 12, 0, 0, DateTimeKind.Utc);

    public TempTree(string prefix = "dup-src-") => Root = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Root { get; }

    public string Dir(string relative)
    {
        var p = Path.Combine(Root, relative);
        Directory.CreateDirectory(p);
        return p;
    }

    public string File(string relative, int size, int seed = 1)
    {
        var p = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        var bytes = new byte[size];
        new Random(seed ^ relative.GetHashCode(StringComparison.Ordinal)).NextBytes(bytes);
        System.IO.File.WriteAllBytes(p, bytes);
        System.IO.File.SetLastWriteTimeUtc(p, FixedTime);
        return p;
    }

    public string Text(string relative, string content)
    {
        var p = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
