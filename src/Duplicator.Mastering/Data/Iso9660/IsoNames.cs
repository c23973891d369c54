using System.Runtime.CompilerServices;
using System.Text;

namespace Duplicator.Mastering.Data.Iso9660;

/// <summary>
/// Identifiers of both trees. ISO 9660 names are mangled to d-characters (ECMA-119 7.4.1: A-Z 0-9 _),
/// files as NAME.EXT;1 with at most 30 characters before the version (level 2, 7.5.1), folders up to 31
/// characters without '.', unique within their folder with a "_N" suffix, deterministic for a given set of
/// sibling names. Joliet names keep the source name in UCS-2 within the chosen <see cref="JolietNamePolicy"/>.
/// </summary>
internal static class IsoNames
{
    /// <summary>ECMA-119 7.5.1 (level 2): file name + extension.</summary>
    public const int MaxIsoFileChars = 30;

    /// <summary>ECMA-119 7.6.3 (level 2): directory identifier.</summary>
    public const int MaxIsoDirChars = 31;

    /// <summary>Extension characters kept in the ISO name.</summary>
    private const int MaxIsoExtChars = 8;

    /// <summary>Joliet specification: identifier length in UCS-2 units.</summary>
    public const int JolietMax = 64;

    /// <summary>The widespread "-joliet-long" extension.</summary>
    public const int JolietLongMax = 103;

    /// <summary>Extension units kept by <see cref="JolietNamePolicy.Truncate"/>.</summary>
    private const int MaxJolietExtUnits = 16;

    /// <summary>
    /// ISO identifiers for the children of one folder, in the order given. Each is the full identifier
    /// ("NAME.EXT;1" for files, "NAME" for folders). Children are processed in ordinal order of their source
    /// names so the result does not depend on the order of the input list.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string[] AssignIso(IReadOnlyList<(string Name, bool IsDirectory)> children)
    {
        var result = new string[children.Count];
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var order = new int[children.Count];
        var keys = new string[children.Count];
        for (int k = 0; k < order.Length; k++) { order[k] = k; keys[k] = children[k].Name; }
        Array.Sort(keys, order, StringComparer.Ordinal); // sibling names are distinct: the same order as a stable sort
        foreach (int i in order)
        {
            var (name, isDir) = children[i];
            string baseName, ext;
            if (isDir)
            {
                baseName = DChars(name, dotsAllowed: false);
                ext = "";
            }
            else
            {
                int dot = name.LastIndexOf('.');
                baseName = DChars(dot < 0 ? name : name[..dot], dotsAllowed: false);
                ext = dot < 0 ? "" : DChars(name[(dot + 1)..], dotsAllowed: false);
                if (ext.Length > MaxIsoExtChars) ext = ext[..MaxIsoExtChars];
            }
            int max = isDir ? MaxIsoDirChars : MaxIsoFileChars - ext.Length;
            if (baseName.Length == 0 && ext.Length == 0) baseName = "_";
            string candidate = Cut(baseName, max);
            // The key ignores the file/folder difference: "A" (folder) and "A." (file) show alike in readers.
            for (int n = 1; !taken.Add(Key(candidate, ext)); n++)
            {
                // '~' is not a d-character: the ISO suffix is "_N".
                var suffix = "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                candidate = Cut(baseName, max - suffix.Length) + suffix;
            }
            result[i] = isDir ? candidate : candidate + "." + ext + ";1";
        }
        return result;

        static string Key(string b, string e) => e.Length == 0 ? b : b + "." + e;
        static string Cut(string s, int max) => s.Length <= max ? s : s[..Math.Max(0, max)];
    }

    /// <summary>Upper-cases to d-characters; anything else becomes '_'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string DChars(string s, bool dotsAllowed)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var r in s.EnumerateRunes())
        {
            int c = r.Value;
            if (c is >= 'a' and <= 'z') sb.Append((char)(c - 32));
            else if (c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_') sb.Append((char)c);
            else if (c == '.' && dotsAllowed) sb.Append('.');
            else sb.Append('_');
        }
        return sb.ToString();
    }

