using System.Security.Cryptography;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Imapi;
using Microsoft.Data.Sqlite;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>What <see cref="LedgerFile"/> accepts as a ledger, and that a refused file is left exactly as it was.</summary>
public sealed class LedgerFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-ledgerfile-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static void Sql(string file, string sql)
    {
        using var c = new SqliteConnection($"Data Source={file};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private void AssertRefusedUnchanged(string file, string why)
    {
        var before = File.ReadAllBytes(file);
        var e = Assert.Throws<ImapiException>(() => LedgerFile.CheckOrCreate(file));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains($"ledger {file}:", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Equal(SHA256.HashData(before), SHA256.HashData(File.ReadAllBytes(file)));
    }

    [Fact]
    public void A_missing_ledger_is_made_new_and_is_then_accepted()
    {
        var file = PathOf("sub/ledger.db");
        Assert.Equal(file, LedgerFile.CheckOrCreate(file));
        Assert.True(new FileInfo(file).Length > 0);
        Assert.Equal(file, LedgerFile.CheckOrCreate(file)); // the marker table, no journal yet: made but never started
    }

    [Fact]
    public void A_sqlite_file_without_any_table_is_refused()
    {
        var file = PathOf("ledger.db");
        Sql(file, "PRAGMA user_version = 1;");
        AssertRefusedUnchanged(file, "without any table");
    }

    [Fact]
    public void A_write_ahead_log_that_is_not_one_is_refused_before_sqlite_can_drop_it()
    {
        var file = PathOf("ledger.db");
        LedgerFile.CheckOrCreate(file);
        var garbage = new byte[8192];
        new Random(2).NextBytes(garbage);
        File.WriteAllBytes(file + "-wal", garbage);
        AssertRefusedUnchanged(file, "write-ahead log");
        Assert.Equal(garbage, File.ReadAllBytes(file + "-wal"));
    }

    [Fact]
    public void A_ledger_whose_journal_failed_while_running_is_refused_until_its_note_is_removed()
    {
        var file = PathOf("ledger.db");
        LedgerFile.CheckOrCreate(file);
        Assert.Null(LedgerFile.MarkFailed(file, "write of batch-b1: disk I/O error"));
        AssertRefusedUnchanged(file, "its journal failed while a host ran on it");
        Assert.Contains("disk I/O error", Assert.Throws<ImapiException>(() => LedgerFile.CheckOrCreate(file)).Message);
        File.Delete(LedgerFile.FailedNote(file));
        Assert.Equal(file, LedgerFile.CheckOrCreate(file));
    }

    [Fact]
    public void A_zero_byte_file_is_refused_not_started_over_empty()
    {
        var file = PathOf("ledger.db");
        File.WriteAllBytes(file, []);
        AssertRefusedUnchanged(file, "empty (0 bytes");
    }

    [Fact]
    public void Random_bytes_are_refused_as_not_a_sqlite_database()
    {
        var file = PathOf("ledger.db");
        var bytes = new byte[8192];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(file, bytes);
        AssertRefusedUnchanged(file, "not a SQLite database");
    }

    [Fact]
    public void Another_programs_database_is_refused_naming_its_tables()
    {
        var file = PathOf("ledger.db");
        Sql(file, "CREATE TABLE invoices(id INTEGER); INSERT INTO invoices VALUES (1);");
        AssertRefusedUnchanged(file, "without a journal table (it holds invoices)");
    }

    [Fact]
    public void A_journal_table_of_another_shape_is_refused()
    {
        var file = PathOf("ledger.db");
        Sql(file, "CREATE TABLE journal(id INTEGER, text TEXT);");
        AssertRefusedUnchanged(file, "lacks the column(s) persistence_id, sequence_number, message");
    }

    [Fact]
    public void A_ledger_with_garbage_in_its_middle_is_refused_as_damaged()
    {
        var file = PathOf("ledger.db");
        Sql(file, "PRAGMA journal_mode=DELETE; CREATE TABLE journal(persistence_id TEXT, sequence_number INTEGER, message BLOB);" +
                  string.Concat(Enumerable.Range(0, 400).Select(i => $"INSERT INTO journal VALUES ('batch-{i}', {i}, randomblob(300));")));
        var bytes = File.ReadAllBytes(file);
        Assert.True(bytes.Length > 8 * 4096);
        new Random(5).NextBytes(bytes.AsSpan(2 * 4096, 4 * 4096)); // pages 3-6: table pages, not the header
        File.WriteAllBytes(file, bytes);
        AssertRefusedUnchanged(file, "damaged");
    }

    [Fact]
    public void A_missing_ledger_beside_its_write_ahead_log_is_refused()
    {
        var file = PathOf("ledger.db");
        File.WriteAllBytes(file + "-wal", new byte[4096]);
        var e = Assert.Throws<ImapiException>(() => LedgerFile.CheckOrCreate(file));
        Assert.Contains("write-ahead log", e.Message);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void A_folder_at_the_ledgers_path_is_refused()
    {
        var file = Directory.CreateDirectory(PathOf("ledger.db")).FullName;
        Assert.Contains("is a folder", Assert.Throws<ImapiException>(() => LedgerFile.CheckOrCreate(file)).Message);
    }
}
