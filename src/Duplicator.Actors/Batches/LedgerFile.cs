using Duplicator.Mastering.Imapi;
using Microsoft.Data.Sqlite;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Checks a SQLite ledger file before the journal opens it, so a file that is not a ledger is refused by name
/// instead of being started over empty (SQLite would happily treat a 0-byte file as a new database, and
/// Akka.Persistence.Sql would create its tables in any database). The rules:
/// <list type="bullet">
/// <item>no file (and no <c>-wal</c> left of one): a new ledger is made, holding the <see cref="MarkerTable"/> (and
/// checkpointed, so the main file itself says it is a ledger);</item>
/// <item>0 bytes, not starting with SQLite's header, damaged (<c>PRAGMA quick_check</c> not "ok"), a <c>-wal</c> that
/// is not a SQLite write-ahead log, a database with no tables at all, or with tables but neither a journal nor the
/// marker: refused (<see cref="ImapiError.InvalidInput"/>), naming the file and what is wrong, and left as it was;</item>
/// <item>a <c>.failed</c> note beside it (written by <see cref="MarkFailed"/> when the journal failed while running):
/// refused until the operator has checked the ledger and removed the note, so a ledger that lost writes is never
/// silently resumed with less history.</item>
/// </list>
/// A ledger that passes has its write-ahead log folded in (<c>wal_checkpoint(TRUNCATE)</c>) before the journal starts.
/// </summary>
public static class LedgerFile
{
    /// <summary>The table Akka.Persistence.Sql keeps events in, and columns it must have.</summary>
    public const string JournalTable = "journal";

    /// <summary>The table a ledger made by <see cref="CheckOrCreate"/> holds from its first moment.</summary>
    public const string MarkerTable = "duplicator_ledger";

    /// <summary>The note beside a ledger whose journal failed while a host ran on it.</summary>
    public static string FailedNote(string path) => Path.GetFullPath(path) + ".failed";

    /// <summary>
    /// Writes the <see cref="FailedNote"/> of <paramref name="path"/> (when, and why): the next start refuses the ledger
    /// until someone has looked at it. Best effort: a failure to write the note is returned, not thrown.
    /// </summary>
    public static string? MarkFailed(string path, string reason)
    {
        try
        {
            var note = FailedNote(path);
            var temp = $"{note}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {reason}\n");
            File.Move(temp, note, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    private static readonly string[] JournalColumns = ["persistence_id", "sequence_number", "message"];
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    /// <summary>
    /// Makes a new ledger at <paramref name="path"/> when nothing is there, or checks the one that is; throws an
    /// <see cref="ImapiException"/> (InvalidInput) naming the file when it is not a ledger. Returns the full path.
    /// </summary>
    public static string CheckOrCreate(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw Refuse(full, "it is a folder, not a SQLite file");
        if (File.Exists(FailedNote(full)))
        {
            var note = File.ReadAllText(FailedNote(full));
            throw Refuse(full, $"its journal failed while a host ran on it ({Shorten(note.Trim())}); check it (sqlite3 {full} 'PRAGMA integrity_check'), restore it if need be, then remove {FailedNote(full)}");
        }
        var wal = full + "-wal";
        if (!File.Exists(full))
        {
            if (File.Exists(wal) && new FileInfo(wal).Length > 0)
                throw Refuse(full, $"the file is missing but its write-ahead log {wal} is there (a ledger deleted or moved?); put the ledger back, or move the -wal away to start a new one");
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            Use(full, SqliteOpenMode.ReadWriteCreate, connection =>
                Scalar(connection, $"CREATE TABLE IF NOT EXISTS {MarkerTable}(created TEXT NOT NULL); INSERT INTO {MarkerTable} VALUES ('{DateTimeOffset.UtcNow:O}');"));
            return full;
        }
        var length = new FileInfo(full).Length;
        if (length == 0)
            throw Refuse(full, "it is empty (0 bytes; truncated?), not a ledger; a new ledger is only made where no file exists: move it away to start afresh");
        var head = new byte[Header.Length];
        using (var f = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n < head.Length || !head.AsSpan().SequenceEqual(Header))
                throw Refuse(full, $"it is not a SQLite database ({length} bytes starting {Convert.ToHexString(head, 0, n)})");
        }
        // Before SQLite opens it: SQLite ignores a write-ahead log it cannot read and deletes it on close, with whatever it held.
        if (File.Exists(wal) && new FileInfo(wal).Length > 0)
        {
            var walHead = new byte[4];
            using var w = new FileStream(wal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int n = w.ReadAtLeast(walHead, 4, throwOnEndOfStream: false);
            uint magic = n == 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(walHead) : 0;
            if (magic is not (0x377f0682 or 0x377f0683)) // SQLite file format, 4.1: WAL header magic
                throw Refuse(full, $"its write-ahead log {wal} is not one ({new FileInfo(wal).Length} bytes starting {Convert.ToHexString(walHead, 0, n)}): committed events may be in it; restore both files from a backup");
        }
        Use(full, SqliteOpenMode.ReadWrite, connection =>
        {
            var check = Scalar(connection, "PRAGMA quick_check(1);");
            if (!string.Equals(check, "ok", StringComparison.Ordinal))
                throw Refuse(full, $"the database is damaged (quick_check: {Shorten(check)})");
            var tables = Column(connection, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;");
            if (tables.Count == 0)
                throw Refuse(full, $"it is a SQLite database without any table, not a ledger (a ledger made here holds {MarkerTable} from the start)");
            if (!tables.Contains(JournalTable) && tables.Contains(MarkerTable)) return; // made, never started: nothing to lose
            if (!tables.Contains(JournalTable))
                throw Refuse(full, $"it is a SQLite database without a {JournalTable} table (it holds {Shorten(string.Join(", ", tables))}): another program's database?");
            var columns = Column(connection, $"SELECT name FROM pragma_table_info('{JournalTable}');");
            var missing = JournalColumns.Where(c => !columns.Contains(c)).ToArray();
            if (missing.Length > 0)
                throw Refuse(full, $"its {JournalTable} table lacks the column(s) {string.Join(", ", missing)}: not a duplicator ledger");
        });
        return full;
    }

    private static void Use(string full, SqliteOpenMode mode, Action<SqliteConnection> check)
    {
        // Pooling off: this connection must really close before the journal opens the file its own way.
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = mode, Pooling = false }.ToString());
        try
        {
            connection.Open();
            check(connection);
            // WAL persists in the file and lets the journal acknowledge events faster (../shared/notes/akka-stack.md);
            // the checkpoint puts everything committed so far into the main file before the journal starts.
            Scalar(connection, "PRAGMA journal_mode=WAL;");
            Scalar(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException e)
        {
            throw Refuse(full, $"SQLite cannot use it: {e.Message}");
        }
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }

    private static List<string> Column(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read() && list.Count < 1000) list.Add(reader.GetString(0));
        return list;
    }

    private static string Shorten(string? text) => text is null ? "(nothing)" : text.Length <= 200 ? text.ReplaceLineEndings(" ") : text[..200].ReplaceLineEndings(" ") + "...";

    private static ImapiException Refuse(string full, string why) =>
        new(ImapiError.InvalidInput, $"ledger {full}: {why}; refusing to start on it");
}