    /// <summary>The ISO 9660 volume identifier: d-characters, at most 32.</summary>
    public static string IsoVolumeId(string volumeName)
    {
        var d = DChars(volumeName, dotsAllowed: false);
        return d.Length <= 32 ? d : d[..32];
    }

    /// <summary>
    /// True for a UTF-16 unit Joliet cannot hold: control characters, * / : ; ? \ and surrogates (Joliet is
    /// UCS-2: a character outside the BMP has no code there; libisofs warns and libcdio fails on such names).
    /// </summary>
    public static bool IsJolietForbidden(char c) => c < 0x20 || c is '*' or '/' or ':' or ';' or '?' or '\\' || char.IsSurrogate(c);

    /// <summary>
    /// Joliet identifiers for the children of one folder under <paramref name="policy"/>. A name the
    /// policy cannot hold adds a line to <paramref name="problems"/> (with <paramref name="parentPath"/>)
    /// and keeps its source name, so every problem of one AddData is reported together.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string[] AssignJoliet(IReadOnlyList<(string Name, bool IsDirectory)> children, JolietNamePolicy policy, string parentPath, List<string> problems)
    {
        var result = new string[children.Count];
        int max = policy == JolietNamePolicy.Long103 ? JolietLongMax : JolietMax;
        if (policy != JolietNamePolicy.Truncate)
        {
            for (int i = 0; i < children.Count; i++)
            {
                var name = children[i].Name;
                result[i] = name;
                int bad = -1;
                for (int k = 0; k < name.Length && bad < 0; k++) if (IsJolietForbidden(name[k])) bad = k;
                if (bad >= 0)
                    problems.Add($"{parentPath}/{name}: character U+{CodePointAt(name, bad):X4} is not allowed in Joliet names (UCS-2, none of * / : ; ? \\ or control characters)");
                else if (name.Length > max)
                    problems.Add($"{parentPath}/{name}: {name.Length} UCS-2 units, Joliet allows {max}");
            }
            return result;
        }

        var taken = new HashSet<string>(StringComparer.Ordinal);
        var plain = new List<int>();
        var changed = new List<int>();
        for (int i = 0; i < children.Count; i++)
        {
            var clean = Clean(children[i].Name);
            if (clean == children[i].Name && clean.Length <= max) { result[i] = clean; taken.Add(clean); plain.Add(i); }
            else changed.Add(i);
        }
        // Names that needed no change keep them; changed ones take what is left, in ordinal order.
        foreach (int i in changed.OrderBy(i => children[i].Name, StringComparer.Ordinal))
        {
            var (name, isDir) = children[i];
            var clean = Clean(name);
            string stem = clean, ext = "";
            int dot = clean.LastIndexOf('.');
            if (!isDir && dot > 0 && clean.Length - dot <= MaxJolietExtUnits + 1) { stem = clean[..dot]; ext = clean[dot..]; }
            string candidate = CutName(stem, max - ext.Length, ext.Length == 0) + ext;
            for (int n = 1; !taken.Add(candidate); n++)
            {
                var suffix = "~" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                candidate = CutUnits(stem, max - ext.Length - suffix.Length) + suffix + ext;
            }
            result[i] = candidate;
        }
        return result;

        // A cut that ends the name (a folder, a file without extension) drops the spaces and dots it ends in:
        // Windows cannot open a name ending in either, and the cut made that ending, not the source.
        static string CutName(string stem, int units, bool endsName)
        {
            var cut = CutUnits(stem, units);
            if (!endsName || cut.Length == stem.Length) return cut;
            var trimmed = cut.TrimEnd(' ', '.');
            return trimmed.Length > 0 ? trimmed : cut;
        }

        static string Clean(string s)
        {
            var chars = s.ToCharArray();
            for (int k = 0; k < chars.Length; k++) if (IsJolietForbidden(chars[k])) chars[k] = '_';
            return new string(chars);
        }
    }

    private static int CodePointAt(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];

    /// <summary>Cuts to at most <paramref name="units"/> UTF-16 units without splitting a surrogate pair.</summary>
    public static string CutUnits(string s, int units)
    {
        if (s.Length <= units) return s;
        if (units <= 0) return "";
        int n = units;
        if (char.IsHighSurrogate(s[n - 1])) n--;
        return s[..n];
    }
}
