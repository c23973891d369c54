using Duplicator.Mastering.Imapi;
using Microsoft.Data.Sqlite;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Checks a SQLite ledger file before the journal opens it, so a file that is not a ledger is refused by name
/// instead of being started over empty (SQLite would happily treat a 0-byte file as a new database, and
/// Akka.Persistence.Sql would create its tables in any database). The rules:
/// <list type="bullet">
/// <item>no file (and no <c>-wal</c> left of one): a new, empty ledger is made;</item>
/// <item>0 bytes, not starting with SQLite's header, damaged (<c>PRAGMA quick_check</c> not "ok"), or a database with
/// tables but no journal table: refused (<see cref="ImapiError.InvalidInput"/>), naming the file and what is wrong;</item>
/// <item>a SQLite database with no tables at all (a ledger made but never written): used, it holds nothing to lose.</item>
/// </list>
/// </summary>
public static class LedgerFile
{
    /// <summary>The table Akka.Persistence.Sql keeps events in, and columns it must have.</summary>
    public const string JournalTable = "journal";

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
        if (!File.Exists(full))
        {
            if (File.Exists(full + "-wal") && new FileInfo(full + "-wal").Length > 0)
                throw Refuse(full, $"the file is missing but its write-ahead log {full}-wal is there (a ledger deleted or moved?); put the ledger back, or move the -wal away to start a new one");
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            Use(full, SqliteOpenMode.ReadWriteCreate, _ => { });
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
        Use(full, SqliteOpenMode.ReadWrite, connection =>
        {
            var check = Scalar(connection, "PRAGMA quick_check(1);");
            if (!string.Equals(check, "ok", StringComparison.Ordinal))
                throw Refuse(full, $"the database is damaged (quick_check: {Shorten(check)})");
            var tables = Column(connection, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;");
            if (tables.Count == 0) return; // made but never written: nothing to lose
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
            // WAL persists in the file and lets the journal acknowledge events faster (../shared/notes/akka-stack.md).
            Scalar(connection, "PRAGMA journal_mode=WAL;");
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
