using Akka.Configuration;

namespace Duplicator.Actors.Batches;

/// <summary>Journal and snapshot-store configuration for the batch ledger.</summary>
public static class PersistenceConfig
{
    /// <summary>
    /// Akka.Persistence.Sql on a SQLite file (provider SQLite.MS, tables created on first use). The file is
    /// checked first by <see cref="LedgerFile.CheckOrCreate"/> (a file that is not a ledger is refused, never
    /// started over empty), which also switches WAL on before any actor system opens it: it persists in the file
    /// and lets the journal acknowledge events faster (measured ~2.3x for one writer in ../shared/notes/akka-stack.md).
    /// </summary>
    public static Config Sqlite(string databasePath)
    {
        var full = LedgerFile.CheckOrCreate(databasePath);
        return Sql("SQLite.MS", $"Data Source={full}");
    }

    /// <summary>
    /// Akka.Persistence.Sql on any database Linq2Db supports: <paramref name="provider"/> is its provider name
    /// (e.g. "PostgreSQL", "SqlServer.2019", "MySql"; "SQLite.MS" for Microsoft.Data.Sqlite) and
    /// <paramref name="connectionString"/> its connection string. Tables are created on first use.
    /// </summary>
    public static Config Sql(string provider, string connectionString)
    {
        string Quote(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                  connection-string = "{{Quote(connectionString)}}"
                  provider-name = "{{Quote(provider)}}"
                  auto-initialize = on
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                  connection-string = "{{Quote(connectionString)}}"
                  provider-name = "{{Quote(provider)}}"
                  auto-initialize = on
                }
              }
            }
            """).WithFallback(ConfigurationFactory.ParseString(BatchSerializer.Hocon)).WithFallback(ConfigurationFactory.ParseString(Floor.FloorSerializer.Hocon));
    }

    /// <summary>Akka's in-memory journal and snapshot store (unit tests).</summary>
    public static Config InMemory() => ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """).WithFallback(ConfigurationFactory.ParseString(BatchSerializer.Hocon)).WithFallback(ConfigurationFactory.ParseString(Floor.FloorSerializer.Hocon));
}
