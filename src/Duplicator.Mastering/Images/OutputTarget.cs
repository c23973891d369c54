using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Images;

/// <summary>
/// Decides whether a command may write its output file at a path, before anything is staged or written.
/// The writers (<c>DataImage.WriteTo</c>, <c>BinCueWriter.Write</c>) rename a finished temporary file over
/// the output, so a wrong output path would replace whatever is there: a source file, the WAV being read,
/// a device node. Refused, each with <see cref="ImapiError.InvalidInput"/> naming the path and the rule:
/// <list type="bullet">
/// <item>an output that is one of the inputs (same device and inode, so hard and symbolic links count);</item>
/// <item>an output inside an input folder (any ancestor of its resolved folder is an input folder);</item>
/// <item>an output that exists and is not a regular file (directory, device, FIFO, socket, symbolic link:
/// renaming over a link replaces the link, not the file it names);</item>
/// <item>an output whose folder does not exist or is not a folder.</item>
/// </list>
/// An existing regular output is replaced only when the caller allows it (<c>--force</c>); otherwise
/// <see cref="ImapiError.FileExists"/>.
/// </summary>
public static class OutputTarget
{
    /// <summary>
    /// Checks <paramref name="output"/> against <paramref name="inputs"/> (files or folders) and returns
    /// it made absolute. <paramref name="forceOption"/> is the option that allows replacing an existing
    /// file, named in the refusal.
    /// </summary>
    public static string Check(string output, IEnumerable<string> inputs, bool force, string forceOption = "--force")
    {
        if (string.IsNullOrWhiteSpace(output))
            throw new ImapiException(ImapiError.InvalidInput, "output path is empty");
        if (output.EndsWith('/') || output.EndsWith(Path.DirectorySeparatorChar))
            throw new ImapiException(ImapiError.InvalidInput, $"{output}: the output must name a file, not a folder");
        var full = Path.GetFullPath(output);
        var folder = Path.GetDirectoryName(full)!;
        var folderId = FileIdentity.Of(folder);
        if (folderId.Kind != FileKind.Directory)
            throw new ImapiException(ImapiError.InvalidInput, $"{output}: its folder {folder} is {(folderId.Kind == FileKind.Missing ? "missing" : FileIdentity.Describe(folderId.Kind) + ", not a folder")}");

        var sources = inputs.Select(i => (Name: i, Id: FileIdentity.Of(i))).Where(s => s.Id.Kind != FileKind.Missing).ToList();
        var target = FileIdentity.Of(full); // links followed: the file a link names counts as the output
        foreach (var s in sources)
        {
            if (target.SameFileAs(s.Id))
                throw new ImapiException(ImapiError.InvalidInput, $"{output}: refused: it is the input {s.Name} (the same file); an output never replaces a source");
        }

        // Inside an input folder? Compare every ancestor of the resolved output folder by identity, and the
        // resolved paths too (one rule; identity catches bind mounts, paths catch what stat cannot see).
        var resolvedFolder = FileIdentity.Resolve(folder);
        var folders = sources.Where(s => s.Id.Kind == FileKind.Directory).Select(s => (s.Name, s.Id, Resolved: FileIdentity.Resolve(s.Name))).ToList();
        for (var dir = resolvedFolder; dir != null; dir = Path.GetDirectoryName(dir))
        {
            var id = FileIdentity.Of(dir);
            foreach (var s in folders)
            {
                if (id.SameFileAs(s.Id) || string.Equals(dir, s.Resolved, StringComparison.Ordinal))
                    throw new ImapiException(ImapiError.InvalidInput, $"{output}: refused: it is inside the source folder {s.Name}; write the output outside every source");
            }
        }

        var here = FileIdentity.Of(full, followLinks: false);
        switch (here.Kind)
        {
            case FileKind.Missing:
                return full;
            case FileKind.Regular when force:
                return full;
            case FileKind.Regular:
                throw new ImapiException(ImapiError.FileExists, $"{output}: exists; give {forceOption} to replace it");
            default:
                throw new ImapiException(ImapiError.InvalidInput, $"{output}: refused: it is {FileIdentity.Describe(here.Kind)}, not a regular file; an output only ever replaces a regular file");
        }
    }

    /// <summary>
    /// Renames the finished <paramref name="temp"/> to <paramref name="destination"/>, its last check:
    /// refused when the destination exists and is not a regular file, and when it exists at all unless
    /// <paramref name="replace"/> (then the no-replace rename is atomic: it fails if a file appeared).
    /// </summary>
    public static void Commit(string temp, string destination, bool replace)
    {
        var here = FileIdentity.Of(destination, followLinks: false);
        if (here.Kind is not (FileKind.Missing or FileKind.Regular))
            throw new ImapiException(ImapiError.InvalidInput, $"{destination}: refused: it is {FileIdentity.Describe(here.Kind)}, not a regular file; nothing was written");
        try
        {
            File.Move(temp, destination, overwrite: replace);
        }
        catch (IOException) when (!replace && FileIdentity.Of(destination, followLinks: false).Kind != FileKind.Missing)
        {
            throw new ImapiException(ImapiError.FileExists, $"{destination}: appeared while it was being written; nothing was replaced");
        }
    }
}
